set -eu
apk add --no-cache curl jq >/dev/null

REG="$REGISTRY_HOST"
SCHEME="${REGISTRY_SCHEME:-https}"
INSTANCE="$REGISTRY_INSTANCE"
AUTH="$REG_USER:$REG_PASS"
ACCEPT='application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.list.v2+json,application/vnd.docker.distribution.manifest.v2+json'

push() {
  curl -sf --max-time 10 --data-binary @- "$PUSHGATEWAY" >/dev/null 2>&1 || true
}

CATALOG=$(curl -sk -u "$AUTH" --max-time 30 "$SCHEME://$REG/v2/_catalog?n=1000" || echo "")
REPOS=$(echo "$CATALOG" | jq -r '.repositories[]?' 2>/dev/null || echo "")

if [ -z "$REPOS" ]; then
  echo "ERROR: empty catalog or auth failure — cannot probe"
  NOW=$(date +%s)
  push <<METRICS
# TYPE registry_manifest_integrity_catalog_accessible gauge
registry_manifest_integrity_catalog_accessible{instance="$INSTANCE"} 0
# TYPE registry_manifest_integrity_last_run_timestamp gauge
registry_manifest_integrity_last_run_timestamp{instance="$INSTANCE"} $NOW
METRICS
  exit 1
fi

FAIL=0
REPOS_N=0
TAGS_N=0
INDEXES_N=0

printf '%s\n' $REPOS > /tmp/repos.txt
while IFS= read -r repo; do
  [ -z "$repo" ] && continue
  REPOS_N=$((REPOS_N + 1))

  TAGS_JSON=$(curl -sk -u "$AUTH" --max-time 15 "$SCHEME://$REG/v2/$repo/tags/list" || echo "")
  echo "$TAGS_JSON" | jq -r '.tags[]?' 2>/dev/null | tail -n "$TAGS_PER_REPO" > /tmp/tags.txt || true

  while IFS= read -r tag; do
    [ -z "$tag" ] && continue
    TAGS_N=$((TAGS_N + 1))

    HTTP=$(curl -sk -u "$AUTH" -o /tmp/m.json -w '%{http_code}' \
      -H "Accept: $ACCEPT" --max-time 15 \
      "$SCHEME://$REG/v2/$repo/manifests/$tag")
    if [ "$HTTP" != "200" ]; then
      echo "FAIL: $repo:$tag manifest HTTP $HTTP"
      FAIL=$((FAIL + 1))
      continue
    fi

    MT=$(jq -r '.mediaType // empty' /tmp/m.json 2>/dev/null || echo "")
    if echo "$MT" | grep -Eq 'manifest\.list|image\.index'; then
      INDEXES_N=$((INDEXES_N + 1))
      jq -r '.manifests[].digest' /tmp/m.json > /tmp/children.txt 2>/dev/null || true
      while IFS= read -r d; do
        [ -z "$d" ] && continue
        CH=$(curl -sk -u "$AUTH" -o /dev/null -w '%{http_code}' \
          -H "Accept: $ACCEPT" --max-time 10 -I \
          "$SCHEME://$REG/v2/$repo/manifests/$d")
        if [ "$CH" != "200" ]; then
          echo "FAIL: $repo:$tag index child $d HTTP $CH"
          FAIL=$((FAIL + 1))
        fi
      done < /tmp/children.txt
    fi
  done < /tmp/tags.txt
done < /tmp/repos.txt

NOW=$(date +%s)
push <<METRICS
# TYPE registry_manifest_integrity_failures gauge
registry_manifest_integrity_failures{instance="$INSTANCE"} $FAIL
# TYPE registry_manifest_integrity_catalog_accessible gauge
registry_manifest_integrity_catalog_accessible{instance="$INSTANCE"} 1
# TYPE registry_manifest_integrity_repos_checked gauge
registry_manifest_integrity_repos_checked{instance="$INSTANCE"} $REPOS_N
# TYPE registry_manifest_integrity_tags_checked gauge
registry_manifest_integrity_tags_checked{instance="$INSTANCE"} $TAGS_N
# TYPE registry_manifest_integrity_indexes_checked gauge
registry_manifest_integrity_indexes_checked{instance="$INSTANCE"} $INDEXES_N
# TYPE registry_manifest_integrity_last_run_timestamp gauge
registry_manifest_integrity_last_run_timestamp{instance="$INSTANCE"} $NOW
METRICS

echo "Probe complete: $FAIL failures across $REPOS_N repos / $TAGS_N tags / $INDEXES_N indexes"
if [ "$FAIL" -gt 0 ]; then exit 1; fi
