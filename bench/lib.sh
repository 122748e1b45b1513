# Shared helpers of the bench/ scripts (sourced, not run).
#
# Every script: `bench_init NAME` makes the scratch directory $WORK (under BENCH_TMP, default
# $CAIRN_E2E/tmp) and installs an EXIT/INT/TERM trap that runs the cleanups registered with
# `on_exit CMD` (last registered first), then unmounts whatever is still mounted below $WORK and
# removes it. Only things this run created are ever touched.
# Timing uses bash's $EPOCHREALTIME (no fork per sample); statistics go through one python3 call.

E2E=${CAIRN_E2E:-/var/tmp/cairn-e2e}
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
BENCH_CLEANUPS=()

on_exit() { BENCH_CLEANUPS+=("$*"); }

bench_cleanup() {
  local i m
  set +e
  for ((i = ${#BENCH_CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${BENCH_CLEANUPS[$i]}" >/dev/null; done
  if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
    # deepest first; whatever a failed run left mounted below the scratch directory
    for m in $(findmnt -rn -o TARGET | grep "^$WORK/" | sort -r); do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
    done
    rm -rf "$WORK"
  fi
}

bench_init() { # bench_init NAME
  [ "$(id -u)" = 0 ] || { echo "$1 must run as root" >&2; exit 2; }
  mkdir -p "${BENCH_TMP:-$E2E/tmp}"
  WORK=$(mktemp -d "${BENCH_TMP:-$E2E/tmp}/cairn-$1.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

need_cairn() { # need_cairn PATH USAGE: sets CAIRN to the absolute path
  [ -n "$1" ] && [ -x "$1" ] || { echo "usage: $2" >&2; exit 2; }
  CAIRN=$(readlink -f "$1")
}

# stat OP NUMBERS...: OP is median, min, max, mean or sum; prints with 3 decimals (or "n/a" if none)
stat() {
  "$PY" - "$@" <<'EOF'
import statistics, sys
op, xs = sys.argv[1], [float(x) for x in sys.argv[2:]]
f = {"median": statistics.median, "min": min, "max": max, "mean": statistics.mean, "sum": sum}[op]
print("%.3f" % f(xs) if xs else "n/a")
EOF
}

# calc EXPR: evaluates a python expression (numbers only), e.g. calc "1.5/3"
calc() { "$PY" -c "import sys; print($1)"; }

# ratio A B [FMT]: A/B formatted (default "%.2fx"), "n/a" if either is n/a or B is 0
ratio() {
  "$PY" - "$1" "$2" "${3:-%.2fx}" <<'EOF'
import sys
a, b, fmt = sys.argv[1:4]
try:
    print(fmt % (float(a) / float(b)))
except (ValueError, ZeroDivisionError):
    print("n/a")
EOF
}

# elapsed_ms T0 T1 (EPOCHREALTIME values) -> milliseconds with 1 decimal
elapsed_ms() { "$PY" -c 'import sys; print("%.1f" % ((float(sys.argv[2]) - float(sys.argv[1])) * 1000))' "$1" "$2"; }

# bytes_sum PATHS...: apparent size in bytes of the files below PATHS (0 if none exist)
bytes_sum() {
  local n
  n=$(find "$@" -type f -printf '%s\n' 2>/dev/null | awk '{s += $1} END {printf "%d", s}')
  echo "${n:-0}"
}

human() { numfmt --to=iec --suffix=B --format=%.1f "$1"; }

machine_line() {
  echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB RAM," \
    "kernel $(uname -r), scratch on $(df --output=fstype "$WORK" | tail -1); load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# setup_btrfs SIZE: a btrfs on a sparse file, loop-mounted at $WORK/btrfs (sets BTRFS_MNT);
# unmounted (which frees the auto-clearing loop device) and removed on exit.
setup_btrfs() {
  grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null || { echo "no btrfs in this kernel" >&2; return 1; }
  truncate -s "$1" "$WORK/btrfs.img"
  mkfs.btrfs -q "$WORK/btrfs.img" >/dev/null
  mkdir -p "$WORK/btrfs"
  mount -o loop "$WORK/btrfs.img" "$WORK/btrfs"
  BTRFS_MNT=$WORK/btrfs
  on_exit "umount '$WORK/btrfs' 2>/dev/null || umount -l '$WORK/btrfs'"
}

# zpool_teardown POOL: destroy, retried while zfs-fuse still reports the pool busy (it releases files
# asynchronously); a pool left behind would come back FAULTED in the next zfs-fuse's cache.
zpool_teardown() {
  local _
  for _ in $(seq 20); do
    zpool destroy -f "$1" 2>/dev/null && return 0
    sleep 0.5
  done
  zpool destroy -f "$1" || echo "warning: could not destroy zfs pool $1 (remove it with: zpool destroy -f $1)" >&2
}

# setup_zfs SIZE: a zfs-fuse pool on a sparse file with a dataset POOL/store mounted at
# $WORK/zfs/store (sets ZPOOL, ZFS_ROOT). Starts zfs-fuse only if none runs; on exit destroys the
# pool and stops only the daemon this run started (by PID).
setup_zfs() {
  [ -c /dev/fuse ] && command -v zfs-fuse >/dev/null || { echo "zfs-fuse or /dev/fuse missing" >&2; return 1; }
  if ! pgrep -x zfs-fuse >/dev/null; then
    zfs-fuse -p "$WORK/zfs-fuse.pid"
    for _ in $(seq 50); do [ -s "$WORK/zfs-fuse.pid" ] && break; sleep 0.1; done
    ZFS_PID=$(cat "$WORK/zfs-fuse.pid")
    on_exit "kill $ZFS_PID 2>/dev/null; for _ in \$(seq 50); do kill -0 $ZFS_PID 2>/dev/null || break; sleep 0.1; done"
    for _ in $(seq 50); do zpool list >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  ZPOOL=cairnbench$$
  truncate -s "$1" "$WORK/zpool.img"
  zpool create -m "$WORK/zfs" "$ZPOOL" "$WORK/zpool.img"
  on_exit "zpool_teardown $ZPOOL"
  zfs create "$ZPOOL/store"
  ZFS_ROOT=$WORK/zfs/store
}

# store_gone ROOT BACKEND: the store at ROOT removed (btrfs: the filesystem made anew, as its
# layers are read-only subvolumes; zfs: its dataset made anew, empty)
store_gone() {
  case $2 in
    btrfs)
      umount "$BTRFS_MNT"
      mkfs.btrfs -q -f "$WORK/btrfs.img" >/dev/null
      mount -o loop "$WORK/btrfs.img" "$BTRFS_MNT" ;;
    zfs)  # zfs-fuse releases a dataset asynchronously after its last use: retried while busy
      local _
      for _ in $(seq 20); do zfs destroy -r "$ZPOOL/store" 2>/dev/null && break; sleep 0.5; done
      zfs list "$ZPOOL/store" >/dev/null 2>&1 && zfs destroy -r "$ZPOOL/store"
      zfs create "$ZPOOL/store" ;;
    *) rm -rf "$1" ;;
  esac
}
