#!/usr/bin/env bash
# Headless test of the Neovim plugin with the real language server (test/lsp_spec.lua):
#
#   HLC_BIN=/path/to/hlc editors/nvim/test/lsp.sh WORKSPACE
#
# WORKSPACE is a directory holding a stacks/ (a scratch copy: the test edits buffers there but
# never writes them). Neovim runs in WORKSPACE, opens stacks/freshrss.hl, and talks to
# `$HLC_BIN lsp`. Exits non-zero when a check fails. NVIM=/path/to/nvim picks another Neovim
# (0.7 or later). `cargo test -p hlc --test nvim_lsp` runs this with a copy of stacks/.
set -euo pipefail

test_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
plugin=$(dirname "$test_dir")
root=$(cd "$plugin/../.." && pwd)
nvim=${NVIM:-nvim}

if [ $# -ne 1 ] || [ ! -d "$1/stacks" ]; then
  echo "usage: HLC_BIN=/path/to/hlc $0 WORKSPACE   (a directory holding stacks/)" >&2
  exit 2
fi
workspace=$(cd "$1" && pwd)
if [ -z "${HLC_BIN:-}" ] || [ ! -x "$HLC_BIN" ]; then
  echo "lsp.sh: HLC_BIN must name the hlc executable (got '${HLC_BIN:-}')" >&2
  exit 2
fi
if ! command -v "$nvim" >/dev/null 2>&1; then
  echo "lsp.sh: '$nvim' not found (install Neovim, or set NVIM)" >&2
  exit 127
fi
hlc_bin=$(cd "$(dirname "$HLC_BIN")" && pwd)/$(basename "$HLC_BIN")

# Neovim keeps its state (the LSP log among it) in a throwaway home; on a failure the log is
# printed, since it holds what the server wrote to stderr.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$workspace"
status=0
env HOME="$tmp" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" \
  XDG_STATE_HOME="$tmp/state" XDG_CACHE_HOME="$tmp/cache" \
  HLC_BIN="$hlc_bin" HL_STDLIB="$root/stdlib" \
  HL_NVIM_PLUGIN="$plugin" HL_NVIM_SPEC="$test_dir/lsp_spec.lua" \
  timeout 300 "$nvim" --headless --clean -n \
  --cmd 'lua vim.opt.runtimepath:prepend(os.getenv("HL_NVIM_PLUGIN"))' \
  -c 'lua dofile(os.getenv("HL_NVIM_SPEC"))' \
  -c 'cquit 3' </dev/null || status=$?

if [ "$status" -ne 0 ]; then
  for log in "$tmp"/state/nvim/lsp.log "$tmp"/cache/nvim/lsp.log; do
    if [ -s "$log" ]; then
      echo "--- $log (last 40 lines)"
      tail -n 40 "$log"
    fi
  done
fi
exit "$status"
