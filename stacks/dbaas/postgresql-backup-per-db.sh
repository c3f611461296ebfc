set -euo pipefail
apt-get update -qq && apt-get install -yqq curl >/dev/null 2>&1 || true

_t0=$(date +%s)
now=$(date +"%Y_%m_%d_%H_%M")
PGHOST=pg-cluster-rw.dbaas
PGUSER=postgres
failed=0
total=0
ok=0

# Discover all user databases
dbs=$(PGPASSWORD=$PGPASSWORD psql -h $PGHOST -U $PGUSER -t -A -c \
  "SELECT datname FROM pg_database WHERE datistemplate = false AND datname != 'postgres' ORDER BY datname;")

for db in $dbs; do
  total=$((total + 1))
  mkdir -p /backup/per-db/$db
  echo "=== Backing up $db ==="
  if PGPASSWORD=$PGPASSWORD pg_dump -Fc -h $PGHOST -U $PGUSER "$db" > "/backup/per-db/$db/dump_$now.dump"; then
    _size=$(stat -c%s "/backup/per-db/$db/dump_$now.dump")
    echo "  OK — $(( _size / 1024 )) KiB"
    ok=$((ok + 1))
  else
    echo "  FAILED"
    rm -f "/backup/per-db/$db/dump_$now.dump"
    failed=$((failed + 1))
  fi
done

# Rotate — 14 day retention per database
find /backup/per-db -name "dump_*.dump" -type f -mtime +14 -delete

_dur=$(($(date +%s) - _t0))
echo "=== Per-DB Backup Summary ==="
echo "databases: $total (ok: $ok, failed: $failed)"
echo "duration: ${_dur}s"

curl -sf --data-binary @- "http://prometheus-prometheus-pushgateway.monitoring:9091/metrics/job/postgresql-backup-per-db" <<PGEOF || true
backup_duration_seconds ${_dur}
backup_databases_total $total
backup_databases_ok $ok
backup_databases_failed $failed
backup_last_success_timestamp $(date +%s)
PGEOF
