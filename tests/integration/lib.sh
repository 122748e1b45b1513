# Shared helpers of the integration scripts (sourced; bash, set -euo pipefail).
# Callers set CAIRN (binary), WORK (scratch dir) and ROOT (store root) before calling c_run.
# CAIRN_IT_BACKEND picks the backend the stores are created with (default dir).

BACKEND=${CAIRN_IT_BACKEND:-dir}
PASSED=0
FAILED=0
IT_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
REPO_DIR=$(readlink -f "$IT_DIR/../..")
LISTING=$REPO_DIR/tests/tools/tree-listing.py
CHECK=$IT_DIR/check.py
# the helpers are stdlib-only; a system python3 starts ~10x faster than a pyenv shim
if [ -z "${PY:-}" ]; then if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi; fi

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
note() { echo "# $*"; }
# expect DESC CONDITION...: ok if the command succeeds
expect() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# check DESC 'SHELL CONDITION': ok if it holds (for conditions joined with && or ||)
check() { local d=$1; shift; if eval "$1"; then ok "$d"; else not_ok "$d"; fi; }
# indent a file's first lines as a diagnostic
diag() { [ -f "$1" ] || return 0; sed -n "1,${2:-15}p" "$1" | sed 's/^/#   /'; }

summary() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" = 0 ]
}

# c_run ARGS...: run cairn on $ROOT with $BACKEND; sets RC, leaves stdout/stderr in
# $WORK/out and $WORK/err and the last stdout line in LAST.
c_run() {
  RC=0
  "$CAIRN" --root "$ROOT" --backend "$BACKEND" "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
  LAST=$(tail -n 1 "$WORK/out" | tr -d '\r')
}

# c_import SOURCE [ARGS...]: `--json import`; sets RC, IMG_ID, INGESTED, REUSED
c_import() {
  c_run --json import "$@"
  read -r IMG_ID INGESTED REUSED < <("$PY" "$CHECK" import-result "$WORK/out")
}

# c_mount IMAGE: sets RC and MNT (the path on the last line)
c_mount() {
  c_run mount "$1"
  MNT=$LAST
  if [ "$RC" = 0 ] && [ ! -d "$MNT" ]; then RC=99; fi
}

# src_label SOURCE: the source URI with its file or directory reduced to the base name
src_label() {
  local kind=${1%%:*} rest=${1#*:} path
  path=${rest%%:*}
  echo "$kind:$(basename "$path")${rest#"$path"}"
}

# flip_byte FILE: inverts the file's first byte in place (twice restores it)
flip_byte() {
  local b
  b=$(od -An -tu1 -N1 "$1" | tr -d ' ')
  printf "$(printf '\\%03o' $((255 - b)))" | dd of="$1" bs=1 count=1 conv=notrunc status=none
}

# is_cairn_error: stderr carries the documented error prefix
is_cairn_error() { grep -q '^cairn: error:' "$WORK/err"; }

# store_snapshot FILE: image list, every path under ROOT/$BACKEND (zfs: every dataset and snapshot
# below $DATASET), and what is in ROOT/tmp
store_snapshot() {
  {
    "$CAIRN" --root "$ROOT" --backend "$BACKEND" --json images >"$WORK/snap-images" 2>/dev/null &&
      "$PY" "$CHECK" images "$WORK/snap-images" 2>/dev/null || echo "images failed"
    echo "-- $BACKEND"
    [ -d "$ROOT/$BACKEND" ] && (cd "$ROOT/$BACKEND" && find . -mindepth 1 | LC_ALL=C sort)
    if [ "$BACKEND" = zfs ] && [ -n "${DATASET:-}" ]; then
      zfs list -H -r -t all -o name "$DATASET" | LC_ALL=C sort
    fi
    echo "-- tmp"
    [ -d "$ROOT/tmp" ] && (cd "$ROOT/tmp" && find . -mindepth 1 | LC_ALL=C sort)
    true
  } >"$1"
}

# fsck_after_kill WHAT: after a SIGKILL, `cairn fsck` of $ROOT finds nothing damaged (exit 0) and
# `fsck --repair` leaves nothing damaged or unfinished; else says why (naming WHAT) and returns 1
fsck_after_kill() {
  c_run fsck
  [ "$RC" = 0 ] ||
    { echo "# $1: fsck found damage (exit $RC): $(grep -m2 '^damaged' "$WORK/out")"; return 1; }
  c_run fsck --repair
  [ "$RC" = 0 ] && grep -q ': 0 damaged, 0 unfinished$' "$WORK/out" ||
    { echo "# $1: fsck --repair (exit $RC): $(tail -n 2 "$WORK/out")"; return 1; }
}

# rootfs_listing IMAGE FILE: listing of IMAGE's tree in store $ROOT, mounted for it and unmounted
# again (zfs-fuse keeps no xattrs: left out there)
rootfs_listing() {
  local mnt rc=0
  mnt=$("$CAIRN" --root "$ROOT" --backend "$BACKEND" mount "$1" | tail -n1) || return 1
  listing "$mnt" "$2" || rc=1
  if [ "$BACKEND" = zfs ]; then sed -i 's/ xattr\.[^ ]*//g' "$2"; fi
  "$CAIRN" --root "$ROOT" --backend "$BACKEND" umount "$1" >/dev/null || rc=1
  return $rc
}

# listing DIR OUTFILE [ARGS...]: canonical listing of a tree
listing() { local d=$1 o=$2; shift 2; "$PY" "$LISTING" "$d" "$@" >"$o"; }

# same_listing DESC EXPECTED_FILE GOT_FILE: ok or not ok with a diff excerpt
same_listing() {
  if diff -u "$2" "$3" >"$WORK/diff"; then ok "$1"; else not_ok "$1"; diag "$WORK/diff" 30; fi
}

# unmount_all DIR: unmounts every mount below DIR (deepest first)
unmount_all() {
  local m
  for m in $(awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
}

# composefs_prelude SCRIPT: exits 0 with a SKIP line unless this is root on a kernel with erofs and
# overlay (composefs mounts need them all)
composefs_prelude() {
  local fs
  if [ "$(id -u)" != 0 ]; then echo "# SKIP $1: needs root (mounts)"; exit 77; fi
  for fs in erofs overlay; do
    grep -qw "$fs" /proc/filesystems || { modprobe "$fs" 2>/dev/null && grep -qw "$fs" /proc/filesystems; } ||
      { echo "# SKIP $1: the kernel lacks $fs"; exit 77; }
  done
}

# scratch_work TAG: WORK = a new scratch directory, unmounted and removed at exit (KEEP=1 keeps it)
scratch_work() {
  WORK=$(mktemp -d "${CAIRN_TEST_TMP:-/var/tmp}/cairn-$1.XXXXXX")
  trap 'unmount_all "$WORK"; if [ "${KEEP:-0}" = 1 ]; then echo "# kept $WORK" >&2; else rm -rf "$WORK"; fi' EXIT
}

# fsck_erofs DESC FILE...: every FILE (an EROFS image; patterns that matched nothing are left out)
# passes fsck.erofs, and there is at least one
fsck_erofs() {
  local desc=$1 img n=0 bad=0; shift
  command -v fsck.erofs >/dev/null || { not_ok "fsck.erofs is installed (erofs-utils)"; return; }
  for img in "$@"; do
    [ -e "$img" ] || continue
    n=$((n + 1))
    fsck.erofs "$img" >"$WORK/fsck.log" 2>&1 || { bad=$((bad + 1)); diag "$WORK/fsck.log" 5; }
  done
  expect "$desc: fsck.erofs accepts all $n EROFS images ($bad refused)" [ "$n" -gt 0 -a "$bad" = 0 ]
}
