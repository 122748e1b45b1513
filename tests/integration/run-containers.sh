#!/bin/bash
# `cairn run` on every backend: dir and composefs in a scratch directory, btrfs on a loop btrfs,
# zfs on a zfs-fuse pool (cow_fs.sh). The image is made here: the host's static busybox
# (tests/fixtures/make-busybox-image.py).
#
# usage: run-containers.sh CAIRN_BINARY   (root; crun, busybox-static)
#
# Per backend: the image's default command (its Cmd, Env, WorkingDir) and its output; exit codes
# passed through (`-- sh -c 'exit 7'`); -e overrides the image's Env; -v binds a host directory
# read-write, and :ro refuses writes; --workdir; --user by name and number; --rm leaves no
# container and no bundle; without --rm the container stays and keeps what was written until
# `cairn rm`; SIGTERM to cairn reaches the container (its trap's exit code comes back); -t runs
# the command on a terminal. /proc/self/mountinfo of the host is the same before, while and after
# a container runs (composefs mounts its root in a namespace of its own); on zfs the container's
# dataset is a host mount while it exists, so there only before and after are compared. Only the
# mounts of this test's own directory count (own_mounts): ctest runs other suites beside this one,
# and their mounts come and go.
# Output: one "ok - ..." / "not ok - ..." line per check, then "N passed, M failed".
set -euo pipefail

CAIRN=${1:-${CAIRN:-}}
[ -n "$CAIRN" ] && [ -x "$CAIRN" ] || { echo "usage: run-containers.sh CAIRN_BINARY" >&2; exit 2; }
CAIRN=$(readlink -f "$CAIRN")
. "$(dirname "$(readlink -f "$0")")/lib.sh"
. "$IT_DIR/cow_fs.sh"
if [ "$(id -u)" != 0 ]; then echo "run-containers.sh: skipped (needs root)"; exit 77; fi
for tool in crun /bin/busybox; do
  command -v "$tool" >/dev/null || { echo "run-containers.sh: skipped ($tool is missing)"; exit 77; }
done

WORK=$(mktemp -d "${CAIRN_TEST_TMP:-/var/tmp}/cairn-run.XXXXXX")
cleanup() { cow_fs_teardown; unmount_all "$WORK"; rm -rf "$WORK"; }
trap cleanup EXIT
"$PY" "$REPO_DIR/tests/fixtures/make-busybox-image.py" "$WORK/img"
TERM_RUN=$REPO_DIR/tests/tools/on-a-terminal.py
out_is() { [ "$(cat "$WORK/out")" = "$1" ]; }
# The host's mounts that lie in or name this test's directory (mount point, source or options).
own_mounts() { { grep -F -- "$WORK" /proc/self/mountinfo || true; } | md5sum; }

run_checks() {
  local b=$BACKEND
  c_run import "oci:$WORK/img:busybox"
  if [ "$RC" != 0 ]; then not_ok "$b: import the busybox image (rc=$RC)"; diag "$WORK/err"; return; fi
  c_run run --rm busybox
  check "$b: the image's command, env and workdir (rc=$RC)" \
    '[ "$RC" = 0 ] && out_is "$(printf "greeting=image\n/work\n0")"'
  [ "$RC" = 0 ] || diag "$WORK/err"
  c_run run --rm busybox -- sh -c 'exit 7'
  check "$b: the exit code comes back (rc=$RC)" '[ "$RC" = 7 ]'
  c_run run --rm -e GREETING=flag -e EXTRA=1 busybox -- sh -c 'echo $GREETING $EXTRA'
  check "$b: -e overrides and adds (rc=$RC)" '[ "$RC" = 0 ] && out_is "flag 1"'
  mkdir -p "$WORK/vol-$b"; echo host >"$WORK/vol-$b/in"
  c_run run --rm -v "$WORK/vol-$b:/mnt" busybox -- sh -c 'cat /mnt/in; echo container >/mnt/out'
  check "$b: -v reads and writes the host directory (rc=$RC)" \
    '[ "$RC" = 0 ] && out_is host && [ "$(cat "$WORK/vol-$b/out")" = container ]'
  c_run run --rm -v "$WORK/vol-$b:/mnt:ro" busybox -- sh -c 'echo x >/mnt/ro'
  check "$b: -v :ro refuses writes (rc=$RC)" '[ "$RC" != 0 ] && [ ! -e "$WORK/vol-$b/ro" ]'
  c_run run --rm --workdir /tmp --user tester busybox -- sh -c 'pwd; id -u; id -g'
  check "$b: --workdir and --user NAME (rc=$RC)" '[ "$RC" = 0 ] && out_is "$(printf "/tmp\n1000\n1000")"'
  c_run run --rm --user 4321:99 busybox -- sh -c 'id -u; id -g'
  check "$b: --user UID:GID (rc=$RC)" '[ "$RC" = 0 ] && out_is "$(printf "4321\n99")"'
  c_run ps
  check "$b: --rm leaves no container and no bundle" \
    '[ "$(wc -l <"$WORK/out")" = 1 ] && [ -z "$(ls -A "$ROOT/run" 2>/dev/null | grep -v "^crun$")" ]'
  c_run run --name keep busybox -- sh -c 'echo kept >/work/note'
  c_run ps
  check "$b: without --rm the container stays" 'grep -q "^keep " "$WORK/out"'
  c_run mount keep
  check "$b: what it wrote is in the container" '[ "$RC" = 0 ] && [ "$(cat "$LAST/work/note")" = kept ]'
  c_run umount keep
  c_run rm keep
  check "$b: cairn rm removes it (rc=$RC)" '[ "$RC" = 0 ]'
  local before during after
  before=$(own_mounts)
  RC=0
  "$CAIRN" --root "$ROOT" --backend "$BACKEND" run --rm busybox -- \
    sh -c 'trap "exit 42" TERM; echo up; sleep 30 & wait' >"$WORK/out" 2>"$WORK/err" &
  local pid=$!
  for _ in $(seq 100); do grep -q up "$WORK/out" && break; sleep 0.1; done
  during=$(own_mounts)
  kill -TERM "$pid"
  wait "$pid" || RC=$?
  after=$(own_mounts)
  check "$b: SIGTERM to cairn reaches the container, its exit code comes back (rc=$RC)" '[ "$RC" = 42 ]'
  if [ "$b" = zfs ]; then  # a zfs container is a dataset, which zfs mounts on the host
    check "$b: the host's mount table is back as it was after the container" '[ "$before" = "$after" ]'
  else
    check "$b: the host's mount table is unchanged while a container runs and after" \
      '[ "$before" = "$during" ] && [ "$before" = "$after" ]'
  fi
  RC=0
  "$PY" "$TERM_RUN" -- "$CAIRN" --root "$ROOT" --backend "$BACKEND" run --rm -t busybox -- \
    sh -c 'test -t 0 && test -t 1 && echo on-a-tty' >"$WORK/out" 2>&1 || RC=$?
  check "$b: -t gives the command a terminal (rc=$RC)" '[ "$RC" = 0 ] && grep -q on-a-tty "$WORK/out"'
}

for BACKEND in dir composefs; do
  if [ "$BACKEND" = composefs ] && ! grep -qw erofs /proc/filesystems && ! modprobe erofs 2>/dev/null; then
    note "composefs: skipped (no erofs)"; continue
  fi
  ROOT=$WORK/store-$BACKEND
  run_checks
done
rc=0; cow_fs_btrfs "$WORK" 1G || rc=$?
case $rc in
  0) BACKEND=btrfs ROOT=$BT_MNT/store; run_checks ;;
  1) note "btrfs: skipped ($COW_FS_WHY)" ;;
  *) not_ok "btrfs: scratch filesystem ($COW_FS_WHY)" ;;
esac
rc=0; cow_fs_zfs "$WORK" 1G || rc=$?
case $rc in
  0) BACKEND=zfs ROOT=$ZFS_ROOT; run_checks ;;
  1) note "zfs: skipped ($COW_FS_WHY)" ;;
  *) not_ok "zfs: scratch pool ($COW_FS_WHY)" ;;
esac
summary
