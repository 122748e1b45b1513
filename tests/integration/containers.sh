#!/usr/bin/env bash
# Containers through the real binary: `create` gives a writable copy of the
# image that lists exactly like the image, writes to it leave the image
# unchanged, an image in use cannot be removed, and `rm` + `rmi` + `gc`
# leave nothing. Usage: containers.sh CAIRN (root). CAIRN_IT_BACKEND picks
# the backend (default dir). Ends with "N passed, M failed".
set -euo pipefail
CAIRN=$(readlink -f "$1")
. "$(dirname "$(readlink -f "$0")")/lib.sh"

WORK=$(mktemp -d "${CAIRN_TEST_TMP:-/var/tmp}/cairn-containers.XXXXXX")
ROOT=$WORK/store
cleanup() {
  "$CAIRN" --root "$ROOT" --backend "$BACKEND" umount c1 >/dev/null 2>&1 || true
  "$CAIRN" --root "$ROOT" --backend "$BACKEND" umount t >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/img" >"$WORK/gen.log" 2>&1 ||
  { diag "$WORK/gen.log"; exit 1; }

c_import "oci:$WORK/img/oci:torture" --name t
expect "import torture" test "$RC" = 0
c_mount t
listing "$MNT" "$WORK/image-before.txt"
c_run umount t

c_run create t c1
expect "create c1" test "$RC" = 0
c_run create t c1
expect "a second container named c1 is refused" test "$RC" != 0
c_mount c1
expect "mount c1" test "$RC" = 0
listing "$MNT" "$WORK/container.txt"
same_listing "the container lists like its image" "$WORK/image-before.txt" "$WORK/container.txt"
echo written >"$MNT/new-file"
rm -f "$MNT/etc/hostname" 2>/dev/null || true
c_run umount c1
c_mount c1
expect "what was written into the container stays" test -f "$MNT/new-file"
c_run umount c1

c_mount t
listing "$MNT" "$WORK/image-after.txt"
c_run umount t
same_listing "the image is unchanged by the container" "$WORK/image-before.txt" "$WORK/image-after.txt"

c_run --json ps
expect "ps lists c1" grep -q '"c1"' "$WORK/out"
c_run rmi t
expect "rmi of an image a container uses is refused (busy, exit 5)" test "$RC" = 5
c_run rm c1
expect "rm c1" test "$RC" = 0
c_run rmi t
expect "rmi after rm" test "$RC" = 0
c_run gc
c_run --json ps
expect "no container left" grep -q '^\[\]$' "$WORK/out"
# no file, and no image or container tree (empty fan-out directories may stay)
expect "no backend data left" test -z "$(find "$ROOT/$BACKEND" -mindepth 2 \( ! -type d -o \
  -path '*/images/*' -o -path '*/containers/*' \) 2>/dev/null)"
summary
