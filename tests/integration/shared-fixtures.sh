#!/bin/bash
# End-to-end run of cairn over the shared fixture kit's images (real debootstrap/umoci/skopeo/GNU tar
# output), in every file source form the kit exported.
#
# usage: shared-fixtures.sh CAIRN_BINARY [KIT_DIR]     (root; KIT_DIR default: <repo>/../shared/fixtures)
#   SMALL=1    the small set ($CAIRN_E2E/small) instead of the full one ($CAIRN_E2E/images)
#   TAGS="a b" only these tags (default: base app-* tricky edge-* evil-* of the kit's OCI layout)
#   CAIRN_TEST_TMP  where the scratch store goes (default $CAIRN_E2E/tmp; not tmpfs)
#   KEEP=1     keep the scratch directory (chain backends: their filesystem images, torn down)
#   CAIRN_IT_BACKEND  dir (default), composefs, btrfs or zfs. btrfs and zfs get a scratch
#              filesystem of their own (tests/integration/cow_fs.sh: a loop-mounted btrfs, a
#              zfs-fuse pool on a file; COW_FS_SIZE, default 1G, 4G for the full set) holding the store
#
# Per tag and source form (dockerd://TAG, docker://$REG_HOST/$REPO/TAG:v2s2 from the kit's registry
# when it runs, oci:$OCI:TAG, oci:$LAYOUTS/TAG[-zstd|-uncompressed]:latest,
# oci-archive:$ARCHIVES/TAG.oci.tar:latest, docker-archive:$ARCHIVES/TAG.docker.tar — those that exist;
# dockerd:// first, from a private dockerd that `docker load`ed TAG.docker.tar, so its layers are read
# from the daemon's layer store before any other form stored them; where docker loads the archive but
# cannot `docker save` it either, cairn must refuse it cleanly). Then, each into a store of its own so
# that it ingests every layer itself: docker://…/TAG:latest (on zfs: in the main store), and
# podman://REF from private podman storage that loaded TAG.docker.tar (not on zfs; where podman
# cannot save it, cairn must refuse it cleanly):
#  * import; from the second form on, 0 layers ingested (layers are named by diff_id)
#  * mount, then the kit's compare-tree.sh ROOTFS TAG against its umoci reference listing (once per
#    distinct image ID)
#  * edge-* whose reference listing is empty (umoci refuses the image; the kit's own data): either
#    outcome is reported; a refusal must be clean (exit 4, cairn: error:, store unchanged)
#  * evil-*: check-evil.sh reset / import / check-evil.sh must say CLEAN (again after mount)
# Per tag: a container c1 of the image (create, mount), whose tree lists like the reference too; a
# file written into it leaves the image as it was; rm. Then rmi + gc (base stays until the end);
# on btrfs/zfs no subvolume/dataset is left but base's (`btrfs subvolume list`, `zfs list -r`),
# and none at all once base went too.
# zfs-fuse stores no xattrs (skipped like any ENOTSUP) and whole seconds only: zfs listings are
# compared without xattrs and with mtimes cut to seconds (said on each such line); a tag whose
# reference holds a time after 2038 (zfs-fuse: EOVERFLOW) must be refused cleanly: non-zero,
# `cairn: error: ... utimensat ...: Value too large ...`, store unchanged, no staging dataset.
# Output: "ok - ..." / "not ok - ..." lines, then "N passed, M failed"; exit 1 if anything failed.
set -euo pipefail

CAIRN=${1:-${CAIRN:-}}
[ -n "$CAIRN" ] && [ -x "$CAIRN" ] || { echo "usage: shared-fixtures.sh CAIRN_BINARY [KIT_DIR]" >&2; exit 2; }
CAIRN=$(readlink -f "$CAIRN")
. "$(dirname "$(readlink -f "$0")")/lib.sh"
KIT=$(readlink -f "${2:-$REPO_DIR/../shared/fixtures}")
[ -f "$KIT/env.sh" ] || { echo "no fixture kit at $KIT (env.sh missing)" >&2; exit 2; }
export SMALL=${SMALL:-0}
# env.sh is written for plain bash (its pipelines may fail harmlessly): source it without -e/pipefail
set +eu +o pipefail
# shellcheck source=/dev/null
. "$KIT/env.sh" || exit 2
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "shared-fixtures.sh must run as root" >&2; exit 2; }
if [ ! -f "$OCI/index.json" ]; then
  note "skipped: no fixtures at $OCI (build them: ${SMALL:+SMALL=$SMALL }$KIT/all.sh)"
  summary; exit 0
fi

mkdir -p "${CAIRN_TEST_TMP:-$E2E/tmp}"
WORK=$(mktemp -d "${CAIRN_TEST_TMP:-$E2E/tmp}/cairn-e2e.XXXXXX")
. "$IT_DIR/cow_fs.sh"
# the chain stores' read-only subvolumes and datasets go with their filesystem, never by rm -rf
cleanup() {
  set +e
  stop_services
  cow_fs_teardown
  unmount_all "$WORK"
  if awk -v d="$WORK/" 'index($2, d) == 1 {found=1} END {exit !found}' /proc/mounts; then
    echo "# still mounted below $WORK: left in place" >&2
  elif [ "${KEEP:-0}" = 1 ]; then echo "# kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
ROOT=$WORK/store
# a private dockerd for the dockerd:// form (services.sh; stopped by PID in cleanup)
SERVICE_PIDS=()
. "$IT_DIR/services.sh"
DOCKERD_UP=0
if command -v dockerd >/dev/null && command -v docker >/dev/null; then
  if start_dockerd "$WORK/dk"; then DOCKERD_UP=1; else note "private dockerd did not start: no dockerd:// form"; fi
fi
# private podman storage for the podman:// form (overlay driver, under $WORK)
PODMAN_UP=0 PODMAN_CAIRN_ARGS=()
if command -v podman >/dev/null; then
  podman_storage "$WORK/pm" overlay
  PODMAN_CAIRN_ARGS=(--podman-root "$WORK/pm/root" --podman-runroot "$WORK/pm/run")
  PODMAN_UP=1
fi
REGISTRY_UP=0
if registry_up; then REGISTRY_UP=1; else note "the kit's registry is not running: no docker:// form"; fi
case $BACKEND in
  btrfs|zfs)
    rc=0
    "cow_fs_$BACKEND" "$WORK" "${COW_FS_SIZE:-$([ "$SMALL" = 1 ] && echo 1G || echo 4G)}" || rc=$?
    if [ "$rc" = 1 ]; then note "skipped: $BACKEND: $COW_FS_WHY"; summary; exit 0; fi
    if [ "$rc" != 0 ]; then not_ok "$BACKEND: $COW_FS_WHY"; summary; exit 1; fi
    if [ "$BACKEND" = btrfs ]; then ROOT=$BT_MNT/store; else ROOT=$ZFS_ROOT DATASET=$ZFS_STORE; fi;;
esac

# a store of its own for the podman:// and docker://…:latest forms, beside the main one, so that
# they ingest every layer themselves (zfs: none, a store there is a dataset of its own: docker://
# goes into the main store, and there is no podman:// form)
case $BACKEND in
  btrfs) OWN_STORE=$BT_MNT/own-store;;
  zfs) OWN_STORE=""; note "zfs: no podman:// form, docker:// into the main store (a store of its own is a dataset of its own)";;
  *) OWN_STORE=$WORK/own-store;;
esac

all_tags() {
  ref_names "$OCI" | grep -E '^(base|app-.*|tricky|edge-.*|evil-.*)$' | grep -v '\.partial$' || true
}

# docker_form TAG: sets DOCKER_FORM to dockerd://REF when the private dockerd loads TAG's docker
# archive and can save it, or DOCKER_REFUSED to REF when it loads it but cannot save it (its layer
# store lost what the tar held)
docker_form() {
  local tag=$1 ref
  DOCKER_FORM="" DOCKER_REFUSED=""
  [ "$DOCKERD_UP" = 1 ] && [ -f "$ARCHIVES/$tag.docker.tar" ] || return 0
  docker load -q -i "$ARCHIVES/$tag.docker.tar" >"$WORK/docker-load" 2>&1 || return 0
  ref=$(sed -n 's/^Loaded image: //p' "$WORK/docker-load" | head -n1)
  [ -n "$ref" ] || return 0
  if docker save "$ref" >/dev/null 2>&1; then DOCKER_FORM=dockerd://$ref; else DOCKER_REFUSED=$ref; fi
}

# in_registry TAG:REF: the kit's registry (when it runs) holds $REPO/TAG:REF
in_registry() {
  [ "$REGISTRY_UP" = 1 ] && curl -fsS -o /dev/null -H "Accept: $MANIFEST_TYPES" \
    "http://$REG_HOST/v2/$REPO/${1%%:*}/manifests/${1#*:}" 2>/dev/null
}
MANIFEST_TYPES=application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json

# sources_of TAG: the forms of TAG for the main store (docker://…:latest goes into a store of its
# own unless there is none)
sources_of() {
  local tag=$1 v
  [ -z "$DOCKER_FORM" ] || echo "$DOCKER_FORM"
  [ -n "$OWN_STORE" ] || ! in_registry "$tag:latest" || echo "docker://$REG_HOST/$REPO/$tag:latest"
  ! in_registry "$tag:v2s2" || echo "docker://$REG_HOST/$REPO/$tag:v2s2"
  echo "oci:$OCI:$tag"
  for v in "$tag" "$tag-zstd" "$tag-uncompressed"; do
    [ -f "$LAYOUTS/$v/index.json" ] && echo "oci:$LAYOUTS/$v:latest"
  done
  [ -f "$ARCHIVES/$tag.oci.tar" ] && echo "oci-archive:$ARCHIVES/$tag.oci.tar:latest"
  [ -f "$ARCHIVES/$tag.docker.tar" ] && echo "docker-archive:$ARCHIVES/$tag.docker.tar"
  return 0
}

# form SOURCE: short name of a source form, e.g. oci:oci, oci:tricky-zstd, oci-archive, docker-archive
form() {
  case $1 in
    oci:*) local p=${1#oci:}; echo "oci:$(basename "${p%:*}")";;
    dockerd://*) echo dockerd;;
    podman://*) echo podman;;
    docker://*) echo "docker:${1##*:}";;
    *) echo "${1%%:*}";;
  esac
}

# in_own_store COMMAND ARGS...: runs COMMAND with ROOT at a store of its own, empty at the start
# and again at the end (rmi + gc), and the main store's state put back afterwards
in_own_store() {
  local main_root=$ROOT main_ids=$IDS main_compared=$COMPARED main_first=$FIRST
  ROOT=$OWN_STORE IDS="" COMPARED="" FIRST=1
  "$@"
  drop_images
  ROOT=$main_root IDS=$main_ids COMPARED=$main_compared FIRST=$main_first
}

# registry_form TAG: docker://…/TAG:latest from the kit's registry into a store of its own, so that
# every layer comes from the registry
registry_form() {
  [ -n "$OWN_STORE" ] && in_registry "$1:latest" || return 0
  in_own_store one_source "$1" "docker://$REG_HOST/$REPO/$1:latest"
}

# podman_form TAG: podman loads TAG's docker archive; podman://REF goes into a store of its own, so
# that every layer comes from podman's save stream, and is checked like any other form there.
# Where podman loads the archive but cannot save it, cairn must refuse it cleanly. podman save
# spools into $TMPDIR and leaves its files there when it fails or is killed: cairn gives it a
# directory of its own, so the TMPDIR cairn runs with stays empty.
podman_form() {
  local tag=$1 ref
  [ "$PODMAN_UP" = 1 ] && [ -n "$OWN_STORE" ] && [ -f "$ARCHIVES/$tag.docker.tar" ] || return 0
  pm load -q -i "$ARCHIVES/$tag.docker.tar" >"$WORK/podman-load" 2>&1 ||
    { note "$tag: podman cannot load its docker archive: no podman:// form"; return 0; }
  ref=$(sed -n 's/^Loaded image[^:]*: //p' "$WORK/podman-load" | head -n1)
  [ -n "$ref" ] || { note "$tag: podman load named no image"; return 0; }
  mkdir -p "$WORK/cairn-tmp"
  if pm save -q -o /dev/null "$ref" >/dev/null 2>&1; then
    TMPDIR=$WORK/cairn-tmp in_own_store one_source "$tag" "podman://$ref"
  else
    TMPDIR=$WORK/cairn-tmp in_own_store engine_refused "$tag" podman "podman://$ref" \
      "${PODMAN_CAIRN_ARGS[@]}"
  fi
  expect "$tag via podman: nothing left in the TMPDIR cairn ran with" test -z "$(ls -A "$WORK/cairn-tmp")"
  pm rmi -f "$ref" >/dev/null 2>&1 || true
}
# pm ARGS...: podman on the private storage, its own temporary files in WORK
pm() { mkdir -p "$WORK/pm-tmp"; TMPDIR=$WORK/pm-tmp podman "${PODMAN_ARGS[@]}" "$@"; }

# engine_refused TAG ENGINE SOURCE [IMPORT_ARGS...]: ENGINE (docker, podman) loaded TAG but cannot
# save it; cairn's import of SOURCE must refuse it cleanly too
engine_refused() {
  local tag=$1 engine=$2 src=$3; shift 3
  store_snapshot "$WORK/before"
  c_import "$src" "$@"
  expect "$tag via $(form "$src"): $engine cannot save it, cairn refuses it too (exit $RC)" is_cairn_error
  store_snapshot "$WORK/after"
  expect "$tag via $(form "$src"): refused import leaves the store unchanged" diff -q "$WORK/before" "$WORK/after"
}

evil_clean() { "$KIT/check-evil.sh" check >"$WORK/evil" 2>&1; }

# zfs-fuse stores no xattrs and whole seconds only: drop those fields of a listing
zfs_fuse_fields() { sed -E -e 's/ xattr:[^ ]*//g' -e 's/( mtime=-?[0-9]+)\.[0-9]+/\1/'; }

# compare_tree ROOTFS TAG: the kit's compare-tree.sh (exit 0 same, 1 differs, 2 no reference);
# on zfs the same without what zfs_fuse_fields drops. Output in $WORK/cmp; FILTERED says what
# was left out (empty if nothing was).
compare_tree() {
  local exp=$EXPECTED/$2.umoci.txt x t
  FILTERED=""
  if [ "$BACKEND" != zfs ]; then "$KIT/compare-tree.sh" "$1" "$2" >"$WORK/cmp" 2>&1; return; fi
  [ -s "$exp" ] || { echo "no reference listing for $2" >"$WORK/cmp"; return 2; }
  x=$(grep -o ' xattr:' "$exp" | wc -l); t=$(grep -cE ' mtime=-?[0-9]+\.[0-9]*[1-9]' "$exp" || true)
  [ "$x$t" = 00 ] || FILTERED=" (zfs-fuse: $x xattrs and $t sub-second mtimes not compared)"
  # shellcheck disable=SC2046
  diff -u --label "expected/$2" --label "$1" <(zfs_fuse_fields <"$exp") \
    <("$KIT/tree-manifest.py" "$1" $(skip_args "$2") | zfs_fuse_fields) >"$WORK/cmp" 2>&1
}

# check_tree WHAT ROOTFS TAG: ok if ROOTFS lists like TAG's reference
check_tree() {
  local rc=0
  compare_tree "$2" "$3" || rc=$?
  case $rc in
    0) ok "$1 same as the reference listing$FILTERED";;
    2) note "$3: no reference listing ($(head -1 "$WORK/cmp"))";;
    *) not_ok "$1 same as the reference listing$FILTERED"; diag "$WORK/cmp" 30;;
  esac
}

# compare TAG IMAGE_ID SOURCE: mount and compare with the kit's reference (once per image ID)
compare() {
  local tag=$1 id=$2 src=$3
  case " $COMPARED " in *" $id "*) return;; esac
  COMPARED="$COMPARED $id"
  c_mount "$id"
  if [ "$RC" != 0 ]; then not_ok "$tag: mount (exit $RC)"; diag "$WORK/err" 5; return; fi
  check_tree "$tag via $(form "$src"): rootfs" "$MNT" "$tag"
}

# unstorable TAG: prints why the store's filesystem cannot hold TAG (zfs-fuse: a time after 2038)
unstorable() {
  [ "$BACKEND" = zfs ] && [ -f "$EXPECTED/$1.umoci.txt" ] || return 1
  grep -oE ' mtime=[0-9]+' "$EXPECTED/$1.umoci.txt" | awk -F= '$2 > 2147483647 {f=1} END {exit !f}' ||
    return 1
  echo "a time after 2038, which zfs-fuse cannot store"
}

# chain_objects: every subvolume (btrfs) or dataset and snapshot below the store's (zfs)
chain_objects() {
  case $BACKEND in
    btrfs) btrfs subvolume list "$BT_MNT" | awk '{print $NF}' | LC_ALL=C sort;;
    zfs) zfs list -H -r -t all -o name "$DATASET" |
           { grep -vxF -e "$DATASET" -e "$DATASET/layers" -e "$DATASET/containers" || true; } |
           LC_ALL=C sort;;
  esac
}
no_staging_left() { ! chain_objects | grep -q '\.tmp-'; }

# container TAG IMAGE_ID: c1 of the image lists like the reference; writing into it leaves the
# image unchanged; rm
container() {
  local tag=$1 id=$2 image
  c_mount "$id"; image=$MNT
  c_run create "$id" c1
  if [ "$RC" != 0 ]; then not_ok "$tag: create container c1 (exit $RC)"; diag "$WORK/err" 5; return; fi
  c_mount c1
  if [ "$RC" != 0 ]; then not_ok "$tag: mount container c1 (exit $RC)"; diag "$WORK/err" 5; return; fi
  check_tree "$tag: container c1's tree" "$MNT" "$tag"
  if echo written >"$MNT/cairn-c1-file" && [ "$(cat "$MNT/cairn-c1-file")" = written ]; then
    ok "$tag: container c1 is writable"
  else
    not_ok "$tag: container c1 is writable"
  fi
  expect "$tag: the image does not see c1's file" test ! -e "$image/cairn-c1-file"
  check_tree "$tag: after writing into c1, the image's rootfs still" "$image" "$tag"
  "$CAIRN" --root "$ROOT" --backend "$BACKEND" umount c1 >/dev/null 2>&1 || true
  c_run rm c1
  expect "$tag: rm c1 (exit $RC)" test "$RC" = 0
  c_run --json ps
  expect "$tag: ps lists no container after rm" grep -qx '\[\]' "$WORK/out"
}

# run_image TAG IMAGE_ID: `cairn run --rm` of the runnable images (base, app-python): the
# command's output and exit code, and no container left
run_image() {
  local tag=$1 id=$2
  case $tag in
    base) c_run run --rm "$id" -- sh -c 'echo cairn-run; exit 3'
          check "$tag: cairn run --rm: output and exit code 3 (exit $RC)" \
            '[ "$RC" = 3 ] && [ "$(cat "$WORK/out")" = cairn-run ]' ;;
    app-python) c_run run --rm -e CAIRN_X=6 "$id" -- python3 -c \
                  'import os; print(int(os.environ["CAIRN_X"]) * 7)'
                check "$tag: cairn run --rm python3 (exit $RC)" \
                  '[ "$RC" = 0 ] && [ "$(cat "$WORK/out")" = 42 ]' ;;
    *) return 0 ;;
  esac
  [ "$RC" = 0 ] || [ "$RC" = 3 ] || diag "$WORK/err" 5
  c_run --json ps
  expect "$tag: cairn run --rm leaves no container" grep -qx '\[\]' "$WORK/out"
}

umoci_refuses() { [ -f "$EXPECTED/$1.umoci.txt" ] && [ ! -s "$EXPECTED/$1.umoci.txt" ]; }

# one_source TAG SOURCE: import and check one source form of TAG; adds the image ID to IDS; FIRST is 1
# until one form of TAG imported
one_source() {
  local tag=$1 src=$2 why
  case $tag in evil-*) "$KIT/check-evil.sh" reset;; esac
  store_snapshot "$WORK/before"
  case $src in
    docker://*) c_import "$src" --insecure;;
    podman://*) c_import "$src" "${PODMAN_CAIRN_ARGS[@]}";;
    *) c_import "$src";;
  esac
  case $tag in evil-*) expect "$tag via $(form "$src"): canary CLEAN after import (exit $RC)" evil_clean;; esac
  if [ "$RC" != 0 ]; then
    refused "$tag" "$src"; return
  fi
  IDS="$IDS $IMG_ID"
  if umoci_refuses "$tag"; then note "$tag via $(form "$src"): accepted (umoci refuses it; no reference)"; fi
  case $tag in evil-*) ok "$tag via $(form "$src"): accepted, contained";; esac
  if [ "$FIRST" = 0 ]; then
    expect "$tag via $src: re-import ingests 0 layers (got $INGESTED, reused $REUSED)" [ "$INGESTED" = 0 ]
  else
    ok "$tag via $src: imported ($INGESTED ingested, $REUSED reused)"
    FIRST=0
  fi
  if why=$(unstorable "$tag"); then
    not_ok "$tag via $(form "$src"): imported although the store holds $why"
  fi
  compare "$tag" "$IMG_ID" "$src"
  case $tag in evil-*) expect "$tag: canary CLEAN after mount" evil_clean;; esac
}

refused() {
  local tag=$1 src=$2 why
  case $tag in
    evil-*) expect "$tag via $(form "$src"): refused with cairn: error: (exit $RC)" is_cairn_error;;
    *) if umoci_refuses "$tag"; then
         expect "$tag via $(form "$src"): refused like umoci, exit 4 + cairn: error: (exit $RC)" [ "$RC" = 4 ]
       elif why=$(unstorable "$tag"); then
         expect "$tag via $(form "$src"): refused, it holds $why (exit $RC): $(grep -m1 '^cairn: error:' "$WORK/err" | cut -c1-200)" \
           grep -q '^cairn: error:.*utimensat.*Value too large' "$WORK/err"
       else
         not_ok "$tag via $src: import (exit $RC)"; diag "$WORK/err" 5; return
       fi;;
  esac
  store_snapshot "$WORK/after"
  expect "$tag via $(form "$src"): refused import leaves the store unchanged" diff -q "$WORK/before" "$WORK/after"
  case $BACKEND in
    btrfs|zfs) expect "$tag via $(form "$src"): no staging $BACKEND object left" no_staging_left;;
  esac
}

drop_images() {
  local id
  for id in $(echo "$IDS" | tr ' ' '\n' | sort -u); do
    "$CAIRN" --root "$ROOT" --backend "$BACKEND" umount "$id" >/dev/null 2>&1 || true
    c_run rmi "$id"
    [ "$RC" = 0 ] || not_ok "rmi $id (exit $RC)"
  done
  c_run gc
  [ "$RC" = 0 ] || not_ok "gc (exit $RC)"
}

# objects_left WHAT EXPECTED_FILE: ok if the chain objects are those listed in EXPECTED_FILE
objects_left() {
  case $BACKEND in btrfs|zfs) ;; *) return 0;; esac
  chain_objects >"$WORK/objects"
  if diff -u "$2" "$WORK/objects" >"$WORK/diff"; then ok "$1"; else not_ok "$1"; diag "$WORK/diff" 20; fi
}

main() {
  local tag src tags id base_ids=""
  tags=${TAGS:-$(all_tags | tr '\n' ' ')}
  note "cairn: $CAIRN; fixtures: $IMG; store: $ROOT ($BACKEND)"
  [ "$BACKEND" != zfs ] || note "zfs-fuse stores no xattrs and whole-second times only: see each comparison"
  : >"$WORK/base-objects"
  for tag in $tags; do
    IDS="" COMPARED="" FIRST=1
    docker_form "$tag"
    [ -z "$DOCKER_REFUSED" ] || engine_refused "$tag" docker "dockerd://$DOCKER_REFUSED"
    while read -r src; do
      one_source "$tag" "$src"
    done < <(sources_of "$tag")
    read -r id _ <<<"$IDS" || true
    [ -z "$id" ] || container "$tag" "$id"
    [ -z "$id" ] || ! command -v crun >/dev/null || run_image "$tag" "$id"
    registry_form "$tag"
    podman_form "$tag"
    # base stays: the next tags share its layer
    if [ "$tag" = base ]; then
      base_ids=$IDS
      chain_objects >"$WORK/base-objects"
    else
      drop_images
      objects_left "$tag: rmi + gc leave no $BACKEND object but base's" "$WORK/base-objects"
    fi
  done
  IDS=$base_ids
  drop_images
  : >"$WORK/none"
  objects_left "rmi + gc of every image leave no $BACKEND object" "$WORK/none"
  summary
}

main
