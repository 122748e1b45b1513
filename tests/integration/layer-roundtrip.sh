#!/bin/bash
# Layers back out of the store byte for byte (store/layer_blobs.h) through
# `cairn export --format oci-archive|docker-archive`, with cairn's generated images
# (tests/fixtures/make-images.py: torture has whiteouts, opaque dirs, hardlinks, type changes,
# GNU long names and sparse files; base is what they overwrite).
#
# usage: layer-roundtrip.sh CAIRN_BINARY   (CAIRN_IT_BACKEND=dir|composefs|btrfs|zfs; root)
#  btrfs: on a scratch loop btrfs, zfs: on a scratch zfs-fuse pool (cow_fs.sh).
#  * torture and base from an OCI layout and from a docker-archive: both archives' config blob
#    hashes to the source's config digest, its diff_ids are the source's and every layer blob
#    uncompresses to a tar whose sha256 is its diff_id (archive_check.py); skopeo inspect
#    --config reads the same config; podman load (private storage) loads both, as the same id
#  * with --keep-blobs (the default of a dir store) the oci-archive's manifest digest is the
#    source's
#  * an import failing in its last layer leaves no record (ROOT/tar-split) and no kept blob
#    (ROOT/blobs); rmi + gc remove the records and blobs of the image
# Output: "ok - ..." / "not ok - ..." lines, then "N passed, M failed".
set -euo pipefail

CAIRN=${1:-${CAIRN:-}}
[ -n "$CAIRN" ] && [ -x "$CAIRN" ] || { echo "usage: layer-roundtrip.sh CAIRN_BINARY" >&2; exit 2; }
CAIRN=$(readlink -f "$CAIRN")
. "$(dirname "$(readlink -f "$0")")/lib.sh"
. "$IT_DIR/cow_fs.sh"
. "$IT_DIR/services.sh"
if [ "$(id -u)" != 0 ]; then echo "# SKIP layer-roundtrip.sh: needs root"; exit 77; fi
for tool in skopeo podman zstd; do
  command -v "$tool" >/dev/null || { echo "# SKIP layer-roundtrip.sh: $tool is missing"; exit 77; }
done
if [ "$BACKEND" = composefs ]; then composefs_prelude layer-roundtrip.sh; fi

scratch_work layer-roundtrip
trap 'cow_fs_teardown; unmount_all "$WORK"; [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK" 2>/dev/null || true' EXIT
IMGS=$WORK/img
"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$IMGS" >"$WORK/gen.log" 2>&1 ||
  { not_ok "make-images.py"; diag "$WORK/gen.log"; summary; exit 1; }

case $BACKEND in
  btrfs) rc=0; cow_fs_btrfs "$WORK" 1G || rc=$?
         if [ "$rc" = 1 ]; then echo "# SKIP: $COW_FS_WHY"; exit 77; fi
         [ "$rc" = 0 ] || { not_ok "btrfs: $COW_FS_WHY"; summary; exit 1; }
         ROOT=$BT_MNT/store ;;
  zfs)   rc=0; cow_fs_zfs "$WORK" 1G || rc=$?
         if [ "$rc" = 1 ]; then echo "# SKIP: $COW_FS_WHY"; exit 77; fi
         [ "$rc" = 0 ] || { not_ok "zfs: $COW_FS_WHY"; summary; exit 1; }
         ROOT=$ZFS_ROOT ;;
  *)     ROOT=$WORK/store ;;
esac
podman_storage "$WORK/podman"

# source_facts SOURCE: sets SRC_CONFIG (the config digest its manifest names), writes the
# diff_ids to $WORK/diff_ids.json and skopeo's rendering of the config to $WORK/config.json
source_facts() {
  skopeo inspect --config "$1" >"$WORK/config.json"
  SRC_CONFIG=$(skopeo inspect --raw "$1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])')
  "$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["rootfs"]["diff_ids"]))' \
    "$WORK/config.json" >"$WORK/diff_ids.json"
}

# roundtrip LABEL SOURCE NAME [podman]: import, export both forms, check them (and load them
# into podman: not torture, whose duplicate paths in one layer containers/storage refuses)
roundtrip() {
  local label=$1 src=$2 name=$3 podman=${4:-} form file
  source_facts "$src"
  c_import "$src" --name "$name"
  [ "$RC" = 0 ] || { not_ok "$label: import"; diag "$WORK/err"; return; }
  for form in oci docker; do
    file=$WORK/$name.$form.tar
    rm -f "$file"
    c_run export "$name" --format "$form-archive" -o "$file"
    [ "$RC" = 0 ] || { not_ok "$label: export $form-archive"; diag "$WORK/err"; continue; }
    if "$PY" "$IT_DIR/archive_check.py" "$form" "$file" "$SRC_CONFIG" "$WORK/diff_ids.json" >"$WORK/check.txt"; then
      ok "$label: $form-archive has the source's config digest and diff_ids, every layer's tar matches"
    else
      not_ok "$label: $form-archive differs from the source"; diag "$WORK/check.txt"
    fi
    skopeo inspect --config "$form-archive:$file" >"$WORK/config.out" 2>"$WORK/skopeo.err" || true
    check "$label: skopeo inspect --config $form-archive reads the source's config" \
      'cmp -s "$WORK/config.json" "$WORK/config.out"'
    [ -n "$podman" ] || continue
    local got
    podman "${PODMAN_ARGS[@]}" rmi -af >/dev/null 2>&1 || true
    if podman "${PODMAN_ARGS[@]}" load -i "$file" >"$WORK/podman.out" 2>&1; then
      got=$(podman "${PODMAN_ARGS[@]}" images -q --no-trunc | head -n 1)
      check "$label: podman loads the $form-archive as image ${SRC_CONFIG:7:12}" '[ "$got" = "$SRC_CONFIG" ]'
    else
      not_ok "$label: podman load $form-archive"; diag "$WORK/podman.out"
    fi
  done
}

manifest_digest() { echo "sha256:$(skopeo inspect --raw "$1" | sha256sum | cut -c1-64)"; }

count_files() { find "$ROOT/$1" -type f 2>/dev/null | wc -l; }

case $BACKEND in
  btrfs|zfs)
    # A layer snapshot holds the last version of a path: torture's layer 2 writes t/dup twice.
    c_import "oci:$IMGS/oci:torture" --name torture
    c_run export torture --format docker-archive -o "$WORK/no.tar"
    check "$BACKEND: torture's layer 2 (t/dup written twice) cannot be rebuilt: not found, hint --keep-blobs" \
      '[ "$RC" = 3 ] && grep -q "t/dup" "$WORK/err" && grep -q -- "--keep-blobs" "$WORK/err" && [ ! -e "$WORK/no.tar" ] && [ ! -e "$WORK/no.tar.partial" ]'
    c_import "oci:$IMGS/oci:torture" --name torture --keep-blobs
    check "$BACKEND: import --keep-blobs of a stored image keeps its blobs" \
      '[ "$RC" = 0 ] && [ "$(find "$ROOT/blobs" -type f | wc -l)" = 5 ]' ;;
esac
roundtrip "torture from oci" "oci:$IMGS/oci:torture" torture
roundtrip "torture from docker-archive" "docker-archive:$IMGS/archives/torture.docker-legacy.tar" torture-d
roundtrip "base from oci-archive" "oci-archive:$IMGS/archives/base.oci.tar" base podman

# Kept blobs: the manifest survives.
c_import "oci:$IMGS/oci:torture" --name torture --keep-blobs
c_run export torture --format oci-archive -o "$WORK/kept.tar"
src_manifest=$(manifest_digest "oci:$IMGS/oci:torture")
out_manifest=$(manifest_digest "oci-archive:$WORK/kept.tar")
check "--keep-blobs: the oci-archive's manifest digest is the source's" \
  '[ "$RC" = 0 ] && [ "$src_manifest" = "$out_manifest" ]'

# A failing import leaves no record and no blob.
c_run rmi torture torture-d base
c_run gc
check "rmi + gc remove every record and kept blob" \
  '[ "$(count_files tar-split)" = 0 ] && [ "$(count_files blobs)" = 0 ]'
cp -a "$IMGS/oci" "$WORK/broken"
last_layer=$("$PY" -c '
import json,sys
d=sys.argv[1]; idx=json.load(open(d+"/index.json"))
m=[x for x in idx["manifests"] if x.get("annotations",{}).get("org.opencontainers.image.ref.name")=="torture"][0]
man=json.load(open(d+"/blobs/sha256/"+m["digest"][7:])); print(man["layers"][-1]["digest"][7:])' "$WORK/broken")
truncate -s -100 "$WORK/broken/blobs/sha256/$last_layer"
c_import "oci:$WORK/broken:torture" --name broken --keep-blobs
check "an import failing in its last layer fails" '[ "$RC" != 0 ]'
check "... and leaves no record and no kept blob" \
  '[ "$(count_files tar-split)" = 0 ] && [ "$(count_files blobs)" = 0 ]'

summary
