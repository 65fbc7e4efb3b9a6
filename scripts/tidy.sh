#!/usr/bin/env bash
# Runs clang-tidy's naming checks (.clang-tidy) over the sources that clang can
# parse with Debian's Boost 1.74: files that use Asio or Beast coroutines are left
# out, because clang 14 rejects Boost 1.74's awaitable support.
#
#   scripts/tidy.sh BUILD_DIR     # a configured build folder with compile_commands.json
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:?usage: scripts/tidy.sh BUILD_DIR}"

if ! command -v clang-tidy >/dev/null 2>&1; then
  echo "tidy: clang-tidy not installed; naming checks skipped" >&2
  exit 0
fi

mapfile -t files < <(git ls-files -- 'core/*.cpp' 'reports/*.cpp' 'scenarios/*.cpp' \
  | xargs grep -L -E 'boost/(asio|beast)|co_await|webhook_server|http_client' -- \
  | grep -vE '^(scenarios/runner|scenarios/world|scenarios/cli/)')

echo "tidy: checking ${#files[@]} files"
report=$(printf '%s\n' "${files[@]}" \
  | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet 2>/dev/null \
  | grep -E 'warning:|error:' || true)
if [ -n "$report" ]; then
  echo "$report" >&2
  echo "tidy: naming violations above" >&2
  exit 1
fi
echo "tidy: clean"
