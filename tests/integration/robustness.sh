#!/usr/bin/env bash
# Robustness of the store under the real binary:
#   - two cairn processes importing into one store at once (same image and
#     different images) both succeed and leave a consistent store; gc run
#     over and over during an import neither fails nor damages it;
#   - cairn killed with SIGKILL at 20 seeded points of an import (from an OCI
#     layout, an OCI archive and docker save archives of both forms) leaves a store in
#     which `cairn fsck` finds nothing damaged, that `fsck --repair` and gc
#     leave clean, with every committed image intact;
#   - the same for rmi, gc, create and rm: 60 kills at seeded random points;
#     after each, fsck finds nothing damaged, repair and gc leave it clean,
#     the committed image is intact (its tree unchanged; composefs: verify
#     passes) and the command then works. How many kills landed mid-command
#     is counted from the exit status (137), and must be some;
#   - a full disk (a small ext4 on a loop device) gives a clear error and
#     leaves the store as it was: import; create with 64 KiB left and with
#     none; tag with none (SQLite cannot grow its journal); fsck finds the
#     store clean after each, and all work once there is room again;
#   - entries beyond Linux's limits (a 256-byte name, a path of more than 4095
#     bytes in a 2100-deep tree, 10,000 xattrs on one file) are refused with
#     exit 4 and the same message on every backend (layer/entry_limits.h), a
#     first import that failed so leaves no store, and 255-byte names and
#     4000-byte paths import; a 1 TiB sparse file imports (well within two
#     minutes: its holes are hashed in log time) and reads back;
#   - the configurable import limits (entries and bytes per layer, layers per
#     image) refuse torture from a layout and from docker save archives with
#     exit 4 naming the setting, from the environment and the config file.
# Usage: robustness.sh CAIRN. Needs root (loop devices, layer ownership).
# CAIRN_IT_BACKEND=dir|composefs picks the backend (default dir).
# Prints "ok - …"/"not ok - …" and ends with "N passed, M failed".
set -euo pipefail
CAIRN=$(readlink -f "$1")
. "$(dirname "$(readlink -f "$0")")/lib.sh"

WORK=$(mktemp -d "${CAIRN_TEST_TMP:-/var/tmp}/cairn-robust.XXXXXX")
MOUNTED=""
cleanup() {
  if [ -n "$MOUNTED" ]; then umount "$MOUNTED" 2>/dev/null || true; fi
  unmount_all "$WORK"
  rm -rf "$WORK"
}
trap cleanup EXIT

"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/img" >"$WORK/gen.log" 2>&1 ||
  { diag "$WORK/gen.log"; exit 1; }
OCI=$WORK/img/oci

# number of complete images the backend holds
image_count() {
  case $BACKEND in
    dir) ls "$ROOT/dir/images" | wc -l ;;
    composefs) ls "$ROOT/composefs/images" | grep -c '\.chain$' ;;
    *) echo "unknown backend $BACKEND" >&2; return 1 ;;
  esac
}

concurrent_imports() {
  ROOT=$WORK/conc
  local pids=() rc=0 i
  for i in 1 2 3; do
    "$CAIRN" --root "$ROOT" --backend "$BACKEND" import "oci:$OCI:torture" --name "t$i" >"$WORK/conc$i.out" 2>&1 &
    pids+=($!)
  done
  "$CAIRN" --root "$ROOT" --backend "$BACKEND" import "oci:$OCI:base" --name b >"$WORK/conc4.out" 2>&1 & pids+=($!)
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  expect "4 concurrent imports into one store all succeed" test "$rc" = 0
  c_run --json images
  expect "concurrent imports: 2 images, all 4 names" \
    "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); n=sorted(x for i in d for x in i["names"]);
sys.exit(0 if len(d)==2 and n==["b","t1","t2","t3"] else 1)' "$WORK/out"
  expect "concurrent imports: one image per config, tmp/ empty" \
    test "$(image_count)" = 2 -a -z "$(ls -A "$ROOT/tmp")"
}

# gc while an import runs: both succeed (gc waits for the import's store
# lock, and never removes what a running import staged or just published).
gc_during_import() {
  local pid rc=0 gc_failed=0 i
  ROOT=$WORK/conc
  rootfs_listing t1 "$WORK/torture-ref.txt"
  ROOT=$WORK/gc
  c_run import "oci:$OCI:base" --name base
  "$CAIRN" --root "$ROOT" --backend "$BACKEND" import "oci:$OCI:torture" --name t \
    >"$WORK/gc-import.out" 2>&1 &
  pid=$!
  for i in $(seq 10); do
    "$CAIRN" --root "$ROOT" --backend "$BACKEND" gc >/dev/null 2>&1 || gc_failed=1
  done
  wait "$pid" || rc=1
  expect "gc during an import: the import succeeds" test "$rc" = 0
  expect "gc during an import: every gc succeeds" test "$gc_failed" = 0
  c_run gc
  rootfs_listing t "$WORK/torture-gc.txt" || true
  same_listing "gc during an import: the imported image is intact" "$WORK/torture-ref.txt" \
    "$WORK/torture-gc.txt"
}

# Kills an import of torture from SOURCE after DELAY seconds, then checks the store.
kill_once() {
  local delay=$1 source=$2
  kill_command "$delay" import "$source" --name victim
  LANDED=$((LANDED + KILLED))
  fsck_after_kill "import killed at ${delay}s" || return 1
  c_run gc
  [ "$RC" = 0 ] || { echo "gc after kill at ${delay}s failed: $(cat "$WORK/err")"; return 1; }
  [ -z "$(ls -A "$ROOT/tmp")" ] || { echo "tmp/ not empty after kill at ${delay}s"; return 1; }
  rootfs_listing base "$WORK/base-after.txt" &&
    cmp -s "$WORK/base-before.txt" "$WORK/base-after.txt" ||
    { echo "committed image changed after kill at ${delay}s"; return 1; }
  c_run rmi victim >/dev/null 2>&1 || true
  c_run gc
}

killed_imports() {
  ROOT=$WORK/kill
  c_run import "oci:$OCI:base" --name base
  rootfs_listing base "$WORK/base-before.txt"
  local bad=0 delay
  LANDED=0
  RANDOM=2024
  local archives=$WORK/img/archives round
  # every file source kind: a layout, an OCI archive, docker save archives of both forms
  local sources=("oci:$OCI:torture" "oci-archive:$archives/torture.oci.tar"
    "docker-archive:$archives/torture.docker-legacy.tar" "docker-archive:$archives/torture.docker-oci.tar")
  for round in $(seq 20); do
    # an import of torture takes some 40 ms here: points within its first 60 ms
    delay=0.0$((RANDOM % 60 / 10))$((RANDOM % 10))
    kill_once "$delay" "${sources[$((round % 4))]}" || bad=1
  done
  expect "SIGKILL at 20 points of an import from oci:, oci-archive: and docker-archive: ($LANDED landed mid-import): fsck finds nothing damaged, repair and gc leave it clean, committed image intact" test "$bad" = 0
  expect "import kills landed mid-import ($LANDED of 20)" test "$LANDED" -gt 0
  c_run import "oci:$OCI:torture" --name after-kills
  expect "import after the kills succeeds" test "$RC" = 0
  expect "only the committed images remain" test "$(image_count)" = 2
}

# kill_command DELAY ARGS...: runs cairn ARGS, SIGKILLs it after DELAY seconds; KILLED=1 when the
# kill landed while it ran (exit status 137), else 0
kill_command() {
  local delay=$1 pid status=0; shift
  "$CAIRN" --root "$ROOT" --backend "$BACKEND" "$@" >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || status=$?
  KILLED=0
  if [ "$status" = 137 ]; then KILLED=1; fi
}

# store_intact ROUND: fsck finds nothing damaged, fsck --repair and gc repair, base is as it was,
# tmp/ is empty (composefs: verify passes)
store_intact() {
  fsck_after_kill "round $1" || return 1
  c_run gc
  [ "$RC" = 0 ] || { echo "# round $1: gc failed: $(head -c 300 "$WORK/err")"; return 1; }
  [ -z "$(ls -A "$ROOT/tmp")" ] || { echo "# round $1: tmp/ not empty"; return 1; }
  rootfs_listing base "$WORK/base-now.txt" && cmp -s "$WORK/base-before.txt" "$WORK/base-now.txt" ||
    { echo "# round $1: the committed image changed"; return 1; }
  if [ "$BACKEND" = composefs ]; then
    c_run verify
    [ "$RC" = 0 ] || { echo "# round $1: verify: $(head -c 300 "$WORK/out")"; return 1; }
  fi
}

killed_commands() {
  ROOT=$WORK/killcmd
  c_run import "oci:$OCI:base" --name base
  rootfs_listing base "$WORK/base-before.txt"
  RANDOM=1337
  local round landed=0 bad=0 delay what
  for round in $(seq 60); do
    c_run import "oci:$OCI:torture" --name victim
    delay=0.0$((RANDOM % 40 / 10))$((RANDOM % 10))
    case $((round % 4)) in
      0) what=rmi; kill_command "$delay" rmi victim ;;
      1) what=gc; c_run rmi victim; kill_command "$delay" gc ;;
      2) what=create; kill_command "$delay" create victim "box$round" ;;
      3) what=rm; c_run create victim "box$round"; kill_command "$delay" rm "box$round" ;;
    esac
    landed=$((landed + KILLED))
    store_intact "$round ($what, killed at ${delay}s)" || bad=1
    c_run rm "box$round"
    c_run rmi victim
    [ "$RC" = 0 ] || [ "$what" = rmi ] || [ "$what" = gc ] ||
      { echo "# round $round: rmi after the kill failed: $(head -c 200 "$WORK/err")"; bad=1; }
  done
  c_run import "oci:$OCI:torture" --name after
  expect "SIGKILL in rmi, gc, create and rm, 60 rounds ($landed landed mid-command): fsck finds nothing damaged, repaired, committed image intact" \
    test "$bad" = 0 -a "$RC" = 0
  expect "kills landed mid-command ($landed of 60)" test "$landed" -gt 0
}

full_disk() {
  local image=$WORK/small.ext4
  truncate -s 24M "$image"
  mkfs.ext4 -q -F -m 0 "$image"
  mkdir -p "$WORK/small"
  if ! mount -o loop "$image" "$WORK/small" 2>"$WORK/mount.err"; then
    not_ok "full disk: cannot loop-mount a test filesystem: $(cat "$WORK/mount.err")"
    return
  fi
  MOUNTED=$WORK/small
  ROOT=$WORK/small/store
  c_run import "oci:$OCI:base" --name base
  store_snapshot "$WORK/full-before"
  # Fill the filesystem up to its last few blocks.
  local free
  free=$(($(stat -f -c "%f*%S" "$WORK/small") - 64 * 1024))
  dd if=/dev/zero of="$WORK/small/ballast" bs=64K count=$((free / 65536)) status=none 2>/dev/null ||
    true
  c_run import "oci:$OCI:torture"
  expect "full disk: import fails" test "$RC" != 0
  cp "$WORK/err" "$WORK/full-err"
  if grep -q "No space left on device" "$WORK/err"; then
    ok "full disk: the error names the cause"
  else
    not_ok "full disk: the error names the cause"
    diag "$WORK/err"
  fi
  rm -f "$WORK/small/ballast"
  store_snapshot "$WORK/full-after"
  if cmp -s "$WORK/full-before" "$WORK/full-after"; then
    ok "full disk: store unchanged"
  else
    not_ok "full disk: store unchanged"
    diff "$WORK/full-before" "$WORK/full-after" >"$WORK/full-diff" || true
    diag "$WORK/full-diff"
    diag "$WORK/full-err"
  fi
  c_run import "oci:$OCI:torture"
  expect "full disk: import succeeds once there is room" test "$RC" = 0
  full_disk_commands
  umount "$WORK/small" && MOUNTED=""
}

# fill_up BYTES_LEFT: a ballast file takes all but BYTES_LEFT of the free space (0: all of it).
fill_up() {
  local free
  free=$(($(stat -f -c "%f*%S" "$WORK/small") - $1))
  dd if=/dev/zero of="$WORK/small/ballast" bs=64K count=$((free / 65536)) status=none 2>/dev/null ||
    true
  [ "$1" != 0 ] ||
    dd if=/dev/zero of="$WORK/small/ballast" bs=1K oflag=append conv=notrunc status=none 2>/dev/null ||
    true
}

# full_disk_sane WHAT: fsck finds nothing damaged or unfinished and no temporary work is left.
full_disk_sane() {
  c_run fsck
  check "full disk: after $1, fsck finds the store clean and ROOT/tmp empty (rc=$RC)" \
    '[ "$RC" = 0 ] && [ -z "$(ls -A "$ROOT/tmp")" ]'
  [ "$RC" = 0 ] || diag "$WORK/out"
}

# create (the tree copy on dir, the container's files on composefs) and a metadata-only command
# (SQLite's journal) on a disk with 64 KiB left and then none at all.
full_disk_commands() {
  fill_up $((64 * 1024))
  c_run create base full-c
  if [ "$RC" = 0 ]; then
    ok "full disk: create with 64 KiB left fits"
    c_run rm full-c
  else
    check "full disk: create with 64 KiB left fails naming the cause (rc=$RC)" \
      'grep -q "No space left on device\|disk is full" "$WORK/err"'
  fi
  full_disk_sane create
  fill_up 0
  c_run tag base full-tag
  check "full disk: tag with no room fails naming the cause (rc=$RC)" \
    '[ "$RC" != 0 ] && grep -q "No space left on device\|disk is full" "$WORK/err"'
  c_run create base full-c2
  check "full disk: create with no room fails naming the cause (rc=$RC)" \
    '[ "$RC" != 0 ] && grep -q "No space left on device\|disk is full" "$WORK/err"'
  full_disk_sane "tag and create"
  c_run images
  check "full disk: the images are still listed, without the failed tag" \
    'grep -q "^base " "$WORK/out" && ! grep -q "full-tag" "$WORK/out"'
  rm -f "$WORK/small/ballast"
  c_run tag base full-tag
  local tag_rc=$RC
  c_run create base full-c3
  check "full disk: tag and create succeed once there is room (rc=$tag_rc, $RC)" \
    '[ "$tag_rc" = 0 ] && [ "$RC" = 0 ]'
}

entry_limits() {
  "$PY" - "$REPO_DIR/tests/fixtures" "$WORK/limits" <<'PYEOF'
import os, sys
sys.path.insert(0, sys.argv[1])
import imagekit as ik
def long_path(depth, name):
    L = ik.Layer(); p = ""
    for i in range(depth):
        p = (p + "/" if p else "") + name
        L.dir(p)
    L.file(p + "/f", "deep\n")
    return L
images = [
    ("name255", [ik.Layer().file("n" * 255, "x\n")]),
    ("path4000", [long_path(20, "x" * 199)]),
    ("name256", [ik.Layer().file("n" * 256, "x\n")]),
    ("deep", [long_path(2100, "d")]),
    ("xattrs", [ik.Layer().file("x", "y\n", xattrs={"user.k%05d" % i: "v" for i in range(10000)})]),
    ("sparse", [ik.Layer().sparse_pax("tib", 1 << 40, [(0, b"start"), ((1 << 40) - 4, b"end\n")])]),
]
ik.write_layout(os.path.join(sys.argv[2], "oci"), [(n, ik.Image(n, [(l, "gzip") for l in ls])) for n, ls in images])
PYEOF
  local image why
  for image in name255 path4000; do
    ROOT=$WORK/limits/store-$image
    c_run import "oci:$WORK/limits/oci:$image"
    expect "limits: $image imports (rc=$RC)" test "$RC" = 0
  done
  ROOT=$WORK/limits/store-sparse
  RC=0
  timeout 120 "$CAIRN" --root "$ROOT" --backend "$BACKEND" import "oci:$WORK/limits/oci:sparse" \
    >"$WORK/out" 2>"$WORK/err" || RC=$?
  c_mount "$(tail -1 "$WORK/out")"
  check "limits: a 1 TiB sparse file imports (holes never hashed byte by byte) and reads back (rc=$RC)" \
    '[ "$RC" = 0 ] && [ "$(stat -c %s "$MNT/tib")" = 1099511627776 ] && [ "$(tail -c 4 "$MNT/tib")" = end ]'
  c_run umount "$(tail -1 "$WORK/out")"
  for image in name256:"a name of 256 bytes" deep:"bytes long (at most 4095)" xattrs:"10000 xattrs whose names take"; do
    why=${image#*:}; image=${image%%:*}
    ROOT=$WORK/limits/store-$image
    c_run import "oci:$WORK/limits/oci:$image"
    check "limits: $image refused, exit 4, saying why; no store left (rc=$RC)" \
      '[ "$RC" = 4 ] && grep -q "$why" "$WORK/err" && [ ! -e "$ROOT" ]'
  done
  configured_limits
}

# The import limits a user sets (layer/import_limits.h), from the environment and the config file,
# on a layout (plan known up front) and a docker save archive (layers streamed before the manifest).
configured_limits() {
  local archives=$WORK/img/archives case setting src why
  for case in "CAIRN_LIMIT_LAYER_ENTRIES=5|oci:$OCI:torture|more than 5 entries" \
    "CAIRN_LIMIT_LAYER_ENTRIES=5|docker-archive:$archives/torture.docker-legacy.tar|more than 5 entries" \
    "CAIRN_LIMIT_LAYER_BYTES=1K|oci:$OCI:torture|more than 1024 bytes" \
    "CAIRN_LIMIT_LAYER_BYTES=1K|docker-archive:$archives/torture.docker-oci.tar|more than 1024 bytes" \
    "CAIRN_LIMIT_IMAGE_LAYERS=2|oci:$OCI:torture|more than the limit of 2" \
    "CAIRN_LIMIT_IMAGE_LAYERS=2|docker-archive:$archives/torture.docker-legacy.tar|more than the limit of 2"; do
    IFS='|' read -r setting src why <<<"$case"
    ROOT=$WORK/limits/store-configured
    RC=0
    env "$setting" "$CAIRN" --root "$ROOT" --backend "$BACKEND" import "$src" >"$WORK/out" \
      2>"$WORK/err" || RC=$?
    check "limits: $setting refuses ${src%%:*}: torture, exit 4, naming the setting; no store left (rc=$RC)" \
      '[ "$RC" = 4 ] && grep -q "$why" "$WORK/err" && grep -q "setting limits\." "$WORK/err" && [ ! -e "$ROOT" ]'
    [ "$RC" = 4 ] || diag "$WORK/err"
  done
  printf 'limits.layer_entries = 5\n' >"$WORK/limits.conf"
  CAIRN_CONFIG=$WORK/limits.conf c_run import "oci:$OCI:torture"
  check "limits: limits.layer_entries in the config file refuses torture (rc=$RC)" \
    '[ "$RC" = 4 ] && grep -q "more than 5 entries" "$WORK/err"'
  CAIRN_LIMIT_LAYER_ENTRIES=1000 CAIRN_LIMIT_LAYER_BYTES=2T CAIRN_LIMIT_IMAGE_LAYERS=10 \
    c_run import "oci:$OCI:torture"
  check "limits: torture imports within raised limits (rc=$RC)" '[ "$RC" = 0 ]'
  CAIRN_LIMIT_LAYER_BYTES=lots c_run import "oci:$OCI:torture"
  check "limits: a malformed limit is a usage error naming the setting (rc=$RC)" \
    '[ "$RC" = 2 ] && grep -q "limits.layer_bytes" "$WORK/err"'
}

if [ "$(id -u)" != 0 ]; then
  echo "# robustness tests need root (loop devices, layer ownership)"
  exit 1
fi
entry_limits
concurrent_imports
gc_during_import
killed_imports
killed_commands
full_disk
summary
