set -euo pipefail
_t0=$(date +%s)
now=$(date +"%Y_%m_%d_%H_%M")
MYSQL_HOST=mysql.dbaas.svc.cluster.local
failed=0
total=0
ok=0

# Discover all user databases
dbs=$(mysql -u root --host $MYSQL_HOST -N -e \
  "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN ('mysql','information_schema','performance_schema','sys','mysql_innodb_cluster_metadata');")

for db in $dbs; do
  total=$((total + 1))
  mkdir -p /backup/per-db/$db
  echo "=== Backing up $db ==="
  if mysqldump -u root --host $MYSQL_HOST --single-transaction --set-gtid-purged=OFF "$db" | gzip -9 > "/backup/per-db/$db/dump_$now.sql.gz"; then
    _size=$(stat -c%s "/backup/per-db/$db/dump_$now.sql.gz")
    echo "  OK — $(( _size / 1024 )) KiB"
    ok=$((ok + 1))
  else
    echo "  FAILED"
    rm -f "/backup/per-db/$db/dump_$now.sql.gz"
    failed=$((failed + 1))
  fi
done

# Rotate — 14 day retention per database
find /backup/per-db -name "dump_*.sql.gz" -type f -mtime +14 -delete

_dur=$(($(date +%s) - _t0))
echo "=== Per-DB Backup Summary ==="
echo "databases: $total (ok: $ok, failed: $failed)"
echo "duration: ${_dur}s"

curl -sf --data-binary @- "http://prometheus-prometheus-pushgateway.monitoring:9091/metrics/job/mysql-backup-per-db" <<PGEOF || true
backup_duration_seconds ${_dur}
backup_databases_total $total
backup_databases_ok $ok
backup_databases_failed $failed
backup_last_success_timestamp $(date +%s)
PGEOF
