# Symlink /home/node/.ssh → persistent .ssh so the ssh client
# finds id_rsa/config/known_hosts via $HOME/.ssh. HOME is
# /home/node (image overlay), .ssh files live on the PVC
# at /home/node/.openclaw/.ssh (set up by init 5).
ln -sfn /home/node/.openclaw/.ssh /home/node/.ssh
# FAST critical path (runs synchronously, ~seconds): doctor repairs
# config + wipes plugins.allow; config patch restores our plugins to
# the allow list. --allow-unconfigured then loads them at gateway
# start WITHOUT needing the slow `plugins enable` step.
node openclaw.mjs doctor --fix 2>/dev/null
echo '{"plugins":{"allow":["memory-core","recruiter-api","telegram","openrouter","brave","openai","codex"]}}' \
  | timeout 20 node openclaw.mjs config patch --stdin 2>/dev/null || true
# SLOW/optional steps run in the BACKGROUND so they can NEVER delay
# the gateway past its readiness/liveness window. The gateway loads
# plugins from plugins.allow above regardless; mcp servers register
# asynchronously.
(
  timeout 30 node openclaw.mjs models set nim/meta/llama-3.1-70b-instruct 2>/dev/null
  timeout 30 node openclaw.mjs mcp set ha "{\"url\":\"$HA_SOFIA_MCP_URL\",\"transport\":\"streamable-http\"}" 2>/dev/null
  timeout 30 node openclaw.mjs mcp set context7 '{"command":"npx","args":["-y","@upstash/context7-mcp"]}' 2>/dev/null
  timeout 30 node openclaw.mjs mcp set playwright '{"url":"http://localhost:3000/mcp","transport":"streamable-http"}' 2>/dev/null
  timeout 120 node openclaw.mjs plugins enable recruiter-api 2>/dev/null
  timeout 120 node openclaw.mjs memory index --force 2>/dev/null
) >/dev/null 2>&1 &
exec node openclaw.mjs gateway --allow-unconfigured --bind lan
