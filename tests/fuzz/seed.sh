#!/bin/sh
# Seed the fuzz corpora (tests/fuzz/corpus/<target>/, not committed) from the repository's hl
# files: stacks/, stdlib/, the ui fixtures and the formatter fixtures, plus the committed
# seeds in tests/fuzz/seeds/. Run from anywhere; running it again refreshes the seeds and keeps
# what the fuzzers found. CORPUS=DIR seeds DIR/<target>/ instead (a fresh corpus to time on).
#
# A file of more than 3 KB is also cut into pieces of about 3 KB, each a whole top-level item
# or a run of whole entries of one (wrapped in that item's first line and a closing `}`): the
# fuzzers mutate small inputs many times faster than a 60 KB stack file, and every construct of
# the big files is still in some small seed. The whole files stay too.
set -eu
fuzz=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$fuzz/../.." && pwd)
corpus=${CORPUS:-$fuzz/corpus}
for t in parse check fmt_roundtrip lsp; do mkdir -p "$corpus/$t"; done
pieces=$(mktemp -d)
trap 'rm -rf "$pieces"' EXIT
n=0
seed() {
  n=$((n + 1))
  name=$(printf 'seed-%05d' "$n")
  for t in parse check fmt_roundtrip; do cp "$1" "$corpus/$t/$name"; done
  # The lsp target reads a control block first: its length (a space, 32), then 32 bytes
  # (the file's hash in hex) that pick the requests and their positions.
  { printf ' '; sha256sum "$1" | cut -c1-32 | tr -d '\n'; cat "$1"; } > "$corpus/lsp/$name"
}
for f in "$root"/stacks/*.hl "$root"/stdlib/*.hl "$root"/tests/ui/*/*.hl "$root"/tests/fmt/*.hl "$fuzz"/seeds/*; do
  [ -f "$f" ] || continue
  seed "$f"
  [ "$(wc -c < "$f")" -gt 3072 ] || continue
  rm -f "$pieces"/*
  awk -v dir="$pieces" '
    function cut() { if (inside) print "}" > out; close(out); k++; size = 0; out = dir "/piece-" k
                     if (inside) { print head > out; size = length(head) + 1 } }
    BEGIN { k = 0; size = 0; blank = 1; inside = 0; out = dir "/piece-0" }
    {
      top = ($0 ~ /^[^ \t\/}]/)
      if (size > 3072 && blank && top) { inside = 0; cut() }
      else if (size > 3072 && blank && inside && $0 ~ /^  [^ \t}]/) cut()
      if (top) { head = $0; inside = ($0 ~ /\{[ \t]*$/) }
      if ($0 ~ /^}/) inside = 0
      print > out
      size += length($0) + 1
      blank = ($0 ~ /^[ \t]*$/)
    }' "$f"
  [ -f "$pieces/piece-1" ] || continue
  for p in "$pieces"/piece-*; do seed "$p"; done
done
echo "seeded $n inputs into $corpus/{parse,check,fmt_roundtrip,lsp}"
