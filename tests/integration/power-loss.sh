#!/usr/bin/env bash
# Power loss: what a store keeps when the machine loses power mid-command.
#
# This kernel has no device-mapper (no dm-flakey, no dm-log-writes), so the
# cut is made one level down: the store lives on an ext4 on a loop device,
# mounted with commit=600, so that nothing cairn writes reaches the disk
# image unless cairn makes it durable (fsync and syncfs force a journal
# commit; the 600 s timer never fires in a round). At each of N seeded random
# points a command runs and is SIGKILLed, and the disk image is copied at
# once: the copy holds what the loop device had been sent, which is what a
# power cut at that instant leaves on a disk without a volatile cache
# (written-but-unsynced page-cache data is gone). The copy is mounted (its
# journal replayed) and checked:
#   - cairn fsck finds nothing damaged;
#   - the image committed first (base) lists as it did;
#   - a command that had exited 0 before the cut is durable: an imported
#     image is there and lists as it should, an rmi'd one is gone, a created
#     container is there;
#   - fsck --repair leaves nothing unfinished, and an import then succeeds.
# The gc rounds start from an import killed part way, what gc meets after a crash.
# How many cuts landed while the command ran (it had not exited) is counted
# and must be some.
#
# Usage: power-loss.sh CAIRN. Needs root (loop devices). CAIRN_IT_BACKEND=dir|composefs (btrfs
# and zfs cannot take part: a copy of a mounted btrfs or zfs pool has the original's fsid or pool
# GUID and is refused beside it). CAIRN_POWER_POINTS: cuts (default 30).
# Prints "ok - …"/"not ok - …" and ends with "N passed, M failed".
set -euo pipefail
CAIRN=$(readlink -f "$1")
. "$(dirname "$(readlink -f "$0")")/lib.sh"
POINTS=${CAIRN_POWER_POINTS:-30}

if [ "$(id -u)" != 0 ]; then echo "# SKIP power-loss.sh: needs root (loop devices)"; exit 77; fi
case $BACKEND in
  dir) ;;
  composefs) composefs_prelude power-loss.sh ;;
  *) echo "power-loss.sh: backend $BACKEND cannot be cut this way (see the header)" >&2; exit 2 ;;
esac

scratch_work power-loss
"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/img" >"$WORK/gen.log" 2>&1 ||
  { diag "$WORK/gen.log"; exit 1; }
OCI=$WORK/img/oci
DISK=$WORK/disk.img
CUT=$WORK/cut.img
truncate -s 512M "$DISK"
mkfs.ext4 -q -F -m 0 "$DISK"
mkdir -p "$WORK/live" "$WORK/cut"
mount -o loop,commit=600 "$DISK" "$WORK/live"
LIVE=$WORK/live/store

has_image() { c_run images -q --no-trunc -f "reference=$1"; [ -n "$(cat "$WORK/out")" ]; }

ROOT=$LIVE
c_run import "oci:$OCI:base" --name base
[ "$RC" = 0 ] || { not_ok "import base (exit $RC)"; diag "$WORK/err"; summary; exit 1; }
rootfs_listing base "$WORK/base-ref.txt"
c_run import "oci:$OCI:torture" --name ref
rootfs_listing ref "$WORK/torture-ref.txt"
c_run rmi ref

# prepare KIND: brings the live store to the state the killed command starts from
prepare() {
  ROOT=$LIVE
  case $1 in
    import) c_run rmi victim; c_run gc ;;
    # what gc finds after a crash: an import killed part way
    gc) c_run rmi victim; kill_soon 0.02 import "oci:$OCI:torture" --name victim ;;
    rmi) has_image victim || c_run import "oci:$OCI:torture" --name victim ;;
    create) c_run rm box ;;
  esac
}

# kill_soon DELAY ARGS...: runs cairn ARGS on the live store and SIGKILLs it after DELAY seconds
kill_soon() {
  local delay=$1 pid; shift
  "$CAIRN" --root "$LIVE" --backend "$BACKEND" "$@" >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# power_cut ARGS...: runs cairn ARGS on the live store, SIGKILLs it after a random delay, copies the
# disk image; EXITED=1 (the command had finished) with STATUS its exit status, else EXITED=0
power_cut() {
  local delay pid status=0
  delay=0.0$((RANDOM % 50 / 10))$((RANDOM % 10))
  if [ "$1" = gc ]; then delay=0.00$((RANDOM % 10)); fi  # gc takes a few ms
  "$CAIRN" --root "$LIVE" --backend "$BACKEND" "$@" >"$WORK/cut.out" 2>&1 &
  pid=$!
  sleep "$delay"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || status=$?
  cp --sparse=always "$DISK" "$CUT"
  STATUS=$status EXITED=1 DELAY=$delay
  if [ "$status" = 137 ]; then EXITED=0; fi
}

# after_power_cut ROUND KIND: checks the copy; prints what is wrong, returns 1 if anything is
after_power_cut() {
  local round=$1 kind=$2 bad=0
  mount -o loop "$CUT" "$WORK/cut" 2>"$WORK/mount.err" ||
    { echo "# round $round: the cut disk does not mount: $(cat "$WORK/mount.err")"; return 1; }
  ROOT=$WORK/cut/store
  c_run fsck
  [ "$RC" = 0 ] || { echo "# round $round ($kind): fsck exit $RC: $(grep -m3 'damaged' "$WORK/out")"; bad=1; }
  rootfs_listing base "$WORK/base-now.txt" && cmp -s "$WORK/base-ref.txt" "$WORK/base-now.txt" ||
    { echo "# round $round ($kind): base is not as committed"; bad=1; }
  if [ "$EXITED" = 1 ] && [ "$STATUS" = 0 ]; then
    case $kind in
      import)
        rootfs_listing victim "$WORK/victim-now.txt" &&
          cmp -s "$WORK/torture-ref.txt" "$WORK/victim-now.txt" ||
          { echo "# round $round: import had exited 0, its image is not whole after the cut"; bad=1; } ;;
      rmi)
        ! has_image victim || { echo "# round $round: rmi had exited 0, the image is back"; bad=1; } ;;
      create)
        local listed=0
        c_run --json ps
        if grep -q '"name": *"box"' "$WORK/out"; then listed=1; fi
        c_run fsck
        [ "$listed" = 1 ] && ! grep -q '^unfinished: container' "$WORK/out" ||
          { echo "# round $round: create had exited 0, the container is not whole after the cut"; bad=1; } ;;
    esac
  fi
  c_run fsck --repair
  [ "$RC" = 0 ] && grep -q ': 0 damaged, 0 unfinished$' "$WORK/out" ||
    { echo "# round $round ($kind): fsck --repair exit $RC: $(tail -3 "$WORK/out")"; bad=1; }
  c_run import "oci:$OCI:torture" --name again
  [ "$RC" = 0 ] || { echo "# round $round ($kind): import after the cut: $(head -c 300 "$WORK/err")"; bad=1; }
  unmount_all "$WORK/cut"
  umount "$WORK/cut" 2>/dev/null || true
  rm -f "$CUT"
  return $bad
}

RANDOM=4242
kinds=(import rmi create gc)
landed=0 bad=0
declare -A landed_by=()
for round in $(seq "$POINTS"); do
  kind=${kinds[$((round % 4))]}
  prepare "$kind"
  case $kind in
    import) power_cut import "oci:$OCI:torture" --name victim ;;
    rmi) power_cut rmi victim ;;
    create) power_cut create base box ;;
    gc) power_cut gc ;;
  esac
  if [ "$EXITED" = 0 ]; then
    landed=$((landed + 1)); landed_by[$kind]=$((${landed_by[$kind]:-0} + 1))
  fi
  after_power_cut "$round" "$kind" || bad=1
done
by=""
for kind in "${kinds[@]}"; do by+=" $kind ${landed_by[$kind]:-0},"; done
expect "power cut at $POINTS points of import, rmi, create and gc on $BACKEND ($landed mid-command:${by%,}): fsck finds nothing damaged, base intact, finished commands durable, repair and import work" \
  test "$bad" = 0
expect "power cuts landed mid-command ($landed of $POINTS)" test "$landed" -gt 0
umount "$WORK/live"
summary
