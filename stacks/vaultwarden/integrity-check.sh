                set -euo pipefail
                apk add --no-cache sqlite curl >/dev/null 2>&1
                PUSHGW="http://prometheus-prometheus-pushgateway.monitoring.svc.cluster.local:9091"
                result=$(sqlite3 /data/db.sqlite3 "PRAGMA integrity_check;" 2>&1)
                if echo "$$result" | grep -q "^ok$$"; then
                  echo "SQLite integrity check passed"
                  cat <<METRICS | curl -s --data-binary @- "$$PUSHGW/metrics/job/vaultwarden-integrity/instance/vaultwarden"
vaultwarden_sqlite_integrity_ok 1
vaultwarden_sqlite_integrity_check_timestamp $(date +%s)
METRICS
                else
                  echo "ERROR: SQLite integrity check FAILED: $$result"
                  cat <<METRICS | curl -s --data-binary @- "$$PUSHGW/metrics/job/vaultwarden-integrity/instance/vaultwarden"
vaultwarden_sqlite_integrity_ok 0
vaultwarden_sqlite_integrity_check_timestamp $(date +%s)
METRICS
                  exit 1
                fi
