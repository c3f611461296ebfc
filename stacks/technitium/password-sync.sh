set -e
TOKEN=$$(curl -sf "http://technitium-web:5380/api/user/login?user=$$TECH_USER&pass=$$TECH_PASS" | grep -o '"token":"[^"]*"' | cut -d'"' -f4)
if [ -z "$$TOKEN" ]; then echo "Login failed"; exit 1; fi

# Uninstall MySQL + SQLite query log plugins if present.
# These must be REMOVED, not just disabled — Technitium re-enables
# disabled plugins on pod restart, causing 46+ GB/day of writes.
# Only PostgreSQL query logging should remain.
APPS=$$(curl -sf "http://technitium-web:5380/api/apps/list?token=$$TOKEN")
if echo "$$APPS" | grep -q 'Query Logs (MySQL)'; then
  curl -sf -X POST "http://technitium-web:5380/api/apps/uninstall?token=$$TOKEN&name=Query%20Logs%20(MySQL)"
  echo "MySQL query log plugin UNINSTALLED"
else
  echo "MySQL query log plugin already absent"
fi
if echo "$$APPS" | grep -q 'Query Logs (Sqlite)'; then
  curl -sf -X POST "http://technitium-web:5380/api/apps/uninstall?token=$$TOKEN&name=Query%20Logs%20(Sqlite)"
  echo "SQLite query log plugin UNINSTALLED"
else
  echo "SQLite query log plugin already absent"
fi

# Ensure PG plugin is loaded
if ! echo "$$APPS" | grep -q 'Query Logs (Postgres)'; then
  echo "WARNING: PG plugin not loaded — reinstall manually via Technitium UI"
fi

# Configure PG query logging (updates password from Vault rotation)
PG_CONFIG="{\"enableLogging\":true,\"maxQueueSize\":1000000,\"maxLogDays\":90,\"maxLogRecords\":0,\"databaseName\":\"technitium\",\"connectionString\":\"Host=${var.postgresql_host}; Port=5432; Username=technitium; Password=$$DB_PASSWORD;\"}"
curl -sf -X POST "http://technitium-web:5380/api/apps/config/set?token=$$TOKEN" --data-urlencode "name=Query Logs (Postgres)" --data-urlencode "config=$$PG_CONFIG"
echo "PG logging configured on primary"

# Bound the on-disk log. Technitium's LogManager opens the day's
# log file BEFORE it binds :53, so a full config PVC is a hard
# startup failure that no restart can clear — that is how the DNS
# primary stayed down for 27.6h on 2026-08-04. Two knobs:
#   maxLogFileDays=7 — was the 365-day default, so NOTHING was ever
#     pruned: 112 daily files / 4.3 GB had accumulated.
#   logQueries=false — the primary was writing EVERY query to the
#     daily file (~223 MB/day) on top of the PG query log. That
#     duplication was the actual volume driver; PG (dns_logs, 90-day
#     retention) is the query-log system of record. Secondary and
#     tertiary already had it off. Server events (startup, zone
#     loads, errors) are governed by enableLogging and are retained.
for INST in http://technitium-web:5380 http://technitium-secondary-web:5380 http://technitium-tertiary-web:5380; do
  L_TOKEN=$$TOKEN
  if [ "$$INST" != "http://technitium-web:5380" ]; then
    L_TOKEN=$$(curl -sf "$$INST/api/user/login?user=$$TECH_USER&pass=$$TECH_PASS" | grep -o '"token":"[^"]*"' | cut -d'"' -f4)
  fi
  if [ -z "$$L_TOKEN" ]; then echo "Login failed for $$INST, skipping log retention"; continue; fi
  curl -sf -X POST "$$INST/api/settings/set?token=$$L_TOKEN&maxLogFileDays=7&logQueries=false" >/dev/null \
    && echo "maxLogFileDays=7 logQueries=false set on $$INST" \
    || echo "WARNING: could not set log retention on $$INST"
done

# Uninstall MySQL/SQLite on secondary and tertiary instances too
for INST in http://technitium-secondary-web:5380 http://technitium-tertiary-web:5380; do
  echo "Configuring $$INST"
  R_TOKEN=$$(curl -sf "$$INST/api/user/login?user=$$TECH_USER&pass=$$TECH_PASS" | grep -o '"token":"[^"]*"' | cut -d'"' -f4)
  if [ -z "$$R_TOKEN" ]; then echo "Login failed for $$INST, skipping"; continue; fi
  R_APPS=$$(curl -sf "$$INST/api/apps/list?token=$$R_TOKEN")
  echo "$$R_APPS" | grep -q 'Query Logs (MySQL)' && curl -sf -X POST "$$INST/api/apps/uninstall?token=$$R_TOKEN&name=Query%20Logs%20(MySQL)" && echo "MySQL uninstalled on $$INST"
  echo "$$R_APPS" | grep -q 'Query Logs (Sqlite)' && curl -sf -X POST "$$INST/api/apps/uninstall?token=$$R_TOKEN&name=Query%20Logs%20(Sqlite)" && echo "SQLite uninstalled on $$INST"
done
echo "Password sync complete"
