#!/bin/bash
# Import benchmark: `cairn import` on every backend against the floor (bench/floor.cc: reading,
# hashing and decompressing the same blobs and writing their bytes, nothing more) and against the
# peers — `umoci raw unpack` and, when the shared fixtures' dockerd runs, `docker load` — all in
# the same run, best of REPS wall-clock runs after one untimed warm-up of each.
#
# usage: bench/import.sh CAIRN_BINARY [LAYOUT]        (root)
#   LAYOUT    OCI layout holding the images (default: $CAIRN_E2E/images/oci, the shared fixtures' full set)
#   IMAGES    tags to import (default: "app-python app-build")
#   BACKENDS  cairn backends (default: "composefs dir btrfs zfs")
#   REPS      timed runs per tool and image (default 3)
#   SYNC=1    include a `sync` in every timed run (cairn syncs its store anyway; the others do not)
#   BENCH_TMP where the scratch filesystems' files go (default $CAIRN_E2E/tmp)
# The floor binary is cairn-floor beside CAIRN_BINARY (bench/cairn-floor in its build directory).
# Prints markdown: per image and tool, seconds, the ratio to the floor and umoci's time over it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_cairn "${1:-${CAIRN:-}}" "bench/import.sh CAIRN_BINARY [LAYOUT]"
FLOOR=$(dirname "$CAIRN")/bench/cairn-floor
[ -x "$FLOOR" ] || { echo "no $FLOOR (build the cairn-floor target)" >&2; exit 2; }
LAYOUT=$(readlink -f "${2:-$E2E/images/oci}")
IMAGES=${IMAGES:-app-python app-build}
BACKENDS=${BACKENDS:-composefs dir btrfs zfs}
REPS=${REPS:-3}
SYNC=${SYNC:-0}
[ -f "$LAYOUT/index.json" ] || { echo "no OCI layout at $LAYOUT (build the shared fixtures, or pass one)" >&2; exit 2; }
command -v umoci >/dev/null || { echo "umoci is not installed" >&2; exit 2; }
bench_init import

# Every tool writes to a journaled ext4 of its own on a loop file, made fresh for the run: a
# filesystem that just freed many inodes (the previous run's tree) allocates new ones slowly when
# it has no journal (ext4 skips recently deleted inodes), which would decide the result instead
# of the tools. btrfs and zfs stores live on their own loop filesystems.
setup_ext4() { # setup_ext4 SIZE: sets EXT4_MNT
  truncate -s "$1" "$WORK/ext4.img"
  mkfs.ext4 -q -F "$WORK/ext4.img"
  mkdir -p "$WORK/ext4"
  mount -o loop "$WORK/ext4.img" "$WORK/ext4"
  EXT4_MNT=$WORK/ext4
  on_exit "umount '$WORK/ext4' 2>/dev/null || umount -l '$WORK/ext4'"
}
setup_ext4 24G
for b in $BACKENDS; do
  case $b in
    btrfs) setup_btrfs 24G ;;
    zfs) setup_zfs 24G ;;
  esac
done

DOCKER_SOCK=$E2E/docker.sock
docker_ok() { [ -S "$DOCKER_SOCK" ] && command -v docker >/dev/null && docker -H "unix://$DOCKER_SOCK" info >/dev/null 2>&1; }

blobs_of() { # blobs_of TAG: the blob files of the image's config and layers
  "$PY" - "$LAYOUT" "$1" <<'PY'
import json, os, sys
layout, tag = sys.argv[1], sys.argv[2]
def blob(d): return os.path.join(layout, "blobs", *d.split(":"))
index = json.load(open(os.path.join(layout, "index.json")))
for m in index["manifests"]:
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
        manifest = json.load(open(blob(m["digest"])))
        for d in [manifest["config"]] + manifest["layers"]:
            print(blob(d["digest"]))
PY
}

# Every timed run starts from the same memory state: dirty pages written, page cache dropped, then
# only the image's own blobs (or archive) read back in. DROP=0 skips this.
settle() { # settle FILES...
  sync
  if [ "${DROP:-1}" = 1 ]; then
    echo 3 >/proc/sys/vm/drop_caches
    cat "$@" >/dev/null
  fi
}

store_of() { # store_of BACKEND: the fresh store root for BACKEND
  case $1 in
    btrfs) echo "$BTRFS_MNT/store" ;;
    zfs) echo "$ZFS_ROOT" ;;
    *) echo "$EXT4_MNT/store" ;;
  esac
}

# timed NAME CMD...: runs CMD once, prints its seconds; its output goes to $WORK/NAME.log
timed() {
  local name=$1 t0 t1
  shift
  t0=$EPOCHREALTIME
  "$@" >"$WORK/$name.log" 2>&1 || { echo "$name failed:" >&2; tail -5 "$WORK/$name.log" >&2; exit 1; }
  [ "$SYNC" = 1 ] && sync
  t1=$EPOCHREALTIME
  calc "'%.3f' % ($t1 - $t0)"
}

# run TOOL TAG: one timed run of TOOL on TAG from a clean state; prints seconds
run() {
  local tool=$1 tag=$2 root
  case $tool in
    floor-1 | floor-2)
      settle $(blobs_of "$tag")
      timed "$tool" "$FLOOR" --jobs "${tool#floor-}" --write "$EXT4_MNT" "oci:$LAYOUT:$tag" ;;
    umoci)
      rm -rf "$EXT4_MNT/rootfs"
      settle $(blobs_of "$tag")
      timed umoci umoci raw unpack --image "$LAYOUT:$tag" "$EXT4_MNT/rootfs" ;;
    docker-load)
      # the archive's image out first (layers other images of that dockerd share stay)
      docker -H "unix://$DOCKER_SOCK" rmi -f "e2e/$tag:latest" >/dev/null 2>&1 || true
      settle "$E2E/images/archives/$tag.docker.tar"
      timed docker-load docker -H "unix://$DOCKER_SOCK" load -i "$E2E/images/archives/$tag.docker.tar" ;;
    *)
      root=$(store_of "$tool")
      store_gone "$root" "$tool"
      settle $(blobs_of "$tag")
      timed "$tool" "$CAIRN" --root "$root" --backend "$tool" import "oci:$LAYOUT:$tag" ;;
  esac
}

TOOLS="floor-1 floor-2 $BACKENDS umoci"
if docker_ok; then TOOLS="$TOOLS docker-load"; fi

echo "# bench/import.sh: $("$CAIRN" --version 2>/dev/null | head -1) ($(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo "?")), umoci $(umoci --version | awk '{print $3}'); best of $REPS after a warm-up; SYNC=$SYNC"
echo "# $(machine_line); ext4 loop scratch for floor, composefs, dir, umoci"
docker_ok || echo "# docker load: n/a (no dockerd at $DOCKER_SOCK; ../shared/fixtures/dockerd-start.sh starts one)"
echo
echo "| image | tool | s | / floor | umoci s / tool s |"
echo "|---|---|---:|---:|---:|"
for tag in $IMAGES; do
  declare -A best=()
  for tool in $TOOLS; do run "$tool" "$tag" >/dev/null; done  # warm-up
  for _ in $(seq "$REPS"); do
    for tool in $TOOLS; do
      t=$(run "$tool" "$tag")
      if [ -z "${best[$tool]:-}" ] || [ "$(calc "int($t < ${best[$tool]})")" = 1 ]; then best[$tool]=$t; fi
    done
  done
  for tool in $TOOLS; do
    # composefs ingests two layers at a time, the other backends one: each is held to the floor
    # of its own parallelism
    case $tool in composefs | floor-2) floor=${best[floor-2]} ;; *) floor=${best[floor-1]} ;; esac
    case $tool in floor-*) vs="" ;; *) vs=$(ratio "${best[$tool]}" "$floor") ;; esac
    echo "| $tag | $tool | ${best[$tool]} | $vs | $(ratio "${best[umoci]}" "${best[$tool]}") |"
  done
  unset best
done
