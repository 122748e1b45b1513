#!/usr/bin/env bash
# Integration test of the per-layer copy-on-write backends (btrfs, zfs) with the real binary.
#
# usage: chains.sh CAIRN_BINARY   (root: loop devices, mounts, zfs-fuse, layer ownership)
#
# Makes its own filesystems: a loop-mounted btrfs on a sparse file, and a zfs-fuse pool on a
# file (starting the zfs-fuse daemon if none runs, and stopping only the one it started, by PID).
# For each backend:
#  * every source form of `base` and of a second image sharing its base layer imports; each
#    rootfs lists like the dir backend's (tests/tools/tree-listing.py); the second image creates
#    exactly its new layer subvolumes/datasets, re-imports create none; images are read-only
#  * a container: create, write into it, the image is unchanged, ps, rmi refused while it
#    exists, rm; then rmi + gc leave no layer subvolume/dataset
#  * an image whose third layer is corrupt: refused, and the two layers published before it are
#    gone again (a failed import leaves the store as it was)
#  * SIGKILL at 20 points of an import: the next run repairs, no staging left, the committed
#    image intact, and a last import succeeds
# zfs-fuse stores neither xattrs nor times after 2038: its listings are compared without
# xattrs, its second image is multi-amd64 (torture has a y2100 mtime), and importing torture
# must fail cleanly. Skips a backend (with a note) only when the kernel lacks btrfs or
# /dev/fuse is missing; exits 0 with a note if both are skipped.
# Output: "ok - …"/"not ok - …" lines, then "N passed, M failed".
set -euo pipefail
CAIRN=${1:-${CAIRN:-}}
[ -n "$CAIRN" ] && [ -x "$CAIRN" ] || { echo "usage: chains.sh CAIRN_BINARY" >&2; exit 2; }
CAIRN=$(readlink -f "$CAIRN")
. "$(dirname "$(readlink -f "$0")")/lib.sh"

if [ "$(id -u)" != 0 ]; then echo "# chains tests need root (loop devices, mounts)"; exit 1; fi
WORK=$(mktemp -d "${CAIRN_TEST_TMP:-/var/tmp}/cairn-chains.XXXXXX")
. "$IT_DIR/cow_fs.sh"
cleanup() {
  set +e
  cow_fs_teardown
  rm -rf "$WORK"
}
trap cleanup EXIT

"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/img" >"$WORK/gen.log" 2>&1 ||
  { diag "$WORK/gen.log"; exit 1; }
OCI=$WORK/img/oci

# b_listing IMAGE OUT: listing of IMAGE's rootfs (without xattrs on zfs-fuse)
b_listing() {
  local mnt
  mnt=$("$CAIRN" --root "$ROOT" mount "$1" | tail -n1) || return 1
  listing "$mnt" "$2"
  if [ "$BACKEND" = zfs ]; then sed -i 's/ xattr\.[^ ]*//g' "$2"; fi
}
# reference listing of IMAGE (a tag of $OCI) from the dir backend, in $WORK/ref.txt
ref_listing() {
  local out=$WORK/ref-$1.txt id mnt
  if [ ! -e "$out" ]; then
    "$CAIRN" --root "$WORK/dirstore" --backend dir --json import "oci:$OCI:$1" >"$WORK/ref.json"
    read -r id _ < <("$PY" "$CHECK" import-result "$WORK/ref.json")
    mnt=$("$CAIRN" --root "$WORK/dirstore" mount "$id" | tail -n1)
    listing "$mnt" "$out"
  fi
  cp "$out" "$WORK/ref.txt"
  if [ "$BACKEND" = zfs ]; then sed -i 's/ xattr\.[^ ]*//g' "$WORK/ref.txt"; fi
}

# layer objects and staging leftovers of the current backend
layer_count() {
  case $BACKEND in
    btrfs) ls -A "$ROOT/btrfs/layers" 2>/dev/null | grep -cE '^[0-9a-f]{64}$' || true ;;
    zfs) zfs list -H -r -t filesystem -o name "$DATASET/layers" 2>/dev/null | grep -cE '/[0-9a-f]{64}$' || true ;;
  esac
}
staging_count() {
  case $BACKEND in
    btrfs) ls -A "$ROOT/btrfs/layers" 2>/dev/null | grep -c '^\.tmp-' || true ;;
    zfs) zfs list -H -r -t filesystem -o name "$DATASET/layers" 2>/dev/null | grep -c '\.tmp-' || true ;;
  esac
}
container_count() {
  case $BACKEND in
    btrfs) ls -A "$ROOT/btrfs/containers" 2>/dev/null | wc -l ;;
    zfs) zfs list -H -r -t filesystem -o name "$DATASET/containers" 2>/dev/null | grep -c '/containers/' || true ;;
  esac
}

# import_all NAME NEW: every source form of good image NAME; the first creates NEW layers
import_all() {
  local name=$1 new=$2 row first=1 src before lbl
  row=$("$PY" "$CHECK" desc "$WORK/img/images.json" good | grep "^$name	" || true)
  local -a srcs
  if [ -n "$row" ]; then IFS=$'\t' read -r -a srcs <<<"$row"; srcs=("${srcs[@]:5}");
  else srcs=("oci:$OCI:$name"); fi
  ref_listing "$name"
  for src in "${srcs[@]}"; do
    lbl=$(src_label "$src")
    before=$(layer_count)
    c_import "$src" --name "$name"
    if [ "$RC" != 0 ]; then not_ok "$BACKEND: import $lbl (exit $RC)"; diag "$WORK/err" 5; continue; fi
    if [ "$first" = 1 ]; then
      expect "$BACKEND: import $lbl creates $new layer objects (got $(($(layer_count) - before)))" \
        test "$(($(layer_count) - before))" = "$new" -a "$INGESTED" = "$new"
    else
      expect "$BACKEND: re-import $lbl creates none (ingested $INGESTED)" \
        test "$(layer_count)" = "$before" -a "$INGESTED" = 0
    fi
    b_listing "$name" "$WORK/got.txt"
    same_listing "$BACKEND: $name via $lbl lists like the dir backend" "$WORK/ref.txt" "$WORK/got.txt"
    first=0
  done
}

container_cycle() {
  local image=$1 mnt cmnt
  b_listing "$image" "$WORK/img-before.txt"
  mnt=$("$CAIRN" --root "$ROOT" mount "$image" | tail -n1)
  expect "$BACKEND: image rootfs is read-only" bash -c "! touch '$mnt/cairn-write' 2>/dev/null"
  c_run create "$image" c1
  cmnt=$LAST
  expect "$BACKEND: create container (exit $RC)" test "$RC" = 0 -a -d "$cmnt"
  echo written >"$cmnt/new-file" && rm -f "$cmnt/etc/motd"
  c_run mount c1
  expect "$BACKEND: mount prints the container's path" test "$LAST" = "$cmnt"
  expect "$BACKEND: container sees its writes" test "$(cat "$LAST/new-file")" = written -a ! -e "$LAST/etc/motd"
  b_listing "$image" "$WORK/img-after.txt"
  same_listing "$BACKEND: writing into a container leaves the image unchanged" "$WORK/img-before.txt" "$WORK/img-after.txt"
  c_run --json ps
  expect "$BACKEND: ps lists the container" grep -q '"name": "c1"' "$WORK/out"
  c_run create "$image" c1
  expect "$BACKEND: a second container c1 is refused" test "$RC" != 0
  c_run rmi "$image"
  expect "$BACKEND: rmi of an image a container uses is refused" test "$RC" != 0
  c_run rm c1
  expect "$BACKEND: rm container" test "$RC" = 0 -a "$(container_count)" = 0
}

kill_loop() {
  local victim=$1 delay pid bad=0 status landed=0
  b_listing base "$WORK/base-before.txt"
  for delay in 0 0.01 0.02 0.03 0.05 0.07 0.1 0.12 0.15 0.2 0.25 0.3 0.35 0.4 0.5 0.6 0.7 0.8 1 1.5; do
    "$CAIRN" --root "$ROOT" import "oci:$OCI:$victim" --name victim >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -KILL "$pid" 2>/dev/null || true
    status=0
    wait "$pid" 2>/dev/null || status=$?
    if [ "$status" = 137 ]; then landed=$((landed + 1)); fi
    sleep 0.2  # a zfs command the victim had started finishes on its own
    fsck_after_kill "$BACKEND: import killed at ${delay}s" || bad=1
    c_run gc
    [ "$RC" = 0 ] || { echo "# gc after kill at ${delay}s failed: $(cat "$WORK/err")"; bad=1; }
    [ "$(staging_count)" = 0 ] || { echo "# staging left after kill at ${delay}s"; bad=1; }
    b_listing base "$WORK/base-after.txt" && cmp -s "$WORK/base-before.txt" "$WORK/base-after.txt" ||
      { echo "# committed image changed after kill at ${delay}s"; bad=1; }
    c_run rmi victim; c_run gc
  done
  expect "$BACKEND: SIGKILL at 20 points of an import ($landed landed mid-import): fsck finds nothing damaged, repaired, no staging, committed image intact" test "$bad" = 0
  expect "$BACKEND: import kills landed mid-import ($landed of 20)" test "$landed" -gt 0
  c_import "oci:$OCI:$victim" --name victim
  expect "$BACKEND: import after the kills succeeds" test "$RC" = 0
  b_listing victim "$WORK/got.txt"; ref_listing "$victim"
  same_listing "$BACKEND: image imported after the kills lists like the dir backend" "$WORK/ref.txt" "$WORK/got.txt"
}

# cycle SECOND: the whole sequence on the store at $ROOT with $BACKEND
# `cairn df` shows that the second image shares its base's blocks: btrfs
# reports the bytes shared with other layers, zfs that the image references
# more than its own dataset uses.
shared_bytes_reported() {
  c_run --json df
  if "$PY" -c '
import json, sys
name, backend = sys.argv[2], sys.argv[3]
rows = json.load(open(sys.argv[1]))
row = next(r for r in rows["images"] if name in r.get("names", []))
items = row.get("usage", row)
if backend == "btrfs":
    ok = items["shared_bytes"] > 0
else:
    ok = items["referenced_bytes"] > items["used_bytes"]
sys.exit(0 if ok else 1)' "$WORK/out" "$1" "$BACKEND"; then
    ok "$BACKEND: df reports shared bytes for $1"
  else
    not_ok "$BACKEND: df reports shared bytes for $1"
    diag "$WORK/out" 40; diag "$WORK/err" 5
  fi
}

cycle() {
  local second=$1 layers
  layers=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["layers"]))' \
    <(zcat -f "$OCI/blobs/sha256/$(image_manifest "$second")") 2>/dev/null || echo 2)
  import_all base 1
  import_all "$second" $((layers - 1))
  if [ "$BACKEND" = zfs ]; then
    local before; before=$(layer_count)
    c_run import "oci:$OCI:torture"
    expect "zfs: torture (a y2100 mtime zfs-fuse cannot store) fails cleanly: no layer or staging left" \
      test "$RC" != 0 -a "$(layer_count)" = "$before" -a "$(staging_count)" = 0
  fi
  shared_bytes_reported "$second"
  container_cycle "$second"
  c_run rmi "$second"; c_run rmi base; c_run gc
  expect "$BACKEND: rmi + gc leave no layer objects" test "$(layer_count)" = 0 -a "$(staging_count)" = 0
  c_run import "oci:$WORK/img/bad/bad-late-layer:latest"
  expect "$BACKEND: an image whose third layer is corrupt is refused (exit $RC)" test "$RC" = 4
  expect "$BACKEND: ... and its first two layers, published before, are taken back" \
    test "$(layer_count)" = 0 -a "$(staging_count)" = 0
  c_import "oci:$OCI:base" --name base
  kill_loop "$second"
  c_run rmi victim; c_run rmi base; c_run gc
  expect "$BACKEND: finally nothing left" test "$(layer_count)" = 0 -a "$(container_count)" = 0
}
image_manifest() {
  "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]));
print([m["digest"] for m in d["manifests"] if m.get("annotations",{}).get("org.opencontainers.image.ref.name")==sys.argv[2]][0][7:])' \
    "$OCI/index.json" "$1"
}

# cow_fs_up KIND: the scratch filesystem of KIND (btrfs, zfs); 1 = skip (noted), 2 = failed (not ok)
cow_fs_up() {
  local rc=0
  "cow_fs_$1" "$WORK" 1G || rc=$?
  case $rc in
    1) note "skipping $1: $COW_FS_WHY";;
    2) not_ok "$1: $COW_FS_WHY";;
  esac
  return "$rc"
}

btrfs_suite() {
  local rc=0
  cow_fs_up btrfs || rc=$?
  [ "$rc" = 0 ] || return $((rc == 1))
  BACKEND=btrfs ROOT=$BT_MNT/store
  cycle torture
  cow_fs_teardown
}

zfs_suite() {
  local rc=0
  cow_fs_up zfs || rc=$?
  [ "$rc" = 0 ] || return $((rc == 1))
  BACKEND=zfs DATASET=$ZFS_STORE ROOT=$ZFS_ROOT
  cycle multi-amd64
  cow_fs_teardown
}

ran=0
btrfs_suite && ran=1
zfs_suite && ran=1
if [ "$ran" = 0 ]; then echo "# skipped: neither btrfs nor /dev/fuse is available"; exit 77; fi
summary
