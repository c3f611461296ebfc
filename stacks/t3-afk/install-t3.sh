set -e
export npm_config_cache=/data/npm-cache
export npm_config_prefix=/data/npm-global
mkdir -p /data/npm-global /data/npm-cache
if [ ! -x /data/npm-global/bin/t3 ]; then
  echo "installing t3@0.0.27 + claude CLI ..."
  npm install -g "t3@0.0.27" "@anthropic-ai/claude-code@latest"
else
  echo "t3 already installed: $(/data/npm-global/bin/t3 --version 2>/dev/null || echo unknown)"
fi
