#!/bin/bash
# Copy-on-write chain backends: import time of the fixture images one after the other into one btrfs
# store and one zfs store (the dir backend in the same run as the peer), and the disk the app-* set
# takes, against the sum of its flattened trees.
#
# usage: bench/chains.sh CAIRN_BINARY [LAYOUT]        (root)
#   LAYOUT     OCI layout (default $CAIRN_E2E/images/oci)
#   APPS       the set whose disk use is measured, imported first, in order
#              (default "app-python app-numpy app-web app-build")
#   EXTRA      imported after the set, timed only (default "tricky")
#   BACKENDS   default "dir btrfs zfs"
#   DROP       1 (default): before each import, sync + drop_caches, then re-read the layout's blobs;
#              0: only sync. On this VM a full page cache made imports up to 3.5x slower (system time of
#              fresh guest memory), so without it later backends pay for earlier ones
#   FS_SIZE    sparse file size under the loop btrfs and the zfs-fuse pool (default 8G)
#   BENCH_TMP  scratch directory (default $CAIRN_E2E/tmp); the dir store lives there
#
# Import times are single runs (each import depends on what the store already holds), with the layout's
# blobs in the page cache for every import; `sync` (and by default drop_caches + re-read of the blobs) before
# each import.
# Disk use after the set: btrfs `df` used delta and `btrfs filesystem du -s` (exclusive + set shared)
# of ROOT/btrfs/layers; zfs `zfs get -Hp used` delta of the store dataset (zfs-fuse); dir `du -s`.
# Flattened size = `du -s --apparent-size` of each image's dir-backend tree, summed.
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"

need_cairn "${1:-${CAIRN:-}}" "bench/chains.sh CAIRN_BINARY [LAYOUT]"
LAYOUT=$(readlink -f "${2:-$E2E/images/oci}")
APPS=${APPS:-app-python app-numpy app-web app-build}
EXTRA=${EXTRA:-tricky}
BACKENDS=${BACKENDS:-dir btrfs zfs}
FS_SIZE=${FS_SIZE:-8G}
DROP=${DROP:-1}
[ -f "$LAYOUT/index.json" ] || { echo "no OCI layout at $LAYOUT" >&2; exit 2; }
bench_init chains
prepare() { # the same page cache state before every timed import
  sync
  [ "$DROP" = 1 ] && echo 3 >/proc/sys/vm/drop_caches
  cat "$LAYOUT"/blobs/sha256/* >/dev/null
}

declare -A T USED NOTE
FLAT=0 DISTINCT=n/a
df_used() { sync; df -B1 --output=used "$1" | tail -1 | tr -d ' '; }
zfs_used() { sync; zfs get -Hp -o value used "$ZPOOL/store"; }

run_set() { # run_set BACKEND ROOT
  local backend=$1 root=$2 tag t0 rc err=$WORK/err before=0
  case $backend in
    btrfs) before=$(df_used "$BTRFS_MNT") ;;
    zfs) before=$(zfs_used) ;;
  esac
  for tag in $APPS $EXTRA; do
    prepare
    t0=$EPOCHREALTIME rc=0
    "$CAIRN" --root "$root" --backend "$backend" import "oci:$LAYOUT:$tag" >/dev/null 2>"$err" || rc=$?
    if [ "$rc" = 0 ]; then
      T[$backend/$tag]=$(calc "'%.2f' % ($EPOCHREALTIME - $t0)")
    else
      T[$backend/$tag]="failed"
      NOTE[$backend/$tag]="$(tail -1 "$err")"
    fi
    [[ " $APPS " == *" $tag "* ]] || continue
    [ "$tag" = "${APPS##* }" ] || continue
    case $backend in   # after the last image of the set: its disk use
      dir)
        local t
        for t in $APPS; do
          t=$("$CAIRN" --root "$root" mount "$t" | tail -1)
          FLAT=$((FLAT + $(du -s -B1 --apparent-size "$t" | cut -f1)))
        done
        USED[dir]=$(du -s -B1 "$root/dir/images" | cut -f1)
        DISTINCT=$(for t in $APPS; do "$CAIRN" --root "$root" inspect "$t"; done | "$PY" -c '
import json, sys
layers = {}
text, dec, pos = sys.stdin.read(), json.JSONDecoder(), 0
while pos < len(text.rstrip()):
    while text[pos].isspace(): pos += 1
    obj, pos = dec.raw_decode(text, pos)
    layers.update({l["diff_id"]: l["size"] for l in obj["layers"]})
print(sum(layers.values()))')
        USED[dir-how]="du -s of the trees" ;;
      btrfs)
        USED[btrfs]=$(($(df_used "$BTRFS_MNT") - before))
        USED[btrfs-fidu]=$(btrfs filesystem du -s --raw "$root/btrfs/layers" | awk 'NR == 2 {print $2 + $3}') ;;
      zfs)
        USED[zfs]=$(($(zfs_used) - before)) ;;
    esac
  done
}

for backend in $BACKENDS; do
  case $backend in
    dir) run_set dir "$WORK/dirstore" ;;
    btrfs) if setup_btrfs "$FS_SIZE"; then run_set btrfs "$BTRFS_MNT/store"; else NOTE[btrfs]="no btrfs"; fi ;;
    zfs) if setup_zfs "$FS_SIZE"; then run_set zfs "$ZFS_ROOT"; else NOTE[zfs]="no zfs-fuse"; fi ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
done

echo "# import one after the other into one store per backend (single run each; before each import: sync," \
  "$([ "$DROP" = 1 ] && echo "drop_caches, ")blobs read into the page cache); btrfs on a loop-mounted sparse file, zfs = zfs-fuse pool on a sparse file"
echo "# cairn $CAIRN; layout $LAYOUT; $(machine_line)"
echo
hdr="| image |" sep="|---|"
for b in $BACKENDS; do hdr+=" $b s |" sep+="---:|"; done
for b in $BACKENDS; do [ "$b" = dir ] || { hdr+=" $b/dir |" sep+="---:|"; }; done
echo "$hdr"; echo "$sep"
for tag in $APPS $EXTRA; do
  row="| $tag |"
  for b in $BACKENDS; do row+=" ${T[$b/$tag]:-n/a} |"; done
  for b in $BACKENDS; do [ "$b" = dir ] || row+=" $(ratio "${T[$b/$tag]:-n/a}" "${T[dir/$tag]:-n/a}") |"; done
  echo "$row"
done
for k in "${!NOTE[@]}"; do echo "# $k: ${NOTE[$k]}"; done
echo
echo "Disk used by { $APPS } (flattened: the sum of each image's tree, \`du -s --apparent-size\` of the dir backend's trees = $FLAT bytes, $(human "$FLAT")):"
echo
echo "Distinct layers of the set (uncompressed tar bytes, each diff_id once: what perfect sharing of whole layers" \
  "would approach) = $DISTINCT bytes$([ "$DISTINCT" != n/a ] && echo ", $(human "$DISTINCT")")."
echo
echo "| backend | measured as | bytes | | used / flattened | used / distinct layers |"
echo "|---|---|---:|---:|---:|---:|"
[ -n "${USED[dir]:-}" ] && echo "| dir | du -s of the trees | ${USED[dir]} | $(human "${USED[dir]}") | $(ratio "${USED[dir]}" "$FLAT") | $(ratio "${USED[dir]}" "$DISTINCT") |"
[ -n "${USED[btrfs]:-}" ] && {
  echo "| btrfs | df used delta (data + metadata) | ${USED[btrfs]} | $(human "${USED[btrfs]}") | $(ratio "${USED[btrfs]}" "$FLAT") | $(ratio "${USED[btrfs]}" "$DISTINCT") |"
  echo "| btrfs | btrfs filesystem du -s: exclusive + set shared (data) | ${USED[btrfs-fidu]} | $(human "${USED[btrfs-fidu]}") | $(ratio "${USED[btrfs-fidu]}" "$FLAT") | $(ratio "${USED[btrfs-fidu]}" "$DISTINCT") |"
}
[ -n "${USED[zfs]:-}" ] && echo "| zfs | zfs get -Hp used delta | ${USED[zfs]} | $(human "${USED[zfs]}") | $(ratio "${USED[zfs]}" "$FLAT") | $(ratio "${USED[zfs]}" "$DISTINCT") |"
true
