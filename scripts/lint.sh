#!/usr/bin/env bash
# Checks formatting (clang-format) and unowned shortcut markers in candor's sources.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t sources < <(git ls-files -- '*.cpp' '*.hpp' | grep -vE '^(build|third_party)/')
status=0

if command -v clang-format >/dev/null 2>&1; then
  unformatted=()
  for file in "${sources[@]}"; do
    [ -f "$file" ] || continue
    clang-format --dry-run --Werror "$file" >/dev/null 2>&1 || unformatted+=("$file")
  done
  if [ ${#unformatted[@]} -gt 0 ]; then
    echo "lint: clang-format would change: ${unformatted[*]}" >&2
    echo "lint: run clang-format -i on them" >&2
    status=1
  fi
fi

# Shortcuts are owned: "Limitation:" comments, or TODO(#N) tied to an issue.
if markers=$(grep -nE '\b(TODO|FIXME|XXX|HACK)\b' "${sources[@]}" /dev/null | grep -vE 'TODO\(#[0-9]+\)'); then
  echo "lint: unowned markers (write '// Limitation: ...' or 'TODO(#N)'):" >&2
  echo "$markers" >&2
  status=1
fi

[ $status -eq 0 ] && echo "lint: ${#sources[@]} files clean"
exit $status
