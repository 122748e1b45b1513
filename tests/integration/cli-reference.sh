#!/bin/bash
# doc/cli.md, `cairn COMMAND --help`, the generated man pages and the completion scripts describe
# the same commands, options and exit codes (tests/tools/check-cli-reference.py). No root needed.
# usage: cli-reference.sh CAIRN_BINARY
set -euo pipefail
CAIRN=${1:-${CAIRN:-}}
[ -n "$CAIRN" ] && [ -x "$CAIRN" ] || { echo "usage: cli-reference.sh CAIRN_BINARY" >&2; exit 2; }
repo=$(readlink -f "$(dirname "$0")/../..")
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-cli-reference.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 "$repo/tests/tools/check-cli-reference.py" "$(readlink -f "$CAIRN")" "$repo/doc/cli.md" "$work"
