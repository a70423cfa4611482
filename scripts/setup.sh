#!/usr/bin/env bash
# Installs the Debian packages ratelab needs, only those missing, and only
# runs apt-get when something is. Safe to run again; quick when all is there.
set -euo pipefail

packages=(
  g++ cmake make pkg-config git
  libabsl-dev libpfm4-dev libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev libre2-dev
  python3-matplotlib python3-numpy
  clang libclang-rt-14-dev
  redis-server libhiredis-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
