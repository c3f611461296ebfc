set -e
TECH_API="http://technitium-web:5380"

TOKEN=$$(curl -sf "$$TECH_API/api/user/login?user=$$TECH_USER&pass=$$TECH_PASS" | grep -o '"token":"[^"]*"' | cut -d'"' -f4)
if [ -z "$$TOKEN" ]; then echo "ERROR: Technitium login failed"; exit 1; fi

# Feed the loop by REDIRECTION, not a pipe: a piped `while` runs
# in a subshell, so an RC set inside it would be lost and the job
# would report success while failing to write a record.
printf '%s\n' "$$RECORDS" > /tmp/records
RC=0
while read -r ZONE NAME IP; do
  [ -z "$$NAME" ] && continue
  FQDN="$$NAME.$$ZONE"
  REC=$$(curl -sf "$$TECH_API/api/zones/records/get?token=$$TOKEN&zone=$$ZONE&domain=$$FQDN" || true)
  CUR_A=$$(printf '%s' "$$REC" | grep -o '"ipAddress":"[^"]*"' | head -1 | cut -d'"' -f4)

  if [ "$$CUR_A" = "$$IP" ]; then
    echo "static-records: $$FQDN ok ($$IP)"
    continue
  fi

  # A CNAME from the ingress sync (or an older A) would shadow the
  # record we want, so clear whatever is there first.
  CUR_C=$$(printf '%s' "$$REC" | grep -o '"cname":"[^"]*"' | head -1 | cut -d'"' -f4)
  if [ -n "$$CUR_C" ]; then
    curl -sf -G "$$TECH_API/api/zones/records/delete" --data-urlencode "token=$$TOKEN" --data-urlencode "zone=$$ZONE" --data-urlencode "domain=$$FQDN" --data-urlencode "type=CNAME" --data-urlencode "cname=$$CUR_C" > /dev/null || true
    echo "static-records: removed stale CNAME $$FQDN -> $$CUR_C"
  fi
  if [ -n "$$CUR_A" ]; then
    curl -sf -G "$$TECH_API/api/zones/records/delete" --data-urlencode "token=$$TOKEN" --data-urlencode "zone=$$ZONE" --data-urlencode "domain=$$FQDN" --data-urlencode "type=A" --data-urlencode "ipAddress=$$CUR_A" > /dev/null || true
    echo "static-records: removed stale A $$FQDN -> $$CUR_A"
  fi

  R=$$(curl -sf -G "$$TECH_API/api/zones/records/add" --data-urlencode "token=$$TOKEN" --data-urlencode "zone=$$ZONE" --data-urlencode "domain=$$FQDN" --data-urlencode "type=A" --data-urlencode "ipAddress=$$IP" --data-urlencode "ttl=3600") || true
  if echo "$$R" | grep -q '"status":"ok"'; then
    echo "static-records: set $$FQDN -> $$IP"
  else
    echo "static-records: FAILED $$FQDN -- $$R"
    RC=1
  fi
done < /tmp/records
exit $$RC
