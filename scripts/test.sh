#!/usr/bin/env bash
# Runs every test: set-up, build, the C++ tests (ctest) and the Python tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --preset release -j "$(nproc)"
# Python: the scripts' tests on fixture results, then bench_all end to end.
/usr/bin/python3 -m unittest discover -s scripts -p '*_test.py'
/usr/bin/python3 -m unittest discover -s harness -p '*_test.py'
