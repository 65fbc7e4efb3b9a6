#!/usr/bin/env bash
# Builds candor (debug, warnings as errors) and runs every test; installs the
# Debian packages it needs first. Exit status is ctest's.
#
#   scripts/test.sh            # build and test
#   CANDOR_PRESET=asan scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-packages.sh
candor_ensure_packages

preset="${CANDOR_PRESET:-debug}"
jobs="$(nproc)"

scripts/lint.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$jobs"
ctest --preset "$preset" -j "$jobs" --timeout 600
