#!/bin/bash
# Reading an image's tree: `ls -lR` (metadata only) and a full read of every file, through a composefs
# flat mount, a composefs per-layer mount and the dir backend's plain tree, in the same run; cold
# (page cache, dentries and inodes dropped before each run) and warm.
#
# usage: bench/read-tree.sh CAIRN_BINARY [LAYOUT]        (root)
#   LAYOUT     OCI layout (default $CAIRN_E2E/images/oci)
#   IMAGE      image tag (default app-build)
#   VARIANTS   default "dir flat per-layer hybrid" (composefs modes; a mode cairn refuses prints n/a)
#   REPS       runs per variant and measure (default 3); cold: median, each after
#              `sync; echo 3 > /proc/sys/vm/drop_caches`; warm: best, after one warm-up run
#   BENCH_TMP  scratch directory (default $CAIRN_E2E/tmp)
#
# Full read = `tar -cf - . | wc -c` from the tree's root (GNU tar skips reading file data when its
# output is /dev/null, a pipe makes it read everything); the byte count is printed as a check.
# Dropping caches affects the whole machine (other users' caches too).
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"

need_cairn "${1:-${CAIRN:-}}" "bench/read-tree.sh CAIRN_BINARY [LAYOUT]"
LAYOUT=$(readlink -f "${2:-$E2E/images/oci}")
IMAGE=${IMAGE:-app-build}
VARIANTS=${VARIANTS:-dir flat per-layer hybrid}
REPS=${REPS:-3}
[ -f "$LAYOUT/index.json" ] || { echo "no OCI layout at $LAYOUT" >&2; exit 2; }
bench_init read-tree

drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
ls_tree() { LC_ALL=C ls -lR "$1" >/dev/null; }
read_tree() { tar -C "$1" -cf - . | wc -c >"$WORK/bytes"; }
timed() { # timed FN DIR: seconds
  local t0=$EPOCHREALTIME
  "$1" "$2"
  calc "'%.3f' % ($EPOCHREALTIME - $t0)"
}

ROWS=()
for v in $VARIANTS; do
  err=$WORK/err
  if [ "$v" = dir ]; then
    "$CAIRN" --root "$WORK/dir" --backend dir import "oci:$LAYOUT:$IMAGE" >/dev/null 2>"$err" ||
      { ROWS+=("| dir | import failed: $(tail -1 "$err") | | | | | | |"); continue; }
    tree=$("$CAIRN" --root "$WORK/dir" mount "$IMAGE" | tail -1)
  else
    store=$WORK/cfs-$v rc=0
    "$CAIRN" --root "$store" --backend composefs --mode "$v" import "oci:$LAYOUT:$IMAGE" >/dev/null 2>"$err" || rc=$?
    if [ "$rc" = 2 ] && grep -qi mode "$err"; then ROWS+=("| composefs $v | n/a (mode unsupported) | | | | | | |"); continue; fi
    [ "$rc" = 0 ] || { ROWS+=("| composefs $v | import failed: $(tail -1 "$err") | | | | | | |"); continue; }
    tree=$("$CAIRN" --root "$store" mount "$IMAGE" "$WORK/mnt-$v" | tail -1)
    on_exit "'$CAIRN' --root '$store' umount '$WORK/mnt-$v'"
  fi
  files=$(find "$tree" -xdev | wc -l)
  lc=() rc_=() lw=() rw=()
  for ((k = 0; k < REPS; k++)); do
    drop; lc+=("$(timed ls_tree "$tree")")
    drop; rc_+=("$(timed read_tree "$tree")")
  done
  ls_tree "$tree"; read_tree "$tree"
  for ((k = 0; k < REPS; k++)); do
    lw+=("$(timed ls_tree "$tree")")
    rw+=("$(timed read_tree "$tree")")
  done
  name=$v; [ "$v" = dir ] || name="composefs $v"
  ROWS+=("| $name | $files | $(cat "$WORK/bytes") | $(stat median "${lc[@]}") | $(stat min "${lw[@]}") | $(stat median "${rc_[@]}") | $(stat min "${rw[@]}") |")
  declare -g "LSC_${v//-/_}=$(stat median "${lc[@]}")" "RDC_${v//-/_}=$(stat median "${rc_[@]}")"
  declare -g "LSW_${v//-/_}=$(stat min "${lw[@]}")" "RDW_${v//-/_}=$(stat min "${rw[@]}")"
done

echo "# reading $IMAGE's tree (layout $LAYOUT): ls -lR, and tar -cf - . | wc -c (every file read);" \
  "cold = median of $REPS, each after sync + drop_caches; warm = best of $REPS after a warm-up"
echo "# cairn $CAIRN; $(machine_line)"
echo
echo "| tree | entries | tar bytes | ls -lR cold s | ls -lR warm s | full read cold s | full read warm s |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
echo
echo "| tree | ls -lR cold / dir | ls -lR warm / dir | read cold / dir | read warm / dir |"
echo "|---|---:|---:|---:|---:|"
for v in $VARIANTS; do
  [ "$v" = dir ] && continue
  k=${v//-/_} l1=LSC_$k l2=LSW_$k r1=RDC_$k r2=RDW_$k
  echo "| composefs $v | $(ratio "${!l1:-n/a}" "${LSC_dir:-n/a}") | $(ratio "${!l2:-n/a}" "${LSW_dir:-n/a}") |" \
    "$(ratio "${!r1:-n/a}" "${RDC_dir:-n/a}") | $(ratio "${!r2:-n/a}" "${RDW_dir:-n/a}") |"
done
