#!/usr/bin/env bash
# Create (or reuse) the Python venv used by tests/validate/validate.py.
#
#   bash tests/validate/setup.sh        # prints the venv's python as the last stdout line
#
# The venv lives at ${HLC_VENV:-target/hl-venv}; a relative path is taken from the repo root
# (the parent of tests/). Requirements are installed only when the venv is new or
# requirements.txt changed (a stamp file inside the venv holds the requirements' sha256).
# pip's own output goes to stderr so the last line of stdout is always the python path.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
req="$here/requirements.txt"

venv="${HLC_VENV:-target/hl-venv}"
case "$venv" in
  /*) ;;
  *) venv="$root/$venv" ;;
esac
py="$venv/bin/python"
stamp="$venv/.hl-requirements.sha256"

command -v python3 >/dev/null 2>&1 || { echo "setup.sh: python3 not found" >&2; exit 1; }
want="$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$req")"

if [ ! -x "$py" ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  if [ ! -x "$py" ]; then
    mkdir -p "$(dirname "$venv")"
    # Debian without python3-venv has no ensurepip: fall back to a pip-less venv that the
    # system pip installs into (pip >= 22.3 has --python).
    if ! python3 -m venv "$venv" >&2 2>/dev/null; then
      echo "setup.sh: 'python3 -m venv' failed (no ensurepip?); creating a venv without pip" >&2
      python3 -m venv --without-pip "$venv" >&2
    fi
  fi
  rm -f "$stamp"
  if "$py" -m pip --version >/dev/null 2>&1; then
    pip=("$py" -m pip)
  else
    pip=(python3 -m pip --python "$py")
  fi
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
    "${pip[@]}" install --quiet --requirement "$req" >&2
  "$py" -c 'import kubernetes_validate, jsonschema, yaml' >&2
  printf '%s\n' "$want" >"$stamp"
fi

echo "$py"
