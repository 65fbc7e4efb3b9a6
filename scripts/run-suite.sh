#!/usr/bin/env bash
# Builds candor (release) and runs the bundled scenario suite, writing console
# output and JSON, JUnit XML and HTML reports to ./candor-reports (or $1).
# Installs the Debian packages it needs first. Exit status is candor's:
# 0 every expectation held, 1 one failed, 2 unusable input.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-packages.sh
candor_ensure_packages

out="${1:-candor-reports}"
cmake --preset release -DCANDOR_BUILD_TESTS=OFF -DCANDOR_BUILD_BENCH=OFF >/dev/null
cmake --build --preset release -j "$(nproc)" --target candor
exec build/release/scenarios/cli/candor run scenarios/suite --out "$out"
