#!/bin/bash
# Container start-up cost: `cairn create IMAGE NAME` + `cairn mount NAME`, for a small and a large image,
# per backend with containers, in the same run.
#
# usage: bench/create-latency.sh CAIRN_BINARY [LAYOUT]        (root)
#   LAYOUT      OCI layout (default $CAIRN_E2E/images/oci, the shared fixtures' full set)
#   IMAGES      small and large image tags (default "base app-build")
#   BACKENDS    default "composefs btrfs zfs"; composefs prints n/a while `create` is unsupported
#   REPS        timed create+mount pairs per backend and image (default 20; median)
#   FS_SIZE     size of the sparse files under the loop btrfs and the zfs-fuse pool (default 6G)
#   BENCH_TMP   scratch directory (default $CAIRN_E2E/tmp); composefs stores live there
#   RT          run the timed loops at real-time priority RT (this shell and the commands it starts:
#               chrt -f RT), so that other work on a shared machine does not queue them; unset: normal
#
# btrfs: a loop-mounted btrfs on a sparse file made by this script; zfs: a zfs-fuse pool on a file
# (zfs-fuse started only if not running, and then stopped by PID). Each image is imported untimed,
# then one warm-up create/mount/rm, then REPS times: sync, time `create cN`, time `mount cN`,
# `rm cN` (untimed); `cairn ps` (median of 5) is the floor of any cairn command on that store. Targets: independent of image size; < 20 ms composefs, < 100 ms btrfs.
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"

need_cairn "${1:-${CAIRN:-}}" "bench/create-latency.sh CAIRN_BINARY [LAYOUT]"
LAYOUT=$(readlink -f "${2:-$E2E/images/oci}")
IMAGES=${IMAGES:-base app-build}
BACKENDS=${BACKENDS:-composefs btrfs zfs}
REPS=${REPS:-20}
FS_SIZE=${FS_SIZE:-6G}
[ -f "$LAYOUT/index.json" ] || { echo "no OCI layout at $LAYOUT" >&2; exit 2; }
# timed_priority on|off: the real-time priority of this shell (and what it starts) while timing
timed_priority() {
  [ -n "${RT:-}" ] || return 0
  if [ "$1" = on ]; then chrt -f -p "$RT" $$ >/dev/null; else chrt -o -p 0 $$ >/dev/null; fi
}
bench_init create-latency

ROWS=()
measure() { # measure BACKEND ROOT: one table row per image
  local backend=$1 root=$2 tag k rc t0 t1 t2 ct mt tt err=$WORK/err
  for tag in $IMAGES; do
    "$CAIRN" --root "$root" --backend "$backend" import "oci:$LAYOUT:$tag" >/dev/null 2>"$err" ||
      { ROWS+=("| $backend | $tag | import failed: $(tail -1 "$err") | | | | |"); continue; }
    rc=0
    "$CAIRN" --root "$root" create "$tag" warm >/dev/null 2>"$err" || rc=$?
    if [ "$rc" = 4 ] || grep -qi unsupported "$err"; then
      ROWS+=("| $backend | $tag | n/a (create unsupported) | | | | |"); continue
    elif [ "$rc" != 0 ]; then
      ROWS+=("| $backend | $tag | create failed: $(tail -1 "$err") | | | | |"); continue
    fi
    "$CAIRN" --root "$root" mount warm >/dev/null
    "$CAIRN" --root "$root" rm warm >/dev/null
    ct=() mt=() tt=()
    timed_priority on
    for ((k = 0; k < REPS; k++)); do
      sync
      t0=$EPOCHREALTIME
      "$CAIRN" --root "$root" create "$tag" "c$k" >/dev/null
      t1=$EPOCHREALTIME
      path=$("$CAIRN" --root "$root" mount "c$k")
      path=${path##*$'\n'}
      t2=$EPOCHREALTIME
      [ -d "$path/etc" ] || { echo "$backend: container c$k has no /etc at '$path'" >&2; exit 1; }
      "$CAIRN" --root "$root" rm "c$k" >/dev/null
      ct+=("$(calc "($t1 - $t0) * 1000")") mt+=("$(calc "($t2 - $t1) * 1000")")
      tt+=("$(calc "($t2 - $t0) * 1000")")
    done
    pt=()
    for ((k = 0; k < 5; k++)); do
      t0=$EPOCHREALTIME; "$CAIRN" --root "$root" ps >/dev/null; pt+=("$(calc "($EPOCHREALTIME - $t0) * 1000")")
    done
    timed_priority off
    ROWS+=("| $backend | $tag | $(stat median "${ct[@]}") | $(stat median "${mt[@]}") | $(stat median "${tt[@]}") | $(stat min "${tt[@]}") | $(stat median "${pt[@]}") |")
    TOTAL[$backend/$tag]=$(stat median "${tt[@]}")
  done
}

declare -A TOTAL
for backend in $BACKENDS; do
  case $backend in
    composefs) measure composefs "$WORK/cfs" ;;
    btrfs) if setup_btrfs "$FS_SIZE"; then measure btrfs "$BTRFS_MNT/store"; else ROWS+=("| btrfs | | n/a (no btrfs) | | | | |"); fi ;;
    zfs) if setup_zfs "$FS_SIZE"; then measure zfs "$ZFS_ROOT"; else ROWS+=("| zfs | | n/a (no zfs-fuse) | | | | |"); fi ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
done

echo "# cairn create + mount (container) latency; layout $LAYOUT; median of $REPS after one warm-up;" \
  "sync before each create; btrfs: loop-mounted sparse file; zfs: zfs-fuse pool on a sparse file"
echo "# cairn $CAIRN; $(machine_line)${RT:+; timed loops at real-time priority $RT (chrt -f)}"
echo
echo "| backend | image | create ms | mount ms | create+mount ms (median) | create+mount ms (best) | \`cairn ps\` ms (floor) |"
echo "|---|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
echo
set -- $IMAGES
echo "| backend | large ($2) / small ($1), create+mount | target |"
echo "|---|---:|---|"
for backend in $BACKENDS; do
  case $backend in composefs) target="~1x, < 20 ms" ;; btrfs) target="~1x, < 100 ms" ;; *) target="~1x" ;; esac
  echo "| $backend | $(ratio "${TOTAL[$backend/$2]:-n/a}" "${TOTAL[$backend/$1]:-n/a}") | $target |"
done
