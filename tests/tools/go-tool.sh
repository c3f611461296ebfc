#!/usr/bin/env bash
# Usage: go-tool.sh NAME. Prints the path of the Go program in tests/tools/NAME (a reference
# implementation the tests compare hlc with, at the versions its go.mod pins), built into
# target/tools with `go build` when that binary is missing or older than its sources. The first
# build needs Go (>= 1.26) and the module proxy; without them it exits non-zero, with the reason
# on standard error.
set -euo pipefail

name="${1:?usage: go-tool.sh NAME}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
src="$root/tests/tools/$name"
bindir="$root/target/tools"
bin="$bindir/$name"

fresh=1
if [[ -x "$bin" ]]; then
  for f in "$src"/go.mod "$src"/go.sum "$src"/*.go; do
    [[ "$f" -nt "$bin" ]] && fresh=0
  done
  if [[ $fresh == 1 ]]; then
    echo "$bin"
    exit 0
  fi
fi

if ! command -v go >/dev/null 2>&1; then
  echo "go-tool.sh: go is not installed, so $name cannot be built" >&2
  exit 1
fi
mkdir -p "$bindir"
echo "go-tool.sh: building $name into $bindir" >&2
(cd "$src" && go build -mod=readonly -o "$bin" .) >&2
echo "$bin"
