#!/usr/bin/env bash
# Configures and builds cairn. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args]
#   BUILD_DIR defaults to build/ in the repository.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build}
shift || true
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_WERROR=ON "$@" >/dev/null
ninja -C "$build"
