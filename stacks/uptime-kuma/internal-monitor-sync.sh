                pip install --quiet --disable-pip-version-check uptime-kuma-api
                python3 << 'PYEOF'
import json, os, time
from uptime_kuma_api import UptimeKumaApi, MonitorType

UPTIME_KUMA_URL = "http://uptime-kuma.uptime-kuma.svc.cluster.local"
UPTIME_KUMA_PASS = os.environ["UPTIME_KUMA_PASSWORD"]

with open("/config/targets.json") as f:
    targets = json.load(f)

api = None
for _login_try in range(1, 6):
    try:
        api = UptimeKumaApi(UPTIME_KUMA_URL, timeout=120, wait_events=0.2)
        api.login("admin", UPTIME_KUMA_PASS)
        break
    except Exception as _login_err:
        # kuma 2.x's single Node event loop intermittently stalls under its
        # ~300 monitors, so the socket.io login handshake times out. Retry a
        # few times across a ~60s window to ride out the stall instead of
        # failing the whole sync job (which fired JobFailed -> Slack noise).
        print(f"WARN: Kuma login attempt {_login_try}/5 failed: {_login_err!r}")
        if api is not None:
            try:
                api.disconnect()
            except Exception:
                pass
            api = None
        if _login_try == 5:
            raise
        time.sleep(15)

existing = {m["name"]: m for m in api.get_monitors()}

for t in targets:
    name = t["name"]
    mtype = MonitorType(t["type"])
    # MYSQL uses `databaseConnectionString` + `radiusPassword` (UK v2 re-uses
    # radiusPassword for mysql auth — backwards compat). Redis has auth
    # disabled on the cluster, so password_env is null. PORT monitors use
    # hostname + port directly. HTTP monitors use url + accepted_statuscodes
    # + ignoreTls (camelCase on the API; stored as `ignore_tls` in DB).
    desired = {
        "type": mtype,
        "name": name,
        "interval": t["interval"],
        "retryInterval": t["retry_interval"],
        "maxretries": t["max_retries"],
    }
    if mtype == MonitorType.PORT:
        desired["hostname"] = t["hostname"]
        desired["port"] = t["port"]
    elif mtype == MonitorType.HTTP:
        desired["url"] = t["url"]
        desired["accepted_statuscodes"] = t["accepted_statuscodes"]
        desired["ignoreTls"] = bool(t["ignore_tls"])
    else:
        desired["databaseConnectionString"] = t["database_connection_string"]
        if t.get("password_env"):
            desired["radiusPassword"] = os.environ[t["password_env"]]
    if name not in existing:
        print(f"Creating monitor: {name}")
        api.add_monitor(**desired)
        continue
    m = existing[name]
    drift_fields = ["interval", "retryInterval", "maxretries"]
    if mtype == MonitorType.PORT:
        drift_fields += ["hostname", "port"]
    elif mtype == MonitorType.HTTP:
        drift_fields += ["url", "accepted_statuscodes", "ignoreTls"]
    else:
        drift_fields += ["databaseConnectionString"]
        if "radiusPassword" in desired:
            drift_fields += ["radiusPassword"]
    drifted = any(m.get(f) != desired.get(f) for f in drift_fields)
    if drifted:
        print(f"Updating monitor {name} (id={m['id']})")
        edit_kwargs = {f: desired[f] for f in drift_fields if f in desired}
        api.edit_monitor(m["id"], **edit_kwargs)
    else:
        print(f"Monitor {name} (id={m['id']}) already in desired state")
    time.sleep(0.3)

api.disconnect()
print("Internal monitor sync complete")
PYEOF
