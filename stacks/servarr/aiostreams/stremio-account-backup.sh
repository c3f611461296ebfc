                pip install --quiet --disable-pip-version-check requests && python3 -c '
import requests, os, time, json, sys, datetime, glob

BASE = "https://api.strem.io/api"
PUSHGATEWAY = "http://prometheus-prometheus-pushgateway.monitoring:9091/metrics/job/stremio-account-backup"
EMAIL = os.environ["STREMIO_EMAIL"]
PASSWORD = os.environ["STREMIO_PASSWORD"]
BACKUP_DIR = "/backup"
RETENTION_DAYS = 90

success = 0
bytes_written = 0
addon_count = 0
start = time.time()

try:
    r = requests.post(f"{BASE}/login", json={"type":"Login","email":EMAIL,"password":PASSWORD}, timeout=20)
    r.raise_for_status()
    auth = r.json()["result"]["authKey"]

    r2 = requests.post(f"{BASE}/addonCollectionGet", json={"type":"AddonCollectionGet","authKey":auth,"update":True}, timeout=30)
    r2.raise_for_status()
    addons = r2.json()["result"]["addons"]
    addon_count = len(addons)

    os.makedirs(BACKUP_DIR, exist_ok=True)
    ts = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d_%H%M")
    path = f"{BACKUP_DIR}/stremio-collection-{ts}.json"
    payload = {"capturedAt": ts, "email": EMAIL, "addonCount": addon_count, "addons": addons}
    with open(path, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=True)
    bytes_written = os.path.getsize(path)
    os.chmod(path, 0o600)
    print(f"OK wrote {path} ({bytes_written} bytes, {addon_count} addons)")

    # Logout to invalidate the auth key
    try:
        requests.post(f"{BASE}/logout", json={"type":"Logout","authKey":auth}, timeout=10)
    except Exception:
        pass

    # Prune older than RETENTION_DAYS
    cutoff = time.time() - (RETENTION_DAYS * 86400)
    pruned = 0
    for f in glob.glob(f"{BACKUP_DIR}/stremio-collection-*.json"):
        if os.path.getmtime(f) < cutoff:
            os.unlink(f); pruned += 1
    if pruned: print(f"Pruned {pruned} old backups")
    success = 1
except Exception as e:
    print(f"ERROR: {e}", file=sys.stderr)

duration = time.time() - start
body = (
    "# TYPE stremio_account_backup_success gauge\n"
    f"stremio_account_backup_success {success}\n"
    "# TYPE stremio_account_backup_bytes gauge\n"
    f"stremio_account_backup_bytes {bytes_written}\n"
    "# TYPE stremio_account_backup_addon_count gauge\n"
    f"stremio_account_backup_addon_count {addon_count}\n"
    "# TYPE stremio_account_backup_duration_seconds gauge\n"
    f"stremio_account_backup_duration_seconds {duration:.3f}\n"
    "# TYPE stremio_account_backup_last_run_timestamp gauge\n"
    f"stremio_account_backup_last_run_timestamp {int(time.time())}\n"
)
try:
    requests.post(PUSHGATEWAY, data=body, timeout=10).raise_for_status()
except Exception as e:
    print(f"WARN: pushgateway POST failed: {e}", file=sys.stderr)

sys.exit(0 if success else 1)
'
