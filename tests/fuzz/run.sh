#!/bin/sh
# Run the fuzz targets, each for SECONDS (default 300), with the flags they need:
#
#   tests/fuzz/run.sh [SECONDS]            # all four targets
#   TARGETS="parse check" tests/fuzz/run.sh 3600
#
# - `-timeout=10`: an input that takes more than 10 s is reported as a hang (libFuzzer's
#   default, 1200 s, hid every hang in a 300 s run).
# - `-detect_leaks=0` for `check` and `lsp`: salsa keeps its ingredient tables for the life of
#   the process on purpose, which LeakSanitizer reports after the first executions and stops
#   the run; `parse` and `fmt_roundtrip` keep leak detection on.
# - `-rss_limit_mb=4096`: an input that makes the compiler use more is an out-of-memory finding.
# - `-max_len=8192` (MAX_LEN=N to change it): inputs stay small, so a run makes many times more
#   executions than mutating 60 KB stack files (the seeds include 3 KB pieces of them). Inputs
#   of the corpus that are longer are read cut to that length.
#
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 allows them on the stable toolchain. The
# corpora are seeded from the repository on the first run (seed.sh).
set -eu
secs=${1:-300}
fuzz=$(cd "$(dirname "$0")" && pwd)
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
[ -d "$fuzz/corpus/parse" ] || "$fuzz/seed.sh"
for t in ${TARGETS:-parse check fmt_roundtrip lsp}; do
  flags="-max_total_time=$secs -timeout=10 -rss_limit_mb=4096 -max_len=${MAX_LEN:-8192}"
  case $t in
    check | lsp) flags="$flags -detect_leaks=0" ;;
  esac
  echo "== fuzz $t for ${secs}s ($flags)"
  # shellcheck disable=SC2086
  RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir "$fuzz" -O "$t" "$fuzz/corpus/$t" -- $flags
done
