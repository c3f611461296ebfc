set -u
apk add --no-cache curl python3 >/dev/null 2>&1

# Probe 1 — HTTP GET /token (Cloudflare → Traefik → ttyd).
# Without an Authentik cookie the response MUST be 302
# (forward-auth redirect). 404 means a Traefik router is
# missing on the replica that received the request.
TOKEN_STATUS=$(curl -sk -o /dev/null -w "%{http_code}" \
    --max-time 10 \
    "https://${TARGET_HOST}/token?arg=probe" || echo 0)

# Probe 2 — WebSocket upgrade to /ws. Same expectation: 302.
# 404 here is what produced "Failed to connect" in the lobby
# iframe. Use Python for a true Upgrade request — curl's
# synthetic upgrade headers don't always trigger the WS path
# through every Cloudflare POP.
WS_STATUS=$(python3 - <<'PYEOF' 2>/dev/null || echo 0
import ssl, socket, base64, os
try:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    sock = socket.create_connection((os.environ["TARGET_HOST"], 443), timeout=10)
    ssock = ctx.wrap_socket(sock, server_hostname=os.environ["TARGET_HOST"])
    key = base64.b64encode(os.urandom(16)).decode()
    req = (
        "GET /ws?arg=probe HTTP/1.1\r\n"
        f"Host: {os.environ['TARGET_HOST']}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: tty\r\n"
        f"Origin: https://{os.environ['TARGET_HOST']}\r\n"
        "\r\n"
    )
    ssock.sendall(req.encode())
    ssock.settimeout(5)
    data = ssock.recv(2048)
    ssock.close()
    first = data.split(b"\r\n")[0].decode("ascii", "ignore")
    parts = first.split()
    print(parts[1] if len(parts) >= 2 and parts[1].isdigit() else 0)
except Exception:
    print(0)
PYEOF
)

# Probe 3 — ttyd Service ClusterIP. Bypasses Cloudflare /
# Traefik / Authentik so we can tell whether the failure mode
# is "ttyd down" vs "edge proxy misrouting".
TTYD_STATUS=$(curl -s -o /dev/null -w "%{http_code}" \
    --max-time 5 -H "X-authentik-username: probe" \
    "http://terminal.terminal.svc.cluster.local/token" || echo 0)

OK=0
if [ "$$TOKEN_STATUS" = "302" ] && [ "$$WS_STATUS" = "302" ] && [ "$$TTYD_STATUS" = "200" ]; then
  OK=1
fi
NOW=$(date +%s)

cat <<METRICS | curl -sf --max-time 10 --data-binary @- "$$PUSHGATEWAY" >/dev/null 2>&1 || true
# HELP webterminal_probe_token_status HTTP status from GET /token via Cloudflare.
# TYPE webterminal_probe_token_status gauge
webterminal_probe_token_status ${TOKEN_STATUS:-0}
# HELP webterminal_probe_ws_status HTTP status from WebSocket upgrade /ws via Cloudflare.
# TYPE webterminal_probe_ws_status gauge
webterminal_probe_ws_status ${WS_STATUS:-0}
# HELP webterminal_probe_ttyd_status HTTP status from in-cluster ttyd /token.
# TYPE webterminal_probe_ttyd_status gauge
webterminal_probe_ttyd_status ${TTYD_STATUS:-0}
# HELP webterminal_probe_last_success_timestamp Unix ts of last fully-OK probe.
# TYPE webterminal_probe_last_success_timestamp gauge
webterminal_probe_last_success_timestamp $$([ "$$OK" = "1" ] && echo "$$NOW" || echo 0)
METRICS

echo "probe: token=${TOKEN_STATUS} ws=${WS_STATUS} ttyd=${TTYD_STATUS} ok=${OK}"
