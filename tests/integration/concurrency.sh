#!/usr/bin/env bash
# Concurrency: several cairn processes on one store at once, on one backend.
#   - three imports of the same image at once: all succeed, and one of them ingests the layers
#     the store lacks while the others reuse them;
#   - five processes looping at once, ITERATIONS rounds each: two importers of overlapping
#     images (the base, and a second image on that base) that remove their image again
#     (rmi), a gc loop, a mount + umount loop and a create + rm loop on a kept image. Every
#     command succeeds, nothing hangs (the whole phase has a deadline), the kept image still
#     lists as it did, and afterwards `cairn fsck` finds nothing damaged or unfinished;
#   - a process SIGKILLed while it holds the store lock (mid-import) blocks no one: the next
#     mutating command runs at once.
# Usage: concurrency.sh CAIRN. Needs root. CAIRN_IT_BACKEND=dir|composefs|btrfs|zfs (btrfs and zfs
# on a loop btrfs / zfs-fuse pool made here; skipped, exit 77, when the machine cannot have it).
# ITERATIONS: rounds per looping process (default 8; zfs-fuse: 3, it creates files slowly).
# Prints "ok - …"/"not ok - …" and ends with "N passed, M failed".
set -euo pipefail
CAIRN=$(readlink -f "$1")
. "$(dirname "$(readlink -f "$0")")/lib.sh"
. "$IT_DIR/cow_fs.sh"

if [ "$(id -u)" != 0 ]; then echo "# SKIP concurrency.sh: needs root"; exit 77; fi
WORK=$(mktemp -d "${CAIRN_TEST_TMP:-/var/tmp}/cairn-concurrency.XXXXXX")
cleanup() {
  set +e
  [ -n "${ROOT:-}" ] && unmount_all "$ROOT"
  cow_fs_teardown
  rm -rf "$WORK"
}
trap cleanup EXIT

SECOND=torture
ITERATIONS=${ITERATIONS:-8}
case $BACKEND in
  dir) ROOT=$WORK/store ;;
  composefs) composefs_prelude concurrency.sh; ROOT=$WORK/store ;;
  btrfs|zfs)
    rc=0
    "cow_fs_$BACKEND" "$WORK" 2G || rc=$?
    if [ "$rc" = 1 ]; then echo "# SKIP concurrency.sh on $BACKEND: $COW_FS_WHY"; exit 77; fi
    if [ "$rc" != 0 ]; then not_ok "$BACKEND: $COW_FS_WHY"; summary; exit 1; fi
    if [ "$BACKEND" = btrfs ]; then ROOT=$BT_MNT/store; else
      ROOT=$ZFS_ROOT DATASET=$ZFS_STORE
      SECOND=multi-amd64  # torture has a y2100 mtime zfs-fuse cannot store
      ITERATIONS=${ITERATIONS_ZFS:-3}
    fi ;;
  *) echo "concurrency.sh: unknown backend $BACKEND" >&2; exit 2 ;;
esac

"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/img" >"$WORK/gen.log" 2>&1 ||
  { diag "$WORK/gen.log"; exit 1; }
OCI=$WORK/img/oci

c_run import "oci:$OCI:base" --name keep
[ "$RC" = 0 ] || { not_ok "$BACKEND: import base (exit $RC)"; diag "$WORK/err"; summary; exit 1; }
rootfs_listing keep "$WORK/keep-ref.txt"

# Three imports of SECOND at once.
pids=()
for i in 1 2 3; do
  "$CAIRN" --root "$ROOT" --backend "$BACKEND" --json import "oci:$OCI:$SECOND" --name "s$i" \
    >"$WORK/s$i.json" 2>"$WORK/s$i.err" &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
expect "$BACKEND: 3 imports of one image at once all succeed" test "$failed" = 0
ingesting=0 counts=""
for i in 1 2 3; do
  read -r _ n _ < <("$PY" "$CHECK" import-result "$WORK/s$i.json")
  counts+=" $n"
  if [ "$n" != 0 ]; then ingesting=$((ingesting + 1)); fi
done
expect "$BACKEND: ... one of them ingested its layers, the others reused them (ingested:$counts)" \
  test "$ingesting" = 1
for i in 1 2 3; do c_run rmi "s$i"; done

# worker NAME COMMANDS...: runs the shell function COMMANDS once per round; a failing command
# writes its round and stderr to $WORK/NAME.fail
worker() {
  local name=$1 round; shift
  for round in $(seq "$ITERATIONS"); do
    "$@" "$round" 2>>"$WORK/$name.fail.err" || echo "round $round: $*" >>"$WORK/$name.fail"
  done
}
cairn_q() { "$CAIRN" --root "$ROOT" --backend "$BACKEND" "$@" >/dev/null; }
import_base() { cairn_q import "oci:$OCI:base" --name "a$1" && cairn_q rmi "a$1"; }
import_second() { cairn_q import "oci:$OCI:$SECOND" --name "b$1" && cairn_q rmi "b$1"; }
collect() { cairn_q gc; }
mount_keep() {
  local mnt
  mnt=$("$CAIRN" --root "$ROOT" --backend "$BACKEND" mount keep | tail -n1) &&
    [ -n "$(ls -A "$mnt")" ] && cairn_q umount keep
}
container() {
  [ "$BACKEND" = dir ] && [ "$(($1 % 2))" = 1 ] && return 0  # dir copies the whole tree
  cairn_q create keep "box$1" && cairn_q rm "box$1"
}

names=(import_base import_second collect mount_keep container)
pids=()
for name in "${names[@]}"; do
  worker "$name" "$name" &
  pids+=($!)
done
deadline=$((SECONDS + ${CONCURRENCY_DEADLINE:-400}))
hung=0
for pid in "${pids[@]}"; do
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -gt "$deadline" ]; then hung=1; break 2; fi
    sleep 0.2
  done
  wait "$pid" || true
done
if [ "$hung" = 1 ]; then
  not_ok "$BACKEND: 5 processes x $ITERATIONS rounds finish before the deadline (a deadlock?)"
  for pid in "${pids[@]}"; do pkill -KILL -P "$pid" 2>/dev/null || true; kill -KILL "$pid" 2>/dev/null || true; done
  summary; exit 1
fi
ok "$BACKEND: 5 processes x $ITERATIONS rounds finish before the deadline"
bad=0
for name in "${names[@]}"; do
  if [ -s "$WORK/$name.fail" ]; then
    bad=1; echo "# $name: $(head -3 "$WORK/$name.fail" | tr '\n' ' ')"; diag "$WORK/$name.fail.err" 6
  fi
done
expect "$BACKEND: importers, rmi, gc, mount and create/rm at once: every command succeeds" test "$bad" = 0
rootfs_listing keep "$WORK/keep-now.txt"
same_listing "$BACKEND: the kept image lists as it did" "$WORK/keep-ref.txt" "$WORK/keep-now.txt"
c_run fsck
check "$BACKEND: fsck after the concurrent rounds: nothing damaged or unfinished" \
  'test "$RC" = 0 && grep -q ": 0 damaged, 0 unfinished$" "$WORK/out"'
diag "$WORK/out" 5
c_run images -q
expect "$BACKEND: only the kept image is left" test "$(wc -l <"$WORK/out")" = 1

# A process killed while it holds the store lock blocks no one.
"$CAIRN" --root "$ROOT" --backend "$BACKEND" import "oci:$OCI:$SECOND" --name held >/dev/null 2>&1 &
pid=$!
sleep 0.05
kill -KILL "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
RC=0
timeout 60 "$CAIRN" --root "$ROOT" --backend "$BACKEND" gc >"$WORK/out" 2>"$WORK/err" || RC=$?
expect "$BACKEND: after a SIGKILL mid-import, the next gc runs at once (exit $RC)" test "$RC" = 0
summary
