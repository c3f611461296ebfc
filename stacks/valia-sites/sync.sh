set -u
cp /config/rclone.conf /tmp/rc.conf
APISERVER="https://kubernetes.default.svc"
SA=/var/run/secrets/kubernetes.io/serviceaccount
KTOKEN=$$(cat $$SA/token); NS=$$(cat $$SA/namespace)
STATE_URL="$$APISERVER/api/v1/namespaces/$$NS/configmaps/valia-sites-state"
FAILED=0
for SITE in $$(jq -r 'keys[]' /sites/sites.json); do
  FOLDER=$$(jq -r --arg s "$$SITE" '.[$$s].folder_id' /sites/sites.json)
  SRC_PATH=$$(jq -r --arg s "$$SITE" '.[$$s].src_path' /sites/sites.json)
  ENTRY=$$(jq -r --arg s "$$SITE" '.[$$s].entry_file' /sites/sites.json)
  RC="rclone --config /tmp/rc.conf --drive-root-folder-id=$$FOLDER --drive-skip-gdocs"
  # 1. Remote manifest (path+size+hash) — metadata only, no download.
  MANIFEST=$$($$RC lsf "gdrive:$$SRC_PATH" -R --files-only --format phs 2>/tmp/lsf.err) || {
    echo "FATAL [$$SITE]: Drive list failed (auth/network):"; cat /tmp/lsf.err; FAILED=1; continue; }
  N=$$(printf '%s\n' "$$MANIFEST" | grep -c . || true)
  if [ "$$N" -lt 1 ] || ! printf '%s\n' "$$MANIFEST" | cut -d';' -f1 | grep -qx "$$ENTRY"; then
    echo "GUARD [$$SITE]: N=$$N / $$ENTRY missing -- skipping, site untouched"; continue
  fi
  # Cloudflare Pages hard-caps files at 25 MB — deploying
  # without an oversize file would silently break the pages
  # that reference it, so skip the whole site instead (last
  # deployed content keeps serving) and say so loudly.
  OVERSIZE=$$(printf '%s\n' "$$MANIFEST" | awk -F';' '$$3 > 26214400 {print $$1" ("$$3" B)"}')
  if [ -n "$$OVERSIZE" ]; then
    echo "GUARD [$$SITE]: file(s) exceed the 25MB Pages limit -- skipping, site untouched:"; echo "$$OVERSIZE"; continue
  fi
  HASH=$$(printf '%s' "$$MANIFEST" | sha256sum | cut -d' ' -f1)
  LAST=$$(curl -sf --cacert $$SA/ca.crt -H "Authorization: Bearer $$KTOKEN" "$$STATE_URL" | jq -r --arg s "$$SITE" '.data[$$s] // ""')
  if [ "$$HASH" = "$$LAST" ]; then echo "OK [$$SITE]: unchanged"; continue; fi
  # 2. Content changed — pull and deploy.
  $$RC sync "gdrive:$$SRC_PATH" "/work/$$SITE" --exclude ".DS_Store" --fast-list --transfers 4 --max-delete 25 -v || {
    echo "FATAL [$$SITE]: rclone sync failed"; FAILED=1; continue; }
  if [ "$$ENTRY" != "index.html" ]; then
    cp "/work/$$SITE/$$ENTRY" "/work/$$SITE/index.html"
  fi
  wrangler pages deploy "/work/$$SITE" --project-name="$$SITE" --branch=main --commit-dirty=true || {
    echo "FATAL [$$SITE]: wrangler deploy failed"; FAILED=1; continue; }
  curl -sf --cacert $$SA/ca.crt -H "Authorization: Bearer $$KTOKEN" \
    -X PATCH -H "Content-Type: application/merge-patch+json" \
    -d "{\"data\":{\"$$SITE\":\"$$HASH\"}}" "$$STATE_URL" > /dev/null || {
    echo "WARN [$$SITE]: state patch failed (will redeploy next run)"; FAILED=1; }
  echo "DEPLOYED [$$SITE]: $$HASH"
done
exit $$FAILED
