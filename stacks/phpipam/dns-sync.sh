set -e
TECH_URL="http://technitium-web.technitium.svc.cluster.local:5380"

# Login to Technitium
TECH_TOKEN=$$(curl -sf "$$TECH_URL/api/user/login?user=admin&pass=$$TECH_PASS" | sed 's/.*"token":"\([^"]*\)".*/\1/')
if [ -z "$$TECH_TOKEN" ]; then echo "Technitium login failed"; exit 1; fi
echo "Technitium auth OK"

# Query phpIPAM MySQL directly for hosts with hostnames
HOSTS=$$(mysql -h $$DB_HOST -u $$DB_USER -p$$DB_PASS $$DB_NAME -N -B -e \
  "SELECT INET_NTOA(ip_addr), hostname FROM ipaddresses WHERE hostname != '' AND hostname IS NOT NULL AND subnetId >= 7")

SYNCED=0
echo "$$HOSTS" | while IFS=$$'\t' read -r IP HOSTNAME; do
  [ -z "$$IP" ] || [ -z "$$HOSTNAME" ] && continue
  SHORT=$$(echo "$$HOSTNAME" | cut -d. -f1)
  FQDN="$$SHORT.viktorbarzin.lan"

  # A record
  curl -sf -o /dev/null -X POST "$$TECH_URL/api/zones/records/add?token=$$TECH_TOKEN" \
    -d "domain=$$FQDN&zone=viktorbarzin.lan&type=A&ipAddress=$$IP&overwrite=true&ttl=300"

  # PTR record
  O1=$$(echo $$IP | cut -d. -f1); O2=$$(echo $$IP | cut -d. -f2)
  O3=$$(echo $$IP | cut -d. -f3); O4=$$(echo $$IP | cut -d. -f4)
  curl -sf -o /dev/null -X POST "$$TECH_URL/api/zones/records/add?token=$$TECH_TOKEN" \
    -d "domain=$$O4.$$O3.$$O2.$$O1.in-addr.arpa&zone=$$O3.$$O2.$$O1.in-addr.arpa&type=PTR&ptrName=$$FQDN&overwrite=true&ttl=300" 2>/dev/null || true

  SYNCED=$$((SYNCED + 1))
  echo "  $$IP -> $$FQDN"
done
echo "Push sync complete"

# Reverse sync: pull hostnames from DNS into phpIPAM for unnamed entries
echo ""
echo "=== Reverse sync: DNS -> phpIPAM ==="
UNNAMED=$$(mysql -h $$DB_HOST -u $$DB_USER -p$$DB_PASS $$DB_NAME -N -B -e \
  "SELECT id, INET_NTOA(ip_addr) FROM ipaddresses WHERE (hostname IS NULL OR hostname = '') AND subnetId >= 7")

echo "$$UNNAMED" | while IFS=$$'\t' read -r ID IP; do
  [ -z "$$ID" ] || [ -z "$$IP" ] && continue
  # Query Technitium for PTR record
  O1=$$(echo $$IP | cut -d. -f1); O2=$$(echo $$IP | cut -d. -f2)
  O3=$$(echo $$IP | cut -d. -f3); O4=$$(echo $$IP | cut -d. -f4)
  PTR_NAME="$$O4.$$O3.$$O2.$$O1.in-addr.arpa"
  REV_ZONE="$$O3.$$O2.$$O1.in-addr.arpa"
  RESULT=$$(curl -sf "$$TECH_URL/api/zones/records/get?token=$$TECH_TOKEN&domain=$$PTR_NAME&zone=$$REV_ZONE&type=PTR" 2>/dev/null)
  HOSTNAME=$$(echo "$$RESULT" | sed -n 's/.*"ptrName":"\([^"]*\)".*/\1/p' | head -1)
  [ -z "$$HOSTNAME" ] && continue

  # Extract short name
  SHORT=$$(echo "$$HOSTNAME" | cut -d. -f1)
  [ -z "$$SHORT" ] && continue

  # Update phpIPAM
  mysql -h $$DB_HOST -u $$DB_USER -p$$DB_PASS $$DB_NAME -e \
    "UPDATE ipaddresses SET hostname='$$SHORT' WHERE id=$$ID AND (hostname IS NULL OR hostname = '')"
  echo "  $$IP -> $$SHORT (from DNS)"
done
echo "Bidirectional sync complete"
