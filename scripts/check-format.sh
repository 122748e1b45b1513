#!/bin/bash
# Fails when a C++ file of the repository is not formatted as .clang-format says (Google at 100
# columns). Prints the files that differ; `clang-format -i FILE` fixes one. Exits 77 (reported
# as skipped) when clang-format is not installed.
#
# Usage: scripts/check-format.sh [REPO]   (default: the repository this script is in)
set -euo pipefail
repo=$(readlink -f "${1:-$(dirname "$(readlink -f "$0")")/..}")
if ! command -v clang-format >/dev/null; then
  echo "skipped: clang-format is not installed"
  exit 77
fi
cd "$repo"
bad=0
while IFS= read -r -d '' file; do
  if ! clang-format --dry-run -Werror "$file" >/dev/null 2>&1; then
    echo "$file: not formatted (clang-format -i $file)"
    bad=1
  fi
done < <(git ls-files -z -- '*.cc' '*.h')
exit $bad
