#!/usr/bin/env bash
# Headless test of the Neovim plugin (editors/nvim): opens real files of stacks/ and checks
# the filetype, the buffer options, the syntax groups and the LSP setup (test/hl_spec.lua).
# Exits non-zero when a check fails. NVIM=/path/to/nvim picks another Neovim (0.7 or later).
set -euo pipefail

test_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
plugin=$(dirname "$test_dir")
root=$(cd "$plugin/../.." && pwd)
nvim=${NVIM:-nvim}

if ! command -v "$nvim" >/dev/null 2>&1; then
  echo "run.sh: '$nvim' not found (install Neovim, or set NVIM)" >&2
  exit 127
fi

# Neovim writes its state (logs, shada) into a throwaway home. A stand-in `hlc` on PATH
# makes the server command executable; the test never runs it.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
printf '#!/bin/sh\nexit 1\n' >"$tmp/bin/hlc"
chmod +x "$tmp/bin/hlc"

cd "$root"
# If the spec cannot even be loaded, the last command makes Neovim exit with 3.
env PATH="$tmp/bin:$PATH" HOME="$tmp" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" \
  XDG_STATE_HOME="$tmp/state" XDG_CACHE_HOME="$tmp/cache" \
  HL_NVIM_PLUGIN="$plugin" HL_NVIM_SPEC="$test_dir/hl_spec.lua" \
  timeout 120 "$nvim" --headless --clean -n \
  --cmd 'lua vim.opt.runtimepath:prepend(os.getenv("HL_NVIM_PLUGIN"))' \
  -c 'lua dofile(os.getenv("HL_NVIM_SPEC"))' \
  -c 'cquit 3' </dev/null
