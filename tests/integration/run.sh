#!/bin/bash
# cairn's integration test over the file sources (oci:, oci-archive:, docker-archive:), driving the
# real binary on a fresh store with the dir backend (CAIRN_IT_BACKEND=composefs: the composefs
# backend, see composefs.sh).
#
# usage: run.sh CAIRN_BINARY          (or CAIRN=... run.sh); must run as root (devices, owners, xattrs)
#
# Builds synthetic images with tests/fixtures/make-images.py, then checks:
#  * every good image from every source form imports, and its mounted rootfs lists exactly like
#    `umoci raw unpack` of the same image (tests/tools/tree-listing.py); the image ID is the
#    config digest; re-importing from another form ingests 0 layers
#  * inspect: diff_ids as in the config, chain_ids by the OCI ChainID rule; images; --name; prefix ids
#  * export: the tar extracts (GNU tar, --xattrs) to a tree that lists like the mount
#  * the multi-platform index resolves to the host platform, --platform to the other one
#  * bad images: exit 4, `cairn: error:`, store unchanged (images, files under dir/, tmp/ empty)
#  * evil images: refused, or contained (listing equals umoci's); the canary outside never touched
#  * exit codes 2 (usage) and 3 (not found); rmi + gc leave no image data
# Output: one "ok - ..." / "not ok - ..." line per check, then "N passed, M failed".
# Env: CAIRN_NO_UMOCI=1 skips the umoci comparisons (with a note); KEEP=1 keeps the scratch dir;
#      CAIRN_TEST_TMP: where the scratch dir goes (default /var/tmp; must support xattrs, not tmpfs).
set -euo pipefail

CAIRN=${1:-${CAIRN:-}}
[ -n "$CAIRN" ] && [ -x "$CAIRN" ] || { echo "usage: run.sh CAIRN_BINARY" >&2; exit 2; }
CAIRN=$(readlink -f "$CAIRN")
. "$(dirname "$(readlink -f "$0")")/lib.sh"

WORK=$(mktemp -d "${CAIRN_TEST_TMP:-/var/tmp}/cairn-it.XXXXXX")
cleanup() { unmount_all "$WORK"; if [ "${KEEP:-0}" = 1 ]; then echo "# kept $WORK" >&2; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
IMGS=$WORK/img
CANARY=$WORK/canary
ROOT=$WORK/store

host_arch() {
  case $(uname -m) in x86_64) echo amd64;; aarch64) echo arm64;; *) uname -m;; esac
}

# ---- umoci references --------------------------------------------------------------------------
USE_UMOCI=1
if [ "${CAIRN_NO_UMOCI:-0}" = 1 ]; then
  USE_UMOCI=0; note "skipping umoci comparisons: CAIRN_NO_UMOCI=1"
elif ! command -v umoci >/dev/null; then
  USE_UMOCI=0; not_ok "umoci is installed (needed for reference unpacks; CAIRN_NO_UMOCI=1 skips)"
fi

# ref_listing KEY LAYOUT:TAG -> prints the path of umoci's listing, or nothing if umoci refuses
ref_listing() {
  local key=$1 ref=$2 out=$WORK/ref/$1.txt
  [ "$USE_UMOCI" = 1 ] || return 0
  if [ ! -e "$out" ] && [ ! -e "$out.refused" ]; then
    mkdir -p "$WORK/ref"
    if umoci raw unpack --image "$ref" "$WORK/ref/$key.rootfs" >"$WORK/ref/$key.log" 2>&1; then
      listing "$WORK/ref/$key.rootfs" "$out"
    else
      touch "$out.refused"
    fi
    rm -rf "$WORK/ref/$key.rootfs"
  fi
  [ -e "$out" ] && echo "$out"
  return 0
}

# compare_mount DESC IMAGE REFKEY UMOCIREF: mount IMAGE and compare its listing with umoci's
compare_mount() {
  local desc=$1 image=$2 ref
  c_mount "$image"
  if [ "$RC" != 0 ]; then not_ok "$desc: mount (exit $RC)"; diag "$WORK/err" 5; return; fi
  listing "$MNT" "$WORK/got.txt"
  [ "$USE_UMOCI" = 1 ] || { ok "$desc: mounted ($(wc -l <"$WORK/got.txt") entries, not compared)"; return; }
  ref=$(ref_listing "$3" "$4")
  if [ -z "$ref" ]; then not_ok "$desc: umoci reference unpack of $4 failed"; diag "$WORK/ref/$3.log" 5; return; fi
  same_listing "$desc: rootfs lists like umoci's unpack" "$ref" "$WORK/got.txt"
}

canary_reset() { rm -rf "$CANARY"; mkdir -p "$CANARY"; echo canary >"$CANARY/canary"; echo victim >"$CANARY/victim"; }
canary_clean() {
  [ "$(cat "$CANARY/canary" 2>/dev/null)" = canary ] && [ "$(cat "$CANARY/victim" 2>/dev/null)" = victim ] &&
    [ "$(stat -c %h "$CANARY/canary")" = 1 ] && [ "$(ls -A "$CANARY" | wc -l)" = 2 ]
}

# ---- phases --------------------------------------------------------------------------------------
build_fixtures() {
  if "$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$IMGS" --canary "$CANARY" >"$WORK/gen.log" 2>&1; then
    ok "fixtures generated"
  else
    not_ok "fixtures generated"; diag "$WORK/gen.log"; summary; exit 1
  fi
}

good_images() {
  local seen=" " name layers uref id diffs src first new d lbl
  while IFS=$'\t' read -r -a row; do
    name=${row[0]} layers=${row[1]} uref=${row[2]} id=${row[3]} diffs=${row[4]}
    new=0
    for d in $("$PY" -c 'import json,sys; print(" ".join(json.loads(sys.argv[1])))' "$diffs"); do
      case $seen in *" $d "*) ;; *) new=$((new + 1)); seen="$seen$d ";; esac
    done
    first=1
    for src in "${row[@]:5}"; do
      lbl=$(src_label "$src")
      c_import "$src"
      if [ "$RC" != 0 ]; then not_ok "import $lbl (exit $RC)"; diag "$WORK/err" 5; continue; fi
      expect "import $lbl: id is the config digest" [ "$IMG_ID" = "$id" ]
      if [ "$first" = 1 ]; then
        # a flattening backend (dir) re-applies shared layers for a new image: at least the new ones
        expect "import $lbl: ingests at least the $new new of $layers layers (got $INGESTED, reused $REUSED)" \
          [ "$INGESTED" -ge "$new" -a $((INGESTED + REUSED)) = "$layers" ]
      else
        expect "import $lbl: re-import ingests 0 layers (got $INGESTED, reused $REUSED)" \
          [ "$INGESTED" = 0 -a "$REUSED" = "$layers" ]
      fi
      compare_mount "$name via $lbl" "$IMG_ID" "$name" "$uref"
      first=0
    done
    c_run inspect "$id"
    if [ "$RC" = 0 ] && "$PY" "$CHECK" inspect "$WORK/out" "$id" "$diffs" >"$WORK/problems"; then
      ok "inspect $name: diff_ids and ChainIDs"
    else
      not_ok "inspect $name: diff_ids and ChainIDs (exit $RC)"; diag "$WORK/problems"; diag "$WORK/err" 3
    fi
    export_check "$name" "$id"
  done < <("$PY" "$CHECK" desc "$IMGS/images.json" good)
}

export_check() {
  local name=$1 id=$2 x=$WORK/export-$1
  c_run export "$id" -o "$WORK/$name.tar"
  if [ "$RC" != 0 ] || [ ! -s "$WORK/$name.tar" ]; then not_ok "export $name (exit $RC)"; diag "$WORK/err" 5; return; fi
  mkdir -p "$x"
  if ! tar --xattrs --xattrs-include='*' --numeric-owner -xpf "$WORK/$name.tar" -C "$x" 2>"$WORK/tar.err"; then
    not_ok "export $name: GNU tar extracts it"; diag "$WORK/tar.err" 5; return
  fi
  c_mount "$id"
  [ "$RC" = 0 ] || { not_ok "export $name: mount for comparison"; return; }
  listing "$MNT" "$WORK/m.txt" --mtime-seconds; listing "$x" "$WORK/x.txt" --mtime-seconds
  same_listing "export $name: extracted tar lists like the mount (whole-second mtimes)" "$WORK/m.txt" "$WORK/x.txt"
  listing "$MNT" "$WORK/m.txt"; listing "$x" "$WORK/x.txt"
  same_listing "export $name: sub-second mtimes kept" "$WORK/m.txt" "$WORK/x.txt"
  rm -rf "$x" "$WORK/$name.tar"
}

names_and_prefixes() {
  local id=$1 hex
  hex=${id#sha256:}
  c_import "oci:$IMGS/oci:torture" --name cairn-test/named:v1
  expect "import --name: exit 0" [ "$RC" = 0 ]
  c_run --json images
  expect "images --json lists the name" grep -qxF cairn-test/named:v1 <("$PY" "$CHECK" names "$WORK/out" "$id" 2>/dev/null)
  c_run inspect cairn-test/named:v1
  expect "inspect by name" [ "$RC" = 0 ]
  c_mount "${hex:0:12}"
  expect "mount by a 12-hex id prefix" [ "$RC" = 0 ]
  c_run import "oci:$IMGS/oci:base"
  expect "plain import prints the image ID on its last line" [ "$RC" = 0 -a "$LAST" = "$("$PY" -c \
    'import json,sys; print([g["id"] for g in json.load(open(sys.argv[1]))["good"] if g["name"]=="base"][0])' "$IMGS/images.json")" ]
}

multi_platform() {
  local host other src
  host=$(host_arch); [ "$host" = arm64 ] && other=amd64 || other=arm64
  src=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["multi"]["source"])' "$IMGS/images.json")
  c_import "$src"
  if [ "$RC" = 0 ]; then
    ok "import multi-platform index (host $host)"
    compare_mount "multi (host)" "$IMG_ID" "multi-$host" "$IMGS/ref:multi-$host"
    expect "multi (host): /platform/arch is $host" grep -qsx "$host" "$MNT/platform/arch"
  else
    not_ok "import multi-platform index (exit $RC)"; diag "$WORK/err" 5
  fi
  c_import "$src" --platform "linux/$other"
  if [ "$RC" = 0 ]; then
    ok "import multi-platform index --platform linux/$other"
    compare_mount "multi ($other)" "$IMG_ID" "multi-$other" "$IMGS/ref:multi-$other"
    expect "multi ($other): /platform/arch is $other" grep -qsx "$other" "$MNT/platform/arch"
  else
    not_ok "import --platform linux/$other (exit $RC)"; diag "$WORK/err" 5
  fi
}

bad_images() {
  local name src
  while IFS=$'\t' read -r name src; do
    store_snapshot "$WORK/before"
    c_run import "$src"
    if [ "$RC" = 4 ] && is_cairn_error; then ok "$name: refused with exit 4 and cairn: error:"
    else not_ok "$name: refused with exit 4 and cairn: error: (got exit $RC)"; diag "$WORK/err" 3; fi
    store_snapshot "$WORK/after"
    if diff -u "$WORK/before" "$WORK/after" >"$WORK/diff"; then ok "$name: store unchanged"
    else not_ok "$name: store unchanged"; diag "$WORK/diff" 10; fi
  done < <("$PY" "$CHECK" desc "$IMGS/images.json" bad)
}

evil_images() {
  local name src uref ref
  ROOT=$WORK/evil-store
  c_import "oci:$IMGS/oci:base"
  expect "evil store: base imported" [ "$RC" = 0 ]
  while IFS=$'\t' read -r name src uref; do
    canary_reset
    store_snapshot "$WORK/before"
    c_import "$src"
    expect "$name: canary untouched after import (exit $RC)" canary_clean
    if [ "$RC" != 0 ]; then
      expect "$name: refused with cairn: error: (exit $RC)" is_cairn_error
      store_snapshot "$WORK/after"
      expect "$name: refused import leaves the store unchanged" diff -q "$WORK/before" "$WORK/after"
      continue
    fi
    c_mount "$IMG_ID"
    if [ "$RC" != 0 ]; then not_ok "$name: accepted but mount fails"; continue; fi
    expect "$name: canary untouched after mount" canary_clean
    listing "$MNT" "$WORK/got.txt"
    canary_reset
    ref=$(ref_listing "$name" "$uref")
    canary_clean || note "$name: umoci damaged the canary (not cairn's doing)"
    if [ "$USE_UMOCI" = 0 ]; then ok "$name: accepted, contained (listing not compared)"
    elif [ -n "$ref" ]; then same_listing "$name: accepted and contained: lists like umoci's unpack" "$ref" "$WORK/got.txt"
    else ok "$name: accepted and contained (umoci refuses it: no reference listing)"; fi
  done < <("$PY" "$CHECK" desc "$IMGS/images.json" evil)
  ROOT=$WORK/store
}

exit_codes() {
  c_run import
  expect "import without a source: exit 2 (got $RC)" [ "$RC" = 2 ]
  c_run inspect sha256:0000000000000000000000000000000000000000000000000000000000000000
  expect "inspect of an unknown image: exit 3 with cairn: error: (got $RC)" [ "$RC" = 3 -a -s "$WORK/err" ]
  c_run rmi no-such-image:latest
  expect "rmi of an unknown image: exit 3 (got $RC)" [ "$RC" = 3 ]
  c_run import "oci:$WORK/does-not-exist:latest"
  expect "import of a missing layout fails with cairn: error: (exit $RC)" [ "$RC" != 0 -a "$(head -c 13 "$WORK/err")" = "cairn: error:" ]
}

remove_all() {
  local r id
  for r in "$WORK/store" "$WORK/evil-store"; do
    ROOT=$r
    c_run --json images
    [ "$RC" = 0 ] || { not_ok "images --json on $(basename "$r") (exit $RC)"; continue; }
    for id in $("$PY" "$CHECK" image-ids "$WORK/out" 2>/dev/null); do
      "$CAIRN" --root "$ROOT" --backend "$BACKEND" umount "$id" >/dev/null 2>&1 || true
      c_run rmi "$id"
      [ "$RC" = 0 ] || not_ok "rmi $id on $(basename "$r") (exit $RC)"
    done
    c_run gc
    expect "gc on $(basename "$r"): exit 0" [ "$RC" = 0 ]
    c_run --json images
    expect "$(basename "$r") after rmi + gc: images --json is empty" [ "$("$PY" "$CHECK" images "$WORK/out" 2>/dev/null)" = "[]" ]
    expect "$(basename "$r") after rmi + gc: no image data under $BACKEND/" \
      [ -z "$(find "$ROOT/$BACKEND" -mindepth 1 ! -type d 2>/dev/null | head -1)" ]
    expect "$(basename "$r") after umount: nothing mounted below the store" \
      [ -z "$(awk -v d="$ROOT/" 'index($2, d) == 1' /proc/mounts)" ]
    expect "$(basename "$r") after rmi + gc: tmp/ empty" [ -z "$(find "$ROOT/tmp" -mindepth 1 2>/dev/null | head -1)" ]
  done
  ROOT=$WORK/store
}

# every EROFS image the composefs backend wrote passes fsck.erofs
composefs_images_check() {
  fsck_erofs "composefs images" "$WORK"/store/composefs/images/*.cfs \
    "$WORK"/evil-store/composefs/images/*.cfs
}

main() {
  [ "$(id -u)" = 0 ] || { echo "run.sh must run as root (devices, owners, xattrs)" >&2; exit 2; }
  note "cairn: $CAIRN, scratch: $WORK"
  build_fixtures
  good_images
  local torture_id
  torture_id=$("$PY" -c 'import json,sys; print([g["id"] for g in json.load(open(sys.argv[1]))["good"] if g["name"]=="torture"][0])' "$IMGS/images.json")
  names_and_prefixes "$torture_id"
  multi_platform
  exit_codes
  bad_images
  evil_images
  [ "$BACKEND" = composefs ] && composefs_images_check
  remove_all
  summary
}

main
