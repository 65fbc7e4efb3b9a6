#!/usr/bin/env bash
# Installs the Debian 12 packages candor builds with, when any is missing.
# Sourced by the quick-start scripts; safe to run again (it installs nothing
# when everything is there).
set -euo pipefail

candor_packages=(
  g++ cmake ninja-build pkg-config git ca-certificates
  libboost-dev libboost-system-dev
  nlohmann-json3-dev libyaml-cpp-dev libsqlite3-dev libssl-dev
  libphonenumber-dev libre2-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev libjemalloc-dev
  clang-format
  python3-twilio
)

candor_ensure_packages() {
  local missing=()
  local package
  for package in "${candor_packages[@]}" "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$package")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "candor: installing ${missing[*]}" >&2
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  candor_ensure_packages "$@"
fi
