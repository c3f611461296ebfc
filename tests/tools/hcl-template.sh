#!/usr/bin/env bash
# Prints the path of hcl-template (tests/tools/hcl-template: HashiCorp's HCL, the template
# engine of Terraform's templatefile(), at the version its go.mod pins), built into target/tools
# with `go build` when that binary is missing or older than its sources. Used by
# tests/tests/templates.rs and .ci/run. The first build needs Go (>= 1.26) and the module proxy;
# without them it exits non-zero, with the reason on standard error.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
src="$root/tests/tools/hcl-template"
bindir="$root/target/tools"
bin="$bindir/hcl-template"

fresh=1
if [[ -x "$bin" ]]; then
  for f in "$src"/go.mod "$src"/go.sum "$src"/main.go; do
    [[ "$f" -nt "$bin" ]] && fresh=0
  done
  if [[ $fresh == 1 ]]; then
    echo "$bin"
    exit 0
  fi
fi

if ! command -v go >/dev/null 2>&1; then
  echo "hcl-template.sh: go is not installed, so the HCL reference cannot be built" >&2
  exit 1
fi
mkdir -p "$bindir"
echo "hcl-template.sh: building the HCL reference into $bindir" >&2
(cd "$src" && go build -mod=readonly -o "$bin" .) >&2
echo "$bin"
