                pip install --quiet --disable-pip-version-check uptime-kuma-api
                python3 << 'PYEOF'
import os, json, ssl, time, urllib.request, urllib.error
from uptime_kuma_api import UptimeKumaApi, MonitorType

UPTIME_KUMA_URL = "http://uptime-kuma.uptime-kuma.svc.cluster.local"
UPTIME_KUMA_PASS = os.environ["UPTIME_KUMA_PASSWORD"]
FALLBACK_FILE = "/config/targets.json"
PREFIX = "[External] "
ANNOTATION_ENABLE = "uptime.viktorbarzin.me/external-monitor"
ANNOTATION_NAME = "uptime.viktorbarzin.me/external-monitor-name"
ANNOTATION_PATH = "uptime.viktorbarzin.me/external-monitor-path"
DEFAULT_PATH = "/"
# Homepages often serve 200/30x/40x even when backends are degraded.
# When an explicit probe path is set we expect a real healthz: tighten codes.
STATUSCODES_LENIENT = ["200-299", "300-399", "400-499"]
STATUSCODES_STRICT = ["200-299"]
# Synthetic client IP for probes of Anubis-fronted hosts. Anubis 500s a request
# with no client IP; this in-cluster probe carries none. TEST-NET-3 (RFC5737)
# is a documentation range Anubis treats as a public client (survives
# XFF_STRIP_PRIVATE), so the probe gets the PoW challenge page (200) not a 500.
ANUBIS_PROBE_IP = "203.0.113.10"
ANUBIS_PROBE_HEADERS = '{"X-Forwarded-For": "203.0.113.10"}'
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
API_SERVER = f"https://{os.environ.get('KUBERNETES_SERVICE_HOST', 'kubernetes.default.svc.cluster.local')}:{os.environ.get('KUBERNETES_SERVICE_PORT', '443')}"


def load_from_api():
    """List ingresses via in-cluster API. Opt-OUT by default:
    every ingress whose host matches *.viktorbarzin.me gets a monitor,
    UNLESS its annotation `uptime.viktorbarzin.me/external-monitor` is `"false"`.
    This covers Helm-managed ingresses (authentik, grafana, vault, forgejo, ntfy)
    that don't go through ingress_factory."""
    with open(f"{SA_DIR}/token") as f:
        token = f.read().strip()
    ctx = ssl.create_default_context(cafile=f"{SA_DIR}/ca.crt")
    url = f"{API_SERVER}/apis/networking.k8s.io/v1/ingresses"
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
        body = json.loads(resp.read())

    targets = []
    seen = set()
    for ing in body.get("items", []):
        anns = (ing.get("metadata") or {}).get("annotations") or {}
        if anns.get(ANNOTATION_ENABLE, "").lower() == "false":
            continue  # explicit opt-out
        tls = (ing.get("spec") or {}).get("tls") or []
        host = None
        if tls and tls[0].get("hosts"):
            host = tls[0]["hosts"][0]
        else:
            rules = (ing.get("spec") or {}).get("rules") or []
            if rules:
                host = rules[0].get("host")
        if not host or not host.endswith(".viktorbarzin.me"):
            continue  # skip internal-only or non-public hosts
        label = anns.get(ANNOTATION_NAME) or host.split(".")[0]
        monitor_name = f"{PREFIX}{label}"
        if monitor_name in seen:
            continue  # dedupe by final monitor name, not hostname (fixes duplicate creation)
        seen.add(monitor_name)
        path = anns.get(ANNOTATION_PATH, "").strip()
        if path and not path.startswith("/"):
            path = "/" + path
        # Omit trailing slash when no explicit path — matches pre-existing monitor URLs
        # and avoids every sync re-updating unchanged monitors.
        url = f"https://{host}{path}" if path else f"https://{host}"
        statuscodes = STATUSCODES_STRICT if path else STATUSCODES_LENIENT
        # Anubis-fronted ingresses reject a request that carries no client IP
        # with HTTP 500 ("X-Real-Ip header is not set"). This in-cluster probe
        # resolves *.viktorbarzin.me to the internal Traefik LB (split-horizon)
        # and arrives with neither X-Real-Ip nor XFF, so it needs a synthetic
        # XFF (see ANUBIS_PROBE_HEADERS). Detect by the backend service (anubis-*).
        svc_names = [
            ((p.get("backend") or {}).get("service") or {}).get("name", "")
            for r in ((ing.get("spec") or {}).get("rules") or [])
            for p in (((r.get("http") or {}).get("paths")) or [])
        ]
        is_anubis = any(s.startswith("anubis-") for s in svc_names)
        targets.append({"name": label, "url": url, "statuscodes": statuscodes, "anubis": is_anubis})
    return targets


def load_from_configmap():
    """Legacy fallback: read the ConfigMap list."""
    with open(FALLBACK_FILE) as f:
        raw = json.load(f)
    return [{"name": t["name"], "url": t["url"], "statuscodes": STATUSCODES_LENIENT} for t in raw]


try:
    targets = load_from_api()
    source = "k8s-api"
    if not targets:
        print("WARN: k8s-api returned 0 targets; falling back to ConfigMap")
        targets = load_from_configmap()
        source = "configmap"
except (urllib.error.URLError, OSError, KeyError, ValueError) as e:
    print(f"WARN: k8s-api discovery failed ({e!r}); falling back to ConfigMap")
    targets = load_from_configmap()
    source = "configmap"

print(f"Loaded {len(targets)} external monitor targets (source={source})")

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

monitors = api.get_monitors()
existing_external = {}
for m in monitors:
    if m["name"].startswith(PREFIX):
        existing_external[m["name"]] = m

target_names = set()
targets_by_name = {}
created = 0
for t in targets:
    monitor_name = f"{PREFIX}{t['name']}"
    target_names.add(monitor_name)
    targets_by_name[monitor_name] = t
    if monitor_name not in existing_external:
        print(f"Creating monitor: {monitor_name} -> {t['url']}")
        add_kwargs = dict(
            type=MonitorType.HTTP,
            name=monitor_name,
            url=t["url"],
            interval=300,
            maxretries=3,
            accepted_statuscodes=t["statuscodes"],
        )
        if t.get("anubis"):
            add_kwargs["headers"] = ANUBIS_PROBE_HEADERS
        api.add_monitor(**add_kwargs)
        created += 1
        time.sleep(0.3)

# Update monitors whose target URL or accepted status codes drifted
# (e.g., new probe-path annotation added on an existing ingress).
updated = 0
for monitor_name, t in targets_by_name.items():
    existing = existing_external.get(monitor_name)
    if not existing:
        continue
    current_url = existing.get("url")
    current_codes = existing.get("accepted_statuscodes") or []
    # Anubis monitors need the synthetic XFF header. Detect drift by IP presence
    # (not exact-string) so kuma's own header re-formatting doesn't churn.
    header_drift = bool(t.get("anubis")) and ANUBIS_PROBE_IP not in (existing.get("headers") or "")
    if current_url == t["url"] and current_codes == t["statuscodes"] and not header_drift:
        continue
    print(f"Updating monitor {monitor_name}: {current_url} -> {t['url']} (codes {current_codes} -> {t['statuscodes']}, header_drift={header_drift})")
    edit_kwargs = dict(
        url=t["url"],
        accepted_statuscodes=t["statuscodes"],
    )
    if t.get("anubis"):
        edit_kwargs["headers"] = ANUBIS_PROBE_HEADERS
    api.edit_monitor(existing["id"], **edit_kwargs)
    updated += 1
    time.sleep(0.3)

# Remove monitors for services no longer in the list
deleted = 0
for name, m in existing_external.items():
    if name not in target_names:
        print(f"Deleting orphaned monitor: {name}")
        api.delete_monitor(m["id"])
        deleted += 1
        time.sleep(0.3)

api.disconnect()
unchanged = len(target_names) - created - updated
print(f"Sync complete: {created} created, {updated} updated, {deleted} deleted, {unchanged} unchanged")
PYEOF
