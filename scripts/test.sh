#!/usr/bin/env bash
# Runs every test: set-up, build, the C++ tests (ctest) and the Python tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --preset release -j "$(nproc)"
if ls scripts/*_test.py >/dev/null 2>&1; then
  /usr/bin/python3 -m unittest discover -s scripts -p '*_test.py'
fi
