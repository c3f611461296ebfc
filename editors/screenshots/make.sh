#!/usr/bin/env bash
# Makes the screenshots of editors/vscode/README.md: a diagnostic and a hover from `hlc lsp` in
# VS Code. A manual command, not part of the tests or CI:
#
#   editors/screenshots/make.sh
#
# VS Code's own builds are not to be had from a package registry, so the editor is code-server
# (VS Code in the browser, from npm) with the packaged extension (.vsix) installed, on a scratch
# copy of stacks/, driven by Playwright (playwright-core from npm) in Debian's Chromium. It
# writes vscode-diagnostic.png and vscode-hover.png beside this script.
#
# Needs: Node.js 20 and npm (the code-server below requires Node.js 20), a Rust toolchain,
# Chromium, ripgrep, and what node-gyp builds code-server's native modules with; on Debian:
#   apt-get install chromium ripgrep libkrb5-dev build-essential python3
# Everything it installs goes to a scratch directory outside the repository, kept for the next
# run: HL_SHOTS_DIR (default: $TMPDIR/hl-screenshots). HL_SHOTS_PORT picks the local port
# (default 18457), CHROMIUM the browser (default /usr/bin/chromium).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
scratch=${HL_SHOTS_DIR:-${TMPDIR:-/tmp}/hl-screenshots}
port=${HL_SHOTS_PORT:-18457}
browser=${CHROMIUM:-/usr/bin/chromium}
code_server_version=4.100.3 # the newest line of code-server that runs on Node.js 20
playwright_version=1.65.1

fail() {
  echo "make.sh: $*" >&2
  exit 1
}
for tool in node npm cargo rg curl make g++ python3; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (see the top of this script)"
done
[ -x "$browser" ] || fail "no Chromium at $browser (apt-get install chromium, or set CHROMIUM)"
[ -e /usr/include/gssapi/gssapi.h ] || fail "the Kerberos headers are missing (apt-get install libkrb5-dev)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" = 20 ] || fail "code-server $code_server_version needs Node.js 20, not $(node --version)"
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
  fail "port $port is already in use (set HL_SHOTS_PORT)"
fi

echo "== hlc (debug build)"
(cd "$root" && cargo build -q -p hlc)
hlc="${CARGO_TARGET_DIR:-$root/target}/debug/hlc"
hlc=$(cd "$(dirname "$hlc")" && pwd)/hlc

echo "== the extension package"
(
  cd "$root/editors/vscode"
  [ -d node_modules ] || npm ci --no-audit --no-fund
  npm run -s package >/dev/null
)
vsix="$root/editors/vscode/dist/hl-$(node -p "require('$root/editors/vscode/package.json').version").vsix"
[ -f "$vsix" ] || fail "packaging did not write $vsix"

cs="$scratch/node_modules/code-server"
if [ ! -e "$scratch/installed-$code_server_version" ]; then
  echo "== code-server $code_server_version and playwright-core $playwright_version into $scratch"
  mkdir -p "$scratch"
  cd "$scratch"
  [ -f package.json ] || echo '{ "private": true }' >package.json
  # code-server's postinstall installs VS Code's dependencies, and one of them (@vscode/ripgrep)
  # downloads its binary from GitHub, which a machine with only package registries cannot
  # reach. So scripts are off and the steps of that postinstall are done here, with
  # Debian's rg in place of the download.
  npm install --no-audit --no-fund --ignore-scripts \
    "code-server@$code_server_version" "playwright-core@$playwright_version"
  npm_config_build_from_source=true npm rebuild argon2
  cd "$cs/lib/vscode"
  npm install --no-audit --no-fund --omit=dev --ignore-scripts
  mkdir -p node_modules/@vscode/ripgrep/bin
  cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  npm rebuild kerberos @parcel/watcher @vscode/spdlog @vscode/deviceid native-watchdog
  # node-pty builds, then its postinstall asks npx for node-gyp to write a compile_commands.json
  # that nothing here uses; the built module is what counts.
  npm rebuild node-pty >"$scratch/node-pty.log" 2>&1 || [ -f node_modules/node-pty/build/Release/pty.node ]
  ln -sfn node_modules node_modules.asar
  ln -sfn code-linux.sh bin/remote-cli/code-server
  ln -sfn browser-linux.sh bin/helpers/browser.sh
  (cd extensions && npm install --no-audit --no-fund --omit=dev --ignore-scripts)
  touch "$scratch/installed-$code_server_version"
fi

echo "== a fresh code-server profile with the extension, on a copy of stacks/"
run="$scratch/run"
rm -rf "$run"
mkdir -p "$run/home" "$run/data/User" "$run/extensions" "$run/workspace"
cp -R "$root/stacks" "$run/workspace/stacks"
HLC="$hlc" node -e '
  const settings = {
    "hl.server.path": process.env.HLC,
    "workbench.colorTheme": "Default Dark Modern",
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "security.workspace.trust.enabled": false,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "editor.minimap.enabled": false,
  };
  require("fs").writeFileSync(process.argv[1], JSON.stringify(settings, null, 2) + "\n");
' "$run/data/User/settings.json"
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$port" >"$run/config.yaml"

# code-server and Chromium keep their state in the scratch home, not in the user's.
sandbox=(HOME="$run/home" XDG_CONFIG_HOME="$run/home/.config" XDG_DATA_HOME="$run/home/.local/share"
  XDG_CACHE_HOME="$run/home/.cache")
code_server=("$cs/out/node/entry.js" --config "$run/config.yaml" --user-data-dir "$run/data"
  --extensions-dir "$run/extensions")
env "${sandbox[@]}" node "${code_server[@]}" --install-extension "$vsix"

echo "== code-server on 127.0.0.1:$port"
# A process group of its own (env and setsid exec, so its id is $!), so that the whole tree,
# the hlc lsp it starts among it, is stopped at the end.
env "${sandbox[@]}" setsid node "${code_server[@]}" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override "$run/workspace" \
  >"$run/code-server.log" 2>&1 &
server=$!
trap 'kill -- -"$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 1
done
curl -s -o /dev/null "http://127.0.0.1:$port/" || fail "code-server did not start; see $run/code-server.log"

echo "== screenshots"
env "${sandbox[@]}" NODE_PATH="$scratch/node_modules" HL_SHOTS_BROWSER="$browser" HL_SHOTS_OUT="$here" \
  HL_SHOTS_URL="http://127.0.0.1:$port/?folder=$run/workspace" node "$here/vscode.js"
ls -l "$here"/vscode-*.png
