#!/usr/bin/env bash
# Prints the path of kustomize at a pinned version, installed into target/tools with
# `go install` from the Go module proxy only when that binary is missing (or another version).
# Used by tests/tests/flux.rs and .ci/run. The first run needs Go (>= 1.26, as this kustomize
# asks) and the module proxy, and takes a minute or two; without them it exits non-zero, with
# the reason on standard error.
set -euo pipefail

version="v5.8.2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
bindir="$root/target/tools"
bin="$bindir/kustomize"

if [[ -x "$bin" && "$("$bin" version 2>/dev/null || true)" == "$version" ]]; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "kustomize.sh: go is not installed, so kustomize $version cannot be installed" >&2
  exit 1
fi
mkdir -p "$bindir"
echo "kustomize.sh: installing kustomize $version into $bindir" >&2
GOBIN="$bindir" go install "sigs.k8s.io/kustomize/kustomize/v5@$version" >&2
echo "$bin"
