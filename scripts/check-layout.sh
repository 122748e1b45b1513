#!/bin/bash
# Fails on an #include against the flow of src/'s modules (doc/architecture.md):
#
#   cli > store > backend, source > layer > erofs, oci > util
#
# A module may include itself and any module to its right; backend and source are siblings and may
# not include each other, nor may erofs and oci. Prints every offending line as FILE:LINE: and
# exits 1 if there is one. Also fails on a file in src/ longer than 400 lines.
#
# Usage: scripts/check-layout.sh [REPO]   (default: the repository this script is in)
set -euo pipefail
repo=$(readlink -f "${1:-$(dirname "$(readlink -f "$0")")/..}")

# rank MODULE: its level in the flow (higher includes lower).
rank() {
  case $1 in
    cli) echo 6 ;;
    store) echo 5 ;;
    backend | source) echo 4 ;;
    layer) echo 3 ;;
    erofs | oci) echo 2 ;;
    util) echo 1 ;;
    *) echo 0 ;;
  esac
}

bad=0
checked=0
for dir in "$repo"/src/*/; do
  module=$(basename "$dir")
  from=$(rank "$module")
  if [ "$from" = 0 ]; then
    echo "src/$module: a module the flow does not name (add it to scripts/check-layout.sh)"
    bad=1
    continue
  fi
  while IFS=: read -r file line target; do
    checked=$((checked + 1))
    [ "$target" = "$module" ] && continue
    to=$(rank "$target")
    if [ "$to" = 0 ] || [ "$to" -ge "$from" ]; then
      echo "${file#"$repo"/}:$line: $module includes $target/ against the flow"
      bad=1
    fi
  done < <(grep -rnoE '^#include "[a-z_]+/' "$dir" | sed -E 's/:#include "([a-z_]+)\/$/:\1/')
done
# Small files with one concept each: none over k_max_lines.
k_max_lines=400
while read -r lines file; do
  [ "$file" = total ] && continue
  if [ "$lines" -gt "$k_max_lines" ]; then
    echo "${file#"$repo"/}: $lines lines (at most $k_max_lines: split it by concept)"
    bad=1
  fi
done < <(find "$repo/src" -name '*.cc' -o -name '*.h' | xargs wc -l)
if [ "$bad" = 0 ]; then
  echo "layout: $checked includes in src/ follow cli > store > backend, source > layer > erofs, oci > util;"
  echo "no file in src/ has more than $k_max_lines lines"
fi
exit "$bad"
