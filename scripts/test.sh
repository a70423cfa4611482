#!/usr/bin/env bash
# Runs every test: set-up, build, the C++ tests (ctest), the Python tests,
# the C++ tests again under ThreadSanitizer and under AddressSanitizer with
# UndefinedBehaviorSanitizer, and a short run of each fuzz target.
#   scripts/test.sh           # everything (about 15 minutes on 2 cores)
#   scripts/test.sh --fast    # release build, ctest and Python tests only
#   scripts/test.sh --soak    # everything, plus the soak (RATELAB_SOAK_SECONDS
#                             # per variant, default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
fast=0; soak=0
for a in "$@"; do
  case "$a" in
    --fast) fast=1 ;;
    --soak) soak=1 ;;
    *) echo "test.sh: unknown argument $a (--fast, --soak)" >&2; exit 2 ;;
  esac
done

scripts/build.sh
ctest --preset release -j "$(nproc)"
# Python: the scripts' tests on fixture results, then bench_all end to end.
/usr/bin/python3 -m unittest discover -s scripts -p '*_test.py'
/usr/bin/python3 -m unittest discover -s harness -p '*_test.py'
[ "$fast" = 1 ] && exit 0

for s in tsan asan; do
  echo "test.sh: $s build and tests" >&2
  cmake --preset "$s" >/dev/null
  cmake --build --preset "$s" -j "$(nproc)"
  ctest --preset "$s" -j "$(nproc)"
done

scripts/fuzz.sh

if [ "$soak" = 1 ]; then
  build/release/variants/soak_test
fi
