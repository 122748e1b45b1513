#!/bin/bash
# End-to-end run of cairn over the shared fixture kit's images (real debootstrap/umoci/skopeo/GNU tar
# output), in every file source form the kit exported.
#
# usage: shared-fixtures.sh CAIRN_BINARY [KIT_DIR]     (root; KIT_DIR default: <repo>/../shared/fixtures)
#   SMALL=1    the small set ($CAIRN_E2E/small) instead of the full one ($CAIRN_E2E/images)
#   TAGS="a b" only these tags (default: base app-* tricky edge-* evil-* of the kit's OCI layout)
#   CAIRN_TEST_TMP  where the scratch store goes (default $CAIRN_E2E/tmp; not tmpfs)
#   KEEP=1     keep the scratch store
#
# Per tag and source form (oci:$OCI:TAG, oci:$LAYOUTS/TAG[-zstd|-uncompressed]:latest,
# oci-archive:$ARCHIVES/TAG.oci.tar:latest, docker-archive:$ARCHIVES/TAG.docker.tar — those that exist):
#  * import; from the second form on, 0 layers ingested (layers are named by diff_id)
#  * mount, then the kit's compare-tree.sh ROOTFS TAG against its umoci reference listing (once per
#    distinct image ID)
#  * edge-* whose reference listing is empty (umoci refuses the image; the kit's own data): either
#    outcome is reported; a refusal must be clean (exit 4, cairn: error:, store unchanged)
#  * evil-*: check-evil.sh reset / import / check-evil.sh must say CLEAN (again after mount)
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
cleanup() {
  unmount_all "$WORK"
  if [ "${KEEP:-0}" = 1 ]; then echo "# kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
ROOT=$WORK/store

all_tags() {
  ref_names "$OCI" | grep -E '^(base|app-.*|tricky|edge-.*|evil-.*)$' | grep -v '\.partial$' || true
}

sources_of() {
  local tag=$1 v
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
  case $1 in oci:*) local p=${1#oci:}; echo "oci:$(basename "${p%:*}")";; *) echo "${1%%:*}";; esac
}

evil_clean() { "$KIT/check-evil.sh" check >"$WORK/evil" 2>&1; }

# compare TAG IMAGE_ID SOURCE: mount and compare with the kit's reference (once per image ID)
compare() {
  local tag=$1 id=$2 src=$3 rc=0
  case " $COMPARED " in *" $id "*) return;; esac
  COMPARED="$COMPARED $id"
  c_mount "$id"
  if [ "$RC" != 0 ]; then not_ok "$tag: mount (exit $RC)"; diag "$WORK/err" 5; return; fi
  "$KIT/compare-tree.sh" "$MNT" "$tag" >"$WORK/cmp" 2>&1 || rc=$?
  case $rc in
    0) ok "$tag via $(form "$src"): rootfs same as the reference listing";;
    2) note "$tag: no reference listing ($(head -1 "$WORK/cmp"))";;
    *) not_ok "$tag via $(form "$src"): rootfs same as the reference listing"; diag "$WORK/cmp" 30;;
  esac
}

umoci_refuses() { [ -f "$EXPECTED/$1.umoci.txt" ] && [ ! -s "$EXPECTED/$1.umoci.txt" ]; }

# one_source TAG SOURCE: import and check one source form of TAG; adds the image ID to IDS; FIRST is 1
# until one form of TAG imported
one_source() {
  local tag=$1 src=$2
  case $tag in evil-*) "$KIT/check-evil.sh" reset;; esac
  store_snapshot "$WORK/before"
  c_import "$src"
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
  compare "$tag" "$IMG_ID" "$src"
  case $tag in evil-*) expect "$tag: canary CLEAN after mount" evil_clean;; esac
}

refused() {
  local tag=$1 src=$2
  case $tag in
    evil-*) expect "$tag via $(form "$src"): refused with cairn: error: (exit $RC)" is_cairn_error;;
    *) if umoci_refuses "$tag"; then
         expect "$tag via $(form "$src"): refused like umoci, exit 4 + cairn: error: (exit $RC)" [ "$RC" = 4 ]
       else
         not_ok "$tag via $src: import (exit $RC)"; diag "$WORK/err" 5; return
       fi;;
  esac
  store_snapshot "$WORK/after"
  expect "$tag via $(form "$src"): refused import leaves the store unchanged" diff -q "$WORK/before" "$WORK/after"
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

main() {
  local tag src tags
  tags=${TAGS:-$(all_tags | tr '\n' ' ')}
  note "cairn: $CAIRN; fixtures: $IMG; store: $ROOT"
  for tag in $tags; do
    IDS="" COMPARED="" FIRST=1
    while read -r src; do
      one_source "$tag" "$src"
    done < <(sources_of "$tag")
    # base stays: the next tags share its layer
    [ "$tag" = base ] || drop_images
  done
  summary
}

main
