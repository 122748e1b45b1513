# shellcheck shell=bash disable=SC2034
# Scratch copy-on-write filesystems for the btrfs and zfs backend tests (sourced after lib.sh;
# used by chains.sh, shared-fixtures.sh and daemons.sh).
#
# cow_fs_btrfs DIR SIZE  a btrfs on the sparse file DIR/btrfs.img, loop-mounted at DIR/bt; sets BT_MNT
# cow_fs_zfs DIR SIZE    a zfs-fuse pool on the sparse file DIR/zpool.img, mounted at DIR/zmnt, with
#                        one dataset POOL/store; sets POOL, ZFS_STORE (the dataset), ZFS_ROOT (its
#                        mountpoint). Starts zfs-fuse only if none runs (ZFS_PID is then its PID).
# Both return 0 when the filesystem is up; 1 when this machine cannot have it (kernel without btrfs,
# no /dev/fuse: the caller skips); 2 when making it failed (a test failure). COW_FS_WHY says why.
# cow_fs_teardown        unmounts the btrfs, destroys the pool and stops the zfs-fuse daemon only if
#                        cow_fs_zfs started it (by PID); safe to call more than once. Chain stores
#                        hold read-only subvolumes and datasets: callers never `rm -rf` them, they
#                        tear the filesystem down instead.

BT_MNT="" POOL="" ZFS_PID="" ZFS_STORE="" ZFS_ROOT="" COW_FS_WHY=""

cow_fs_btrfs() {
  local dir=$1 size=$2
  if ! grep -qw btrfs /proc/filesystems && ! modprobe btrfs 2>/dev/null; then
    COW_FS_WHY="the kernel lacks btrfs"; return 1
  fi
  command -v mkfs.btrfs >/dev/null || { COW_FS_WHY="mkfs.btrfs is missing (btrfs-progs)"; return 2; }
  truncate -s "$size" "$dir/btrfs.img"
  mkfs.btrfs -q "$dir/btrfs.img" >/dev/null 2>"$dir/cow_fs.err" ||
    { COW_FS_WHY="mkfs.btrfs: $(cat "$dir/cow_fs.err")"; return 2; }
  mkdir -p "$dir/bt"
  mount -o loop "$dir/btrfs.img" "$dir/bt" 2>"$dir/cow_fs.err" ||
    { COW_FS_WHY="loop-mount a btrfs: $(cat "$dir/cow_fs.err")"; return 2; }
  BT_MNT=$dir/bt
}

cow_fs_zfs() {
  local dir=$1 size=$2 pool=cairn$$
  [ -c /dev/fuse ] || { COW_FS_WHY="/dev/fuse is missing"; return 1; }
  command -v zfs-fuse >/dev/null || { COW_FS_WHY="zfs-fuse is not installed"; return 2; }
  # a daemon still shutting down (a previous test's) answers nothing: wait until it is gone
  for _ in $(seq 300); do cow_fs_zfs_settled && break; sleep 0.1; done
  if ! pgrep -x zfs-fuse >/dev/null; then
    zfs-fuse -p "$dir/zfs-fuse.pid"
    for _ in $(seq 50); do [ -s "$dir/zfs-fuse.pid" ] && break; sleep 0.1; done
    ZFS_PID=$(cat "$dir/zfs-fuse.pid" 2>/dev/null || true)
    for _ in $(seq 50); do zpool list >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  truncate -s "$size" "$dir/zpool.img"
  zpool create -o cachefile=none -m "$dir/zmnt" "$pool" "$dir/zpool.img" 2>"$dir/cow_fs.err" ||
    { COW_FS_WHY="create a zfs-fuse pool on a file: $(cat "$dir/cow_fs.err")"; return 2; }
  POOL=$pool
  zfs create "$POOL/store" 2>"$dir/cow_fs.err" ||
    { COW_FS_WHY="zfs create $POOL/store: $(cat "$dir/cow_fs.err")"; return 2; }
  ZFS_STORE=$POOL/store ZFS_ROOT=$dir/zmnt/store
}

cow_fs_zfs_settled() { ! pgrep -x zfs-fuse >/dev/null || zpool list >/dev/null 2>&1; }

cow_fs_teardown() {
  local err=""
  if [ -n "$BT_MNT" ]; then umount "$BT_MNT" || umount -l "$BT_MNT" || true; BT_MNT=""; fi
  if [ -n "$POOL" ]; then
    # zfs-fuse releases files asynchronously: the pool can be busy for a moment after its last use
    for _ in $(seq 50); do err=$(zpool destroy -f "$POOL" 2>&1) && err="" && break; sleep 0.2; done
    [ -z "$err" ] || echo "$err" >&2
    POOL=""
  fi
  if [ -n "$ZFS_PID" ]; then
    kill "$ZFS_PID" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$ZFS_PID" 2>/dev/null || break; sleep 0.1; done
    ZFS_PID=""
  fi
}
