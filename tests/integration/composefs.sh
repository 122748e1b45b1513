#!/bin/bash
# The integration suite of run.sh on the composefs backend: every synthetic image is imported with
# --backend composefs, mounted for real (EROFS + overlayfs) and listed against umoci's unpack;
# export goes through a private mount; every image written passes fsck.erofs; umount, rmi and gc
# leave the store empty. Needs root and a kernel with erofs and overlay; skips (exit 77, with a
# reason) without them.
#
# usage: composefs.sh CAIRN_BINARY       (same environment as run.sh)
set -euo pipefail
HERE=$(dirname "$(readlink -f "$0")")

. "$HERE/lib.sh"
composefs_prelude composefs.sh
CAIRN_IT_BACKEND=composefs exec bash "$HERE/run.sh" "$@"
