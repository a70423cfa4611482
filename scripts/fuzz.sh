#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 30) from its committed seed corpus. New inputs go to a
# temporary folder, so the committed corpus only changes by hand: add a crash
# that was fixed with `cp crash-* <corpus>/`.
#   scripts/fuzz.sh                 # every target, 30 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh limiter_fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-30}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(limiter_fuzz config_fuzz)

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"

for t in "${targets[@]}"; do
  case "$t" in
    limiter_fuzz) bin=build/fuzz/variants/limiter_fuzz; corpus=variants/testdata/limiter_fuzz_corpus ;;
    config_fuzz)  bin=build/fuzz/harness/config_fuzz;  corpus=harness/testdata/config_fuzz_corpus ;;
    *) echo "fuzz.sh: unknown target $t (limiter_fuzz, config_fuzz)" >&2; exit 2 ;;
  esac
  work=$(mktemp -d)
  echo "fuzz: $t for ${seconds}s from $corpus" >&2
  # ASan's leak check runs at exit; UBSan findings abort (-fno-sanitize-recover).
  if ! "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$work/" "$work" "$corpus" \
        >"$work/log" 2>&1; then
    tail -n 60 "$work/log" >&2
    echo "fuzz: $t FAILED; reproducer(s): $(ls "$work"/crash-* "$work"/timeout-* "$work"/leak-* 2>/dev/null)" >&2
    exit 1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/log" | sed "s/^/fuzz: $t /" >&2
  rm -rf "$work"
done
