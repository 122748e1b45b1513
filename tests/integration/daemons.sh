#!/usr/bin/env bash
# Daemon sources against the real engines: a private dockerd (data under a temp dir, unix socket
# only, no iptables, no bridge) and podman with private storage (vfs). Images made by
# tests/fixtures/make-daemon-images.py are loaded into both, imported via dockerd:// (from the
# daemon's layer store, and through docker save) and podman://, and compared with the same image
# imported from its docker-archive and oci sources.
#
# usage: daemons.sh CAIRN_BINARY     (root). Skips (exit 77, with a reason) only when the docker,
# dockerd or podman binaries are missing. Every daemon started here is stopped by PID on exit.
# CAIRN_IT_BACKEND=btrfs runs the same checks on a loop-mounted btrfs (the save stream is applied
# straight into the layer chain); default: dir.
set -euo pipefail

CAIRN=$(readlink -f "${1:-${CAIRN:-}}")
for tool in docker dockerd podman; do
  if ! command -v "$tool" >/dev/null; then echo "# SKIP: $tool is not installed"; exit 77; fi
done
source "$(dirname "$(readlink -f "$0")")/lib.sh"

WORK=$(mktemp -d "${CAIRN_TEST_TMP:-/var/tmp}/cairn-daemons.XXXXXX")
STORES=$WORK
STORE_COUNT=0
# fresh_store: points ROOT at a new, empty store (stores of chain backends hold read-only
# subvolumes that `rm -rf` cannot delete; they go with their filesystem at exit)
fresh_store() { STORE_COUNT=$((STORE_COUNT + 1)); ROOT=$STORES/store$STORE_COUNT; }
DOCKERD_PID=
source "$IT_DIR/cow_fs.sh"
cleanup() {
  cow_fs_teardown 2>/dev/null
  if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    kill "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$DOCKERD_PID" 2>/dev/null || true
  fi
  unmount_all "$WORK"  # dockerd's, and the image mounts of composefs stores
  [ -n "${KEEP:-}" ] || rm -rf "$WORK" 2>/dev/null || true
}
trap cleanup EXIT

if [ "$BACKEND" = btrfs ]; then
  cow_fs_btrfs "$WORK" 1G || { echo "cannot make a btrfs store: $COW_FS_WHY"; exit 1; }
  STORES=$BT_MNT
fi
fresh_store

# a short socket path: unix socket names are limited to 108 bytes
SOCK=$WORK/d.sock
export DOCKER_HOST=unix://$SOCK
mkdir -p "$WORK/docker"
dockerd --data-root "$WORK/docker/data" --exec-root "$WORK/docker/exec" --pidfile "$WORK/docker/pid" \
  -H "unix://$SOCK" --iptables=false --bridge=none --ip-forward=false >"$WORK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 100); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
if ! docker version >/dev/null 2>&1; then
  not_ok "private dockerd started"; diag "$WORK/dockerd.log" 30; summary; exit 1
fi
ok "private dockerd started (pid $DOCKERD_PID)"
P_ARGS=(--podman-root "$WORK/podman/root" --podman-runroot "$WORK/podman/run")
podman() { command podman --root "$WORK/podman/root" --runroot "$WORK/podman/run" --storage-driver vfs "$@"; }
# podman:// runs `podman --root --runroot`: the driver comes from CONTAINERS_STORAGE_CONF
cat >"$WORK/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$WORK/podman/root"
runroot = "$WORK/podman/run"
CONF
export CONTAINERS_STORAGE_CONF=$WORK/storage.conf

IMG=$WORK/images
"$PY" "$REPO_DIR/tests/fixtures/make-daemon-images.py" "$IMG"
"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/fixtures" >/dev/null
for archive in "$IMG/layered.docker-legacy.tar" "$WORK/fixtures/archives/base.docker-legacy.tar"; do
  expect "docker load $(basename "$archive")" docker load -q -i "$archive"
  expect "podman load $(basename "$archive")" podman load -q -i "$archive"
done

# same_tree DESC IMAGE_NAME REF_LISTING: the rootfs of IMAGE_NAME lists like REF_LISTING
same_tree() {
  c_mount "$2"
  if [ "$RC" != 0 ]; then not_ok "$1 (mount rc=$RC)"; diag "$WORK/err"; return; fi
  listing "$MNT" "$WORK/got.listing"
  same_listing "$1" "$3" "$WORK/got.listing"
}

for image in layered base; do
  case $image in
    layered) archive=$IMG/layered.docker-legacy.tar; oci=oci:$IMG/layered:layered ;;
    base) archive=$WORK/fixtures/archives/base.docker-legacy.tar; oci=oci:$WORK/fixtures/oci:base ;;
  esac
  fresh_store
  first=1
  for src in "dockerd://cairn-test/$image" "podman://cairn-test/$image" "docker-archive:$archive" "$oci"; do
    c_import "$src" "${P_ARGS[@]}" --name "$image-$(src_label "$src" | cut -d: -f1)"
    if [ "$RC" != 0 ]; then not_ok "import $(src_label "$src") (rc=$RC)"; diag "$WORK/err"; continue; fi
    if [ "$first" = 1 ]; then
      expect "import $(src_label "$src") ingests its layers ($INGESTED)" test "$INGESTED" -gt 0
      c_mount "$image-dockerd"; listing "$MNT" "$WORK/ref.listing"
      first=0
    else
      expect "import $(src_label "$src") adds no layer (ingested $INGESTED)" test "$INGESTED" = 0
      same_tree "$image: $(src_label "$src") tree equals dockerd://" "$image-$(src_label "$src" | cut -d: -f1)" "$WORK/ref.listing"
    fi
  done
  # and in the other order: the file source first, then the daemons into a fresh store
  fresh_store
  c_import "docker-archive:$archive"; listing_ok=$RC
  c_mount "$(tail -n1 "$WORK/out" >/dev/null; echo "$IMG_ID")"; listing "$MNT" "$WORK/file.listing"
  for src in "podman://cairn-test/$image" "dockerd://cairn-test/$image" \
    "dockerd://cairn-test/$image --docker-save"; do
    fresh_store
    # shellcheck disable=SC2086 # a source may carry a flag
    c_import $src "${P_ARGS[@]}"
    if [ "$RC" != 0 ] || [ "$listing_ok" != 0 ]; then not_ok "fresh import $src (rc=$RC)"; diag "$WORK/err"; continue; fi
    same_tree "$image: fresh $(src_label "$src") tree equals docker-archive" "$IMG_ID" "$WORK/file.listing"
  done
done

# dockerd:// reads the daemon's layer store (source/docker_layer_store.h): no docker CLI runs (a
# `docker` that fails comes first in PATH); --docker-save goes through the CLI and yields the same image
FAKE=$WORK/fakebin
mkdir -p "$FAKE"
printf '#!/bin/sh\necho "fake docker: $*" >&2\nexit 99\n' >"$FAKE/docker"
chmod +x "$FAKE/docker"
fresh_store
PATH=$FAKE:$PATH c_import dockerd://cairn-test/layered
expect "dockerd:// from the layer store runs no docker CLI (rc=$RC)" test "$RC" = 0
store_id=$IMG_ID
expect "dockerd:// from the layer store records the saved name" \
  grep -q '"name": "cairn-test/layered:latest"' "$WORK/out"
PATH=$FAKE:$PATH c_import dockerd://cairn-test/layered --docker-save
expect "--docker-save runs docker save" grep -q "fake docker: save cairn-test/layered" "$WORK/err"
fresh_store
c_import dockerd://cairn-test/layered --docker-save
expect "--docker-save gives the same image id (rc=$RC)" test "$RC" = 0 -a "$IMG_ID" = "$store_id"
c_import dockerd://cairn-test/layered
expect "dockerd:// after --docker-save adds no layer ($INGESTED)" test "$RC" = 0 -a "$INGESTED" = 0

# a layer store that changed under the daemon: the reassembled tar no longer hashes to the diff_id
# (same size) or no longer matches its record (other size); the store is left as it was. The file
# is in the base layer's directory, which every backend reads (composefs reads a layer that an
# image repeats once: layered's top layer is its second again, from another directory).
BASE_DIR=$(docker image inspect -f '{{.GraphDriver.Data.LowerDir}}' cairn-test/layered | tr : '\n' | tail -n1)
VICTIM=$(find "$BASE_DIR" -type f -size +0 | head -n1)
if [ -z "$VICTIM" ]; then
  not_ok "a regular file in the base layer's directory ($BASE_DIR)"
else
  cp -a "$VICTIM" "$WORK/victim.orig"
  fresh_store; store_snapshot "$WORK/before"
  printf X | dd of="$VICTIM" bs=1 seek=0 conv=notrunc status=none
  c_import dockerd://cairn-test/layered
  expect "changed layer file: exit 4 (rc=$RC)" test "$RC" = 4
  expect "changed layer file: digest mismatch" grep -q "digest mismatch" "$WORK/err"
  echo extra >>"$VICTIM"
  c_import dockerd://cairn-test/layered
  expect "grown layer file: exit 4 (rc=$RC)" test "$RC" = 4
  expect "grown layer file: said so" grep -q "changed since it was unpacked" "$WORK/err"
  store_snapshot "$WORK/after"
  same_listing "a changed layer store leaves the store unchanged" "$WORK/before" "$WORK/after"
  cp -a "$WORK/victim.orig" "$VICTIM"
  c_import dockerd://cairn-test/layered
  expect "restored layer file imports again (rc=$RC)" test "$RC" = 0 -a "$IMG_ID" = "$store_id"
fi

# errors: a missing image (exit 3), a missing daemon (exit 1), nothing left behind
fresh_store; c_import "docker-archive:$IMG/layered.docker-legacy.tar"; store_snapshot "$WORK/before"
c_import dockerd://cairn-test/no-such-image
expect "dockerd:// missing image: exit 3" test "$RC" = 3
expect "dockerd:// missing image: daemon's message" grep -q "No such image" "$WORK/err"
c_import podman://cairn-test/no-such-image "${P_ARGS[@]}"
expect "podman:// missing image: exit 3" test "$RC" = 3
expect "podman:// missing image: podman's message" grep -q "image not known" "$WORK/err"
DOCKER_HOST=unix://$WORK/nobody.sock c_import dockerd://cairn-test/layered
expect "dockerd:// no daemon: exit 1" test "$RC" = 1
expect "dockerd:// no daemon: docker's message" grep -q "Cannot connect to the Docker daemon" "$WORK/err"
store_snapshot "$WORK/after"
same_listing "failed imports leave the store unchanged" "$WORK/before" "$WORK/after"

summary
