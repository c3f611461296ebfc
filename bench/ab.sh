#!/usr/bin/env bash
# Alternating timings of hlc binaries on the real stacks/: each round runs every binary once in
# each mode, so that a machine whose speed drifts over minutes favours none of them.
#
#   bench/ab.sh ROUNDS BIN...        e.g. bench/ab.sh 40 /tmp/hlc-before target/release/hlc
#   WORK=/dev/shm/ab bench/ab.sh ...   outputs on tmpfs (default: a fresh directory of mktemp)
#
# Modes, per binary and round: `fresh` (a build into a removed directory), `nochange` (a build
# into its previous output), `check`, and `onechange` (two builds, each toggling one image tag
# of a copy of stacks/, so every build has one change to write). Prints the median, p90 and
# minimum of each, in ms.
set -euo pipefail
rounds=$1
shift
bins=("$@")
root=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
rm -rf "$work/ws" "$work/times"
cp -r "$root/stacks" "$work/ws"
mkdir -p "$work/times"
stack="$work/ws/freshrss.hl"
cp "$stack" "$work/a.hl"
sed 's#image = "freshrss/freshrss"#image = "freshrss/freshrss:1.26.0"#' "$work/a.hl" > "$work/b.hl"
cmp -s "$work/a.hl" "$work/b.hl" && { echo "ab.sh: the image line to toggle is not in freshrss.hl" >&2; exit 1; }
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000)); }
for k in "${!bins[@]}"; do "${bins[$k]}" build "$work/ws" --out "$work/out$k" >/dev/null 2>&1; done
for _ in $(seq "$rounds"); do
  for k in "${!bins[@]}"; do
    b=${bins[$k]}
    rm -rf "$work/fresh$k"
    ms "$b" build "$work/ws" --out "$work/fresh$k" >> "$work/times/$k.fresh"
    ms "$b" build "$work/ws" --out "$work/out$k" >> "$work/times/$k.nochange"
    ms "$b" check "$work/ws" >> "$work/times/$k.check"
    cp "$work/b.hl" "$stack"
    ms "$b" build "$work/ws" --out "$work/out$k" >> "$work/times/$k.onechange"
    cp "$work/a.hl" "$stack"
    ms "$b" build "$work/ws" --out "$work/out$k" >> "$work/times/$k.onechange"
  done
done
for k in "${!bins[@]}"; do
  echo "${bins[$k]}"
  for m in fresh nochange onechange check; do
    sort -n "$work/times/$k.$m" | awk -v m="$m" '{ a[NR] = $1 }
      END { printf "  %-10s median %6.1f  p90 %6.1f  min %6.1f ms (n=%d)\n", m, a[int((NR + 1) / 2)] / 1000, a[int(NR * 0.9 + 0.5)] / 1000, a[1] / 1000, NR }'
  done
done
