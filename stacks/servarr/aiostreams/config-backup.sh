                pip install --quiet --disable-pip-version-check requests && python3 -c '
import requests, os, time, json, sys, datetime, glob

BASE = "http://aiostreams.aiostreams.svc.cluster.local"
PUSHGATEWAY = "http://prometheus-prometheus-pushgateway.monitoring:9091/metrics/job/aiostreams-config-backup"
UUID = os.environ["AIOSTREAMS_UUID"]
PW = os.environ["AIOSTREAMS_PASSWORD"]
BACKUP_DIR = "/backup"
RETENTION_DAYS = 90

success = 0
bytes_written = 0
start = time.time()

try:
    r = requests.get(f"{BASE}/api/v1/user/", params={"uuid": UUID, "password": PW, "raw": "true"}, timeout=30)
    r.raise_for_status()
    data = r.json()["data"]["userData"]
    if not data:
        raise RuntimeError("empty userData from API")

    os.makedirs(BACKUP_DIR, exist_ok=True)
    ts = datetime.datetime.utcnow().strftime("%Y-%m-%d_%H%M")
    path = f"{BACKUP_DIR}/config-{ts}.json"
    with open(path, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
    bytes_written = os.path.getsize(path)
    os.chmod(path, 0o600)
    print(f"OK wrote {path} ({bytes_written} bytes)")

    # Prune backups older than RETENTION_DAYS
    cutoff = time.time() - (RETENTION_DAYS * 86400)
    pruned = 0
    for f in glob.glob(f"{BACKUP_DIR}/config-*.json"):
        if os.path.getmtime(f) < cutoff:
            os.unlink(f)
            pruned += 1
    if pruned:
        print(f"Pruned {pruned} old backups")
    success = 1
except Exception as e:
    print(f"ERROR: {e}", file=sys.stderr)

duration = time.time() - start
body = (
    "# TYPE aiostreams_config_backup_success gauge\n"
    f"aiostreams_config_backup_success {success}\n"
    "# TYPE aiostreams_config_backup_bytes gauge\n"
    f"aiostreams_config_backup_bytes {bytes_written}\n"
    "# TYPE aiostreams_config_backup_duration_seconds gauge\n"
    f"aiostreams_config_backup_duration_seconds {duration:.3f}\n"
    "# TYPE aiostreams_config_backup_last_run_timestamp gauge\n"
    f"aiostreams_config_backup_last_run_timestamp {int(time.time())}\n"
)
try:
    requests.post(PUSHGATEWAY, data=body, timeout=10).raise_for_status()
except Exception as e:
    print(f"WARN: pushgateway POST failed: {e}", file=sys.stderr)

sys.exit(0 if success else 1)
'
