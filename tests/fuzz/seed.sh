#!/bin/sh
# Seed the fuzz corpora (tests/fuzz/corpus/<target>/, not committed) from the repository's hl
# files: stacks/, stdlib/, the ui fixtures and the formatter fixtures, plus the committed
# seeds in tests/fuzz/seeds/. Run from anywhere; running it again refreshes the seeds and keeps
# what the fuzzers found.
set -eu
fuzz=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$fuzz/../.." && pwd)
for t in parse check fmt_roundtrip lsp; do mkdir -p "$fuzz/corpus/$t"; done
n=0
for f in "$root"/stacks/*.hl "$root"/stdlib/*.hl "$root"/tests/ui/*/*.hl "$root"/tests/fmt/*.hl "$fuzz"/seeds/*; do
  [ -f "$f" ] || continue
  n=$((n + 1))
  name=$(printf 'seed-%04d' "$n")
  for t in parse check fmt_roundtrip; do cp "$f" "$fuzz/corpus/$t/$name"; done
  # The lsp target reads a control block first: its length (a space, 32), then 32 bytes
  # (the file's hash in hex) that pick the requests and their positions.
  { printf ' '; sha256sum "$f" | cut -c1-32 | tr -d '\n'; cat "$f"; } > "$fuzz/corpus/lsp/$name"
done
echo "seeded $n inputs into $fuzz/corpus/{parse,check,fmt_roundtrip,lsp}"
