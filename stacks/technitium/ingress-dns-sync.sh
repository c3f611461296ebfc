set -e
ZONE="viktorbarzin.me"
TECH_API="http://technitium-web:5380"

TOKEN=$$(curl -sf "$$TECH_API/api/user/login?user=$$TECH_USER&pass=$$TECH_PASS" | grep -o '"token":"[^"]*"' | cut -d'"' -f4)
if [ -z "$$TOKEN" ]; then echo "Login failed"; exit 1; fi

EXISTING=$$(curl -sf "$$TECH_API/api/zones/records/get?token=$$TOKEN&zone=$$ZONE&domain=$$ZONE&listZone=true" | grep -o '"name":"[^"]*\.viktorbarzin\.me"' | sed 's/"name":"//;s/"//' | sort -u)

HOSTS=$$(kubectl get ingress -A -o jsonpath='{range .items[*]}{range .spec.rules[*]}{.host}{"\n"}{end}{end}' | grep "\.$$ZONE$$" | grep -v "^$$ZONE$$" | sort -u)

CREATED=0
for HOST in $$HOSTS; do
  if echo "$$EXISTING" | grep -qx "$$HOST"; then
    continue
  fi
  RESULT=$$(curl -sf "$$TECH_API/api/zones/records/add?token=$$TOKEN&zone=$$ZONE&domain=$$HOST&type=CNAME&cname=$$ZONE&ttl=86400" 2>&1) || true
  if echo "$$RESULT" | grep -q '"status":"ok"'; then
    echo "Created CNAME: $$HOST -> $$ZONE"
    CREATED=$$((CREATED + 1))
  elif echo "$$RESULT" | grep -q 'already exists'; then
    echo "Already exists: $$HOST"
  else
    echo "Failed: $$HOST -- $$RESULT"
  fi
done
echo "Sync complete. Created $$CREATED new records."

# Static mail-auth records (SPF / brevo verification / MX /
# DMARC / DKIM) mirrored from the PUBLIC Cloudflare zone.
# The internal zone is authoritative for viktorbarzin.me, and
# since 2026-06-10 the MAILSERVER pods resolve the domain
# through it (CoreDNS viktorbarzin.me:53 -> Technitium).
# Without these, rspamd's SPF/DKIM/DMARC checks on inbound
# @viktorbarzin.me mail (e.g. the Brevo email-roundtrip probe)
# see SPF=none/DKIM=fail and quarantine it (EmailRoundtrip*
# alerts, 2026-06-10). Internal zone must be a SUPERSET of the
# public one for every record type clients consume. Idempotent:
# checked against the zone dump before adding. If these change
# in Cloudflare, update here too (slow-moving).
ZONE_DUMP=$$(curl -sf "$$TECH_API/api/zones/records/get?token=$$TOKEN&zone=$$ZONE&domain=$$ZONE&listZone=true")
add_txt() {
  NAME="$$1"; MARK="$$2"; VALUE="$$3"
  if echo "$$ZONE_DUMP" | grep -q "$$MARK"; then echo "mail-auth: $$NAME ($$MARK) present"; return; fi
  R=$$(curl -sf -G "$$TECH_API/api/zones/records/add" --data-urlencode "token=$$TOKEN" --data-urlencode "zone=$$ZONE" --data-urlencode "domain=$$NAME" --data-urlencode "type=TXT" --data-urlencode "text=$$VALUE" --data-urlencode "ttl=3600") || true
  echo "$$R" | grep -q '"status":"ok"' && echo "mail-auth: added TXT $$NAME ($$MARK)" || echo "mail-auth: FAILED TXT $$NAME -- $$R"
}
add_txt "$$ZONE" "v=spf1" "v=spf1 include:spf.brevo.com ~all"
add_txt "$$ZONE" "brevo-code" "brevo-code:a6ef1dd91b248559900246eb4e7ceebd"
add_txt "_dmarc.$$ZONE" "v=DMARC1" "v=DMARC1; p=quarantine; pct=100; fo=1; ri=3600; sp=quarantine; adkim=r; aspf=r; rua=mailto:dmarc@viktorbarzin.me,mailto:adb84997@inbox.ondmarc.com; ruf=mailto:dmarc@viktorbarzin.me,mailto:adb84997@inbox.ondmarc.com,mailto:postmaster@viktorbarzin.me;"
add_txt "mail._domainkey.$$ZONE" "v=DKIM1" "v=DKIM1; h=sha256; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAs9XHeFBKhUAEJSikXx+P49Q3nEBbnaSpn6h/9TqIhKaZWSVa2uGUGYQieNdon7DEJZ0VFo0Tvm3/UFsy2qF7ZmF+E/+N8EmkcPrMlxgJT281dpk5DxrZ+kbzw/DosfHH71K6vCLB4rSexzxJHaAx0AUddI3bFUJGjMgCXXCMZF+p8YCx+DDGPIXz2FOTtlJlR7aeZ2xXavwE/lBfI3MLnsq7X+GhPjQEax070nndOdZI0S8HpZkVxdGWl1N2Ec6LukYm2RiUkEMMQHSYX7WF3JBc+CGqUyd706Iy/5oeC3UGwZSM2uLkrp8YBjmw/h1rAeyv/ITt6ZXraP/cIMRiVQIDAQAB"
# Brevo DKIM selectors are CNAMEs to Brevo-hosted keys; rspamd
# resolves them when verifying inbound Brevo-signed mail
# (R_DKIM_PERMFAIL +4.5 without them — the actual junk-score
# driver in the 2026-06-10 roundtrip breakage).
add_cname() {
  NAME="$$1"; TARGET="$$2"
  if echo "$$ZONE_DUMP" | grep -q "$$TARGET"; then echo "mail-auth: $$NAME present"; return; fi
  R=$$(curl -sf -G "$$TECH_API/api/zones/records/add" --data-urlencode "token=$$TOKEN" --data-urlencode "zone=$$ZONE" --data-urlencode "domain=$$NAME" --data-urlencode "type=CNAME" --data-urlencode "cname=$$TARGET" --data-urlencode "ttl=3600") || true
  echo "$$R" | grep -q '"status":"ok"' && echo "mail-auth: added CNAME $$NAME -> $$TARGET" || echo "mail-auth: FAILED CNAME $$NAME -- $$R"
}
add_cname "brevo1._domainkey.$$ZONE" "b1.viktorbarzin-me.dkim.brevo.com"
add_cname "brevo2._domainkey.$$ZONE" "b2.viktorbarzin-me.dkim.brevo.com"
if ! echo "$$ZONE_DUMP" | grep -q '"type":"MX"'; then
  R=$$(curl -sf -G "$$TECH_API/api/zones/records/add" --data-urlencode "token=$$TOKEN" --data-urlencode "zone=$$ZONE" --data-urlencode "domain=$$ZONE" --data-urlencode "type=MX" --data-urlencode "exchange=mail.viktorbarzin.me" --data-urlencode "preference=1" --data-urlencode "ttl=3600") || true
  echo "$$R" | grep -q '"status":"ok"' && echo "mail-auth: added MX" || echo "mail-auth: FAILED MX -- $$R"
else
  echo "mail-auth: MX present"
fi

# Offsite mx2 names (ADR-0020): status + mx2 are public
# grey-cloud A records to the OCI VM (reserved IP) — public-only
# names, so the superset rule applies: without these, internal
# clients NXDOMAIN on them, and both the in-cluster
# StatusPageDown blackbox probe and LAN visitors consume
# status.viktorbarzin.me. status also lingers as a stale
# CNAME -> apex (from the retired hetrix-redirect IngressRoute
# era; the ingress sync above never deletes) which would point
# internal clients at Traefik's 404 — replace it with the A
# record, valia-style ensure/update scoped to exactly these
# two names. The IP is the reserved OCI address: slow-moving;
# if ever reassigned update here + stacks/backup-mx +
# stacks/cloudflared together.
MX2_IP="92.5.132.215"
for ONAME in status mx2; do
  OREC=$$(curl -sf "$$TECH_API/api/zones/records/get?token=$$TOKEN&zone=$$ZONE&domain=$$ONAME.$$ZONE")
  OCUR_A=$$(printf '%s' "$$OREC" | grep -o '"ipAddress":"[^"]*"' | head -1 | cut -d'"' -f4)
  if [ "$$OCUR_A" = "$$MX2_IP" ]; then echo "mx2: $$ONAME.$$ZONE ok"; continue; fi
  OCUR_C=$$(printf '%s' "$$OREC" | grep -o '"cname":"[^"]*"' | head -1 | cut -d'"' -f4)
  if [ -n "$$OCUR_C" ]; then
    curl -sf -G "$$TECH_API/api/zones/records/delete" --data-urlencode "token=$$TOKEN" --data-urlencode "zone=$$ZONE" --data-urlencode "domain=$$ONAME.$$ZONE" --data-urlencode "type=CNAME" --data-urlencode "cname=$$OCUR_C" > /dev/null || true
    echo "mx2: removed stale CNAME $$ONAME.$$ZONE -> $$OCUR_C"
  fi
  if [ -n "$$OCUR_A" ]; then
    curl -sf -G "$$TECH_API/api/zones/records/delete" --data-urlencode "token=$$TOKEN" --data-urlencode "zone=$$ZONE" --data-urlencode "domain=$$ONAME.$$ZONE" --data-urlencode "type=A" --data-urlencode "ipAddress=$$OCUR_A" > /dev/null || true
    echo "mx2: removed stale A $$ONAME.$$ZONE -> $$OCUR_A"
  fi
  R=$$(curl -sf -G "$$TECH_API/api/zones/records/add" --data-urlencode "token=$$TOKEN" --data-urlencode "zone=$$ZONE" --data-urlencode "domain=$$ONAME.$$ZONE" --data-urlencode "type=A" --data-urlencode "ipAddress=$$MX2_IP" --data-urlencode "ttl=3600") || true
  echo "$$R" | grep -q '"status":"ok"' && echo "mx2: set $$ONAME.$$ZONE -> $$MX2_IP" || echo "mx2: FAILED $$ONAME.$$ZONE -- $$R"
done

# Valia sites (ADR-0018) — off-infra Cloudflare Pages sites.
# The internal zone is authoritative (superset rule above), so
# these public-only names must exist here or every internal
# client NXDOMAINs on them. Reconciled DECLARATIVELY from the
# ConfigMap valia-sites-dns (written by stacks/valia-sites):
# ensure/update every entry, and DELETE stale records that
# left the map (site retired/renamed). Deletion is scoped to
# CNAMEs targeting *.pages.dev — nothing else is ever touched.
# Targets resolve upstream to CF edge IPs; no hairpin involved.
VALIA=$$(kubectl get configmap valia-sites-dns -n technitium -o go-template='{{range $$k, $$v := .data}}{{$$k}} {{$$v}}{{"\n"}}{{end}}' 2>/dev/null || true)
if [ -n "$$VALIA" ]; then
  printf '%s\n' "$$VALIA" | while read -r VNAME VTARGET; do
    [ -z "$$VNAME" ] && continue
    CUR=$$(curl -sf "$$TECH_API/api/zones/records/get?token=$$TOKEN&zone=$$ZONE&domain=$$VNAME.$$ZONE" | grep -o '"cname":"[^"]*"' | head -1 | cut -d'"' -f4)
    if [ "$$CUR" = "$$VTARGET" ]; then
      echo "valia: $$VNAME.$$ZONE ok"
      continue
    fi
    if [ -n "$$CUR" ]; then
      curl -sf -G "$$TECH_API/api/zones/records/delete" --data-urlencode "token=$$TOKEN" --data-urlencode "zone=$$ZONE" --data-urlencode "domain=$$VNAME.$$ZONE" --data-urlencode "type=CNAME" --data-urlencode "cname=$$CUR" > /dev/null || true
    fi
    R=$$(curl -sf -G "$$TECH_API/api/zones/records/add" --data-urlencode "token=$$TOKEN" --data-urlencode "zone=$$ZONE" --data-urlencode "domain=$$VNAME.$$ZONE" --data-urlencode "type=CNAME" --data-urlencode "cname=$$VTARGET" --data-urlencode "ttl=3600") || true
    echo "$$R" | grep -q '"status":"ok"' && echo "valia: set $$VNAME.$$ZONE -> $$VTARGET" || echo "valia: FAILED $$VNAME.$$ZONE -- $$R"
  done
  # Deletion pass: zone CNAMEs targeting *.pages.dev that are
  # no longer in the map. ZONE_DUMP predates this run's adds,
  # but just-set names are in $VALIA so they're never deleted.
  printf '%s' "$$ZONE_DUMP" | tr ',' '\n' | awk -F'"' '/"name":/{n=$$4} /"cname":/{print n" "$$4}' | grep '\.pages\.dev *$$' | while read -r RNAME RTARGET; do
    SHORT=$${RNAME%%.$$ZONE}
    printf '%s\n' "$$VALIA" | grep -q "^$$SHORT " && continue
    curl -sf -G "$$TECH_API/api/zones/records/delete" --data-urlencode "token=$$TOKEN" --data-urlencode "zone=$$ZONE" --data-urlencode "domain=$$RNAME" --data-urlencode "type=CNAME" --data-urlencode "cname=$$RTARGET" > /dev/null && echo "valia: removed stale $$RNAME -> $$RTARGET"
  done
else
  echo "valia: CM valia-sites-dns absent/unreadable -- skipping Pages CNAMEs this run"
fi

# Pin the .lan ingress anchor A record to the LIVE Traefik LB IP.
# *.viktorbarzin.lan ingress hosts CNAME to ingress.viktorbarzin.lan,
# so a Traefik LB IP move that misses the .lan zone silently breaks
# every internal exporter + HA-sourced sensor (regression 2026-05-30:
# .200 -> .203 migration updated .me but not .lan). This keeps the
# anchor self-correcting on future IP moves.
TRAEFIK_IP=$$(kubectl get svc traefik -n traefik -o jsonpath='{.status.loadBalancer.ingress[0].ip}' 2>/dev/null)
if [ -n "$$TRAEFIK_IP" ]; then
  LAN_CUR=$$(curl -sf "$$TECH_API/api/zones/records/get?token=$$TOKEN&zone=viktorbarzin.lan&domain=ingress.viktorbarzin.lan&listZone=false" | grep -o '"ipAddress":"[^"]*"' | head -1 | cut -d'"' -f4)
  if [ -z "$$LAN_CUR" ]; then
    curl -sf "$$TECH_API/api/zones/records/add?token=$$TOKEN&zone=viktorbarzin.lan&domain=ingress.viktorbarzin.lan&type=A&ipAddress=$$TRAEFIK_IP&ttl=300" >/dev/null && echo "Added ingress.viktorbarzin.lan A -> $$TRAEFIK_IP"
  elif [ "$$LAN_CUR" != "$$TRAEFIK_IP" ]; then
    curl -sf "$$TECH_API/api/zones/records/update?token=$$TOKEN&zone=viktorbarzin.lan&domain=ingress.viktorbarzin.lan&type=A&ipAddress=$$LAN_CUR&newIpAddress=$$TRAEFIK_IP&ttl=300" >/dev/null && echo "Updated ingress.viktorbarzin.lan A: $$LAN_CUR -> $$TRAEFIK_IP"
  else
    echo "ingress.viktorbarzin.lan A already $$TRAEFIK_IP"
  fi
else
  echo "WARN: could not resolve Traefik LB IP; skipping .lan anchor sync"
fi
