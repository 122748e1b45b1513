#!/bin/bash
# Pull benchmark: `cairn import docker://…` from a loopback registry against podman pull, docker pull
# and skopeo copy + umoci raw unpack of the same image from the same registry, and `cairn import
# dockerd://IMAGE` (from the daemon's layer store, and with --docker-save through the save stream)
# against `docker save IMAGE | tar -x`, all in the same run. Best of REPS wall-clock
# runs after one untimed warm-up of each tool, `sync` before every run (bench/README.md).
#
# usage: bench/pull.sh CAIRN_BINARY [LAYOUT]        (root)
#   LAYOUT   OCI layout the images are pushed from (default: $CAIRN_E2E/images/oci if present, else
#            the synthetic images of tests/fixtures/make-images.py)
#   IMAGES   tags (default: "app-python app-build", synthetic: "layers base")
#   REPS     timed runs per tool and image (default 3)
#   PEERS    which peers (default: "podman-vfs podman-overlay docker skopeo-umoci docker-save")
#   BENCH_TMP  scratch directory (default /var/tmp)
# Starts a docker-registry on 127.0.0.1 and a private dockerd (temp data-root); both are stopped by PID
# on exit. Prints a markdown table: seconds per tool, ratio = peer / cairn (> 1: cairn is faster).
set -euo pipefail

CAIRN=${1:-${CAIRN:-}}
[ -n "$CAIRN" ] && [ -x "$CAIRN" ] || { echo "usage: bench/pull.sh CAIRN_BINARY [LAYOUT]" >&2; exit 2; }
CAIRN=$(readlink -f "$CAIRN")
REPO_DIR=$(readlink -f "$(dirname "$(readlink -f "$0")")/..")
E2E=${CAIRN_E2E:-/var/tmp/cairn-e2e}
REPS=${REPS:-3}
PEERS=${PEERS:-podman-vfs podman-overlay docker skopeo-umoci docker-save}
[ "$(id -u)" = 0 ] || { echo "bench/pull.sh must run as root" >&2; exit 2; }
for tool in docker-registry skopeo curl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
source "$REPO_DIR/tests/integration/services.sh"

WORK=$(mktemp -d "${BENCH_TMP:-/var/tmp}/cairn-pull.XXXXXX")
# fresh DIR: DIR moved out of the way into $WORK/trash, after unmounting what a tool left mounted below
# it (podman's overlay driver bind-mounts its home). Trees are not deleted between runs: on ext4 without
# a journal (this VM's scratch filesystem) the inode allocator skips inodes freed in the last 60 s, at
# one inode-table lookup per skipped inode (fs/ext4/ialloc.c, recently_deleted()), so deleting the last
# run's tree right before a run taxes every file the next run creates (with a tool that creates
# thousands, cairn or umoci, by seconds; `tar -x` of a save creates ten). flush_trash deletes them
# between images, then waits out that window.
unmount_below() {
  awk -v d="$1" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/mounts | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
}
fresh() {
  [ -e "$1" ] || return 0
  unmount_below "$1"
  mkdir -p "$WORK/trash"
  mv "$1" "$(mktemp -d "$WORK/trash/XXXXXX")/"
}
flush_trash() { rm -rf "$WORK/trash"; sync; sleep 61; }
cleanup() { stop_services; unmount_below "$WORK"; rm -rf "$WORK"; }
trap cleanup EXIT

LAYOUT=${2:-}
if [ -z "$LAYOUT" ] && [ -f "$E2E/images/oci/index.json" ]; then LAYOUT=$E2E/images/oci; fi
if [ -n "$LAYOUT" ]; then
  LAYOUT=$(readlink -f "$LAYOUT"); IMAGES=${IMAGES:-app-python app-build}
else
  "$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/fixtures" >/dev/null
  LAYOUT=$WORK/fixtures/oci; IMAGES=${IMAGES:-layers base}
fi

# This VM backs guest memory lazily: the first write to a guest page costs a host fault, which lands
# on whichever tool first fills the page cache with it (measured: `tar -x` of a 440 MB save took 1.3 to
# 2.4 s before and 0.5 to 0.8 s after). Touching the free memory once first takes that out of the runs.
prefault_memory() {
  "$PY" -c '
import re
free = int(re.search(r"MemFree:\s+(\d+)", open("/proc/meminfo").read()).group(1)) * 1024
chunk = bytearray(max(0, free - (1 << 30)))
for i in range(0, len(chunk), 4096): chunk[i] = 1
'
}
prefault_memory
start_registry "$WORK/registry" || { echo "docker-registry did not start" >&2; exit 1; }
HAVE_DOCKER=0
if command -v dockerd >/dev/null && command -v docker >/dev/null; then
  # docker treats 127.0.0.0/8 registries as insecure (plain HTTP) by default
  start_dockerd "$WORK/dk" && HAVE_DOCKER=1 || echo "# private dockerd did not start: docker peers skipped" >&2
fi
for tag in $IMAGES; do
  skopeo copy -q --dest-tls-verify=false "oci:$LAYOUT:$tag" "docker://$REG_HOST/bench/$tag:latest"
done

now() { date +%s.%N; }
# timed LOGNAME COMMAND...: runs COMMAND once after a sync; prints seconds; fails loudly
timed() {
  local log=$WORK/$1.log t0 t1; shift
  sync
  t0=$(now)
  "$@" >"$log" 2>&1 || { echo "$* failed:" >&2; tail -5 "$log" >&2; exit 1; }
  t1=$(now)
  "$PY" -c 'import sys; print("%.3f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$t0" "$t1"
}

# One run of each tool: the setup (fresh target) is outside the timed part.
run_cairn_registry() {
  fresh "$WORK/store"
  timed cairn "$CAIRN" --root "$WORK/store" --backend dir import --insecure "docker://$REG_HOST/bench/$1:latest"
}
run_cairn_dockerd() {  # from the daemon's layer store (doc/daemon-sources.md)
  fresh "$WORK/store"
  timed cairn "$CAIRN" --root "$WORK/store" --backend dir import "dockerd://$REG_HOST/bench/$1:latest"
}
run_cairn_dockerd_save() {  # through the `docker save` stream
  fresh "$WORK/store"
  timed cairn "$CAIRN" --root "$WORK/store" --backend dir import --docker-save \
    "dockerd://$REG_HOST/bench/$1:latest"
}
podman_pull() {  # podman_pull DRIVER TAG
  fresh "$WORK/podman"
  timed podman podman --root "$WORK/podman/root" --runroot "$WORK/podman/run" --storage-driver "$1" \
    pull -q --tls-verify=false "docker://$REG_HOST/bench/$2:latest"
}
run_podman-vfs() { podman_pull vfs "$1"; }
run_podman-overlay() { podman_pull overlay "$1"; }
run_docker() {
  docker rmi -f "$REG_HOST/bench/$1:latest" >/dev/null 2>&1 || true
  timed docker docker pull -q "$REG_HOST/bench/$1:latest"
}
run_skopeo-umoci() {
  fresh "$WORK/oci"; fresh "$WORK/rootfs"
  timed skopeo sh -c 'skopeo copy -q --src-tls-verify=false "$1" "oci:$2:img" &&
    umoci raw unpack --image "$2:img" "$3"' _ "docker://$REG_HOST/bench/$1:latest" "$WORK/oci" "$WORK/rootfs"
}
run_docker-save() {
  fresh "$WORK/save"; mkdir -p "$WORK/save"
  timed save sh -c 'docker save "$1" | tar -x -C "$2"' _ "$REG_HOST/bench/$1:latest" "$WORK/save"
}

# available PEER: whether the peer can run here
available() {
  case $1 in
    podman-vfs) command -v podman >/dev/null ;;
    podman-overlay) command -v podman >/dev/null && grep -qw overlay /proc/filesystems ;;
    docker | docker-save) [ "$HAVE_DOCKER" = 1 ] ;;
    skopeo-umoci) command -v umoci >/dev/null ;;
  esac
}
cairn_for() { [ "$1" = docker-save ] && echo dockerd || echo registry; }
label() {
  case $1 in
    podman-vfs) echo "podman pull (vfs)" ;;
    podman-overlay) echo "podman pull (overlay)" ;;
    docker) echo "docker pull (overlay2)" ;;
    skopeo-umoci) echo "skopeo copy + umoci raw unpack" ;;
    docker-save) echo "docker save \\| tar -x" ;;
  esac
}
best() { "$PY" -c 'import sys; print("%.2f" % min(map(float, sys.argv[1:])))' "$@"; }
ratio() { "$PY" -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }

# bench TOOL TAG: warm-up, then REPS runs; prints the best
bench() {
  local runs=() i
  "run_$1" "$2" >/dev/null
  for i in $(seq "$REPS"); do runs+=("$("run_$1" "$2")"); done
  best "${runs[@]}"
}

echo "<!-- bench/pull.sh: $(nproc) CPUs, scratch $(df -T "$WORK" | awk 'NR==2 {print $2}'), REPS=$REPS, layout $LAYOUT, $(date -u +%Y-%m-%d) -->"
echo
echo "| image | source | cairn s | peer | peer s | peer / cairn |"
echo "|---|---|---:|---|---:|---:|"
first=1
for tag in $IMAGES; do
  [ "$first" = 1 ] || flush_trash
  first=0
  cairn_registry=$(bench cairn_registry "$tag")
  cairn_dockerd=
  for peer in $PEERS; do
    if ! available "$peer"; then echo "| $tag | | | $(label "$peer") | n/a | |"; continue; fi
    # docker-save and cairn dockerd:// need the image in dockerd: the docker peer pulled it
    if [ "$(cairn_for "$peer")" = dockerd ]; then
      docker pull -q "$REG_HOST/bench/$tag:latest" >/dev/null
      [ -n "$cairn_dockerd" ] || cairn_dockerd=$(bench cairn_dockerd "$tag")
      cairn_save=$(bench cairn_dockerd_save "$tag")
      c=$cairn_dockerd src="dockerd://"
    else
      c=$cairn_registry src="docker://"
    fi
    p=$(bench "$peer" "$tag")
    echo "| $tag | $src | $c | $(label "$peer") | $p | $(ratio "$p" "$c") |"
    if [ "$peer" = docker-save ]; then
      echo "| $tag | dockerd:// --docker-save | $cairn_save | $(label "$peer") | $p | $(ratio "$p" "$cairn_save") |"
    fi
  done
done
