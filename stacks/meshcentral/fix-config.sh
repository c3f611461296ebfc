CONFIG=/opt/meshcentral/meshcentral-data/config.json
if [ -f "$CONFIG" ]; then
  # Disable certUrl when using Traefik reverse proxy with TLS offload
  sed -i 's/"certUrl":/"_certUrl":/g' "$CONFIG"

  # Fix WebRTC value from string to boolean
  sed -i 's/"WebRTC": "[^"]*"/"WebRTC": false/g' "$CONFIG"

  # Ensure TLSOffload is enabled (Traefik terminates TLS, MeshCentral serves HTTP on 443)
  sed -i 's/"_TLSOffload":/"TLSOffload":/g' "$CONFIG"
  sed -i 's/"TLSOffload": "[^"]*"/"TLSOffload": true/g' "$CONFIG"
  sed -i 's/"TLSOffload": false/"TLSOffload": true/g' "$CONFIG"

  # ignoreAgentHashCheck: stop pinning the OUTER (Traefik) TLS cert hash on the
  # agent handshake. With TLS offload, the agent sees Traefik's Let's Encrypt
  # cert (which also differs between the internal .203 LB and the external
  # Cloudflare path, and rotates ~monthly), not MeshCentral's own webserver
  # cert — so the default cert-pin fails with "Agent bad web cert hash" and
  # holds EVERY agent connection (the whole fleet went offline). With this set,
  # MeshCentral echoes back whatever cert hash the agent reports, so the
  # pin succeeds on any path/cert. The agent's separate mesh-certificate
  # handshake (ServerID) still authenticates the server — this only drops the
  # redundant outer-TLS pin, which is safe behind our trusted-network Traefik.
  # Insert the key right after TLSOffload (guaranteed present post-patch) if not
  # already there. MeshCentral lowercases settings keys, so casing is flexible.
  if ! grep -qi '"ignoreAgentHashCheck"' "$CONFIG"; then
    sed -i 's/"TLSOffload": true/"TLSOffload": true,\n    "ignoreAgentHashCheck": true/' "$CONFIG"
  fi
else
  # First run: create config from template before startup.sh runs, so REVERSE_PROXY
  # env var doesn't generate a bad certUrl. Pre-seed with correct values.
  cat > "$CONFIG" <<'CONF'
{
  "$schema": "http://info.meshcentral.com/downloads/meshcentral-config-schema.json",
  "settings": {
    "cert": "meshcentral.viktorbarzin.me",
    "_WANonly": true,
    "_LANonly": true,
    "port": 443,
    "redirPort": 80,
    "AgentPong": 300,
    "TLSOffload": true,
    "ignoreAgentHashCheck": true,
    "SelfUpdate": false,
    "AllowFraming": false,
    "WebRTC": false
  },
  "domains": {
    "": {
      "NewAccounts": false
    }
  }
}
CONF
fi
