#!/bin/bash
# composefs hybrid mode with the real binary and real mounts: the synthetic images (base, torture,
# multi-amd64, multi-arm64: all start with base's layer) imported into a hybrid store (threshold 2)
# share base's flat EROFS image as their prefix, each with one diff image above it; every image
# mounts with the same listing as in a flat store (but for the overlay's trusted.overlay.opaque /
# whiteouts xattrs on directories that hold whiteouts, shown to root by stacked overlays) — hard
# links across the prefix boundary included (torture's /t/hl-lower); digest and verify work; with
# CAIRN_COMPOSEFS_HYBRID_MIN=3 torture is flat until the third image on base re-splits it (its flat
# file gone with gc); rmi + gc leave nothing.
#
# usage: composefs_hybrid.sh CAIRN_BINARY   (root; skips without erofs/overlay)
set -euo pipefail
CAIRN=${1:-${CAIRN:-}}
[ -n "$CAIRN" ] && [ -x "$CAIRN" ] || { echo "usage: composefs_hybrid.sh CAIRN_BINARY" >&2; exit 2; }
CAIRN=$(readlink -f "$CAIRN")
. "$(dirname "$(readlink -f "$0")")/lib.sh"

composefs_prelude composefs_hybrid.sh
BACKEND=composefs
scratch_work cfsh
unset CAIRN_COMPOSEFS_HYBRID_MIN

"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/img" >"$WORK/gen.log" 2>&1 ||
  { diag "$WORK/gen.log"; exit 1; }
OCI=$WORK/img/oci
IMAGES="base torture multi-amd64 multi-arm64"

# image_listing IMAGE OUT: listing of the read-only image mount without the stacking overlay's
# own xattrs, then unmounted
image_listing() {
  c_mount "$1"
  listing "$MNT" "$2.raw"
  sed -E 's/ xattr\.trusted\.overlay\.(opaque|whiteouts)=[0-9a-f]*//g' "$2.raw" >"$2"
  "$CAIRN" --root "$ROOT" umount "$1" >/dev/null
}

# like_flat DESC NAME GOT: GOT lists like the flat store's NAME
like_flat() { same_listing "$1" "$WORK/flat-$2.txt" "$3"; }

# recipe IMAGE_TOP: the image's recipe file
recipe() { echo "$ROOT/composefs/images/${1#sha256:}.chain"; }

declare -A ID
ROOT=$WORK/flat
for name in $IMAGES; do
  c_import "oci:$OCI:$name" --mode flat
  expect "flat: import $name (got $RC)" [ "$RC" = 0 ]
  ID[$name]=$IMG_ID
  image_listing "$IMG_ID" "$WORK/flat-$name.txt"
done

ROOT=$WORK/hybrid
for name in $IMAGES; do
  c_import "oci:$OCI:$name" --mode hybrid
  expect "hybrid: import $name (got $RC)" [ "$RC" = 0 -a "$IMG_ID" = "${ID[$name]}" ]
done
for name in $IMAGES; do
  image_listing "${ID[$name]}" "$WORK/hybrid-$name.txt"
  like_flat "hybrid: $name mounts like in a flat store" "$name" "$WORK/hybrid-$name.txt"
done
base_recipe=$(grep -l "^mode flat$" "$ROOT"/composefs/images/*.chain || true)
expect "hybrid: base, imported first, is flat (one flat recipe: $(echo "$base_recipe" | wc -w))" \
  [ "$(echo "$base_recipe" | wc -w)" = 1 ]
base_cfs=$(awk '/^erofs /{print $2}' "$base_recipe")
n=$(grep -l "^prefix 1$" "$ROOT"/composefs/images/*.chain | wc -l)
expect "hybrid: the 3 other images are hybrid with a 1-layer prefix (got $n)" [ "$n" = 3 ]
n=$(grep -l "^erofs $base_cfs " "$ROOT"/composefs/images/*.chain | wc -l)
expect "hybrid: all 4 recipes mount base's flat image $base_cfs (got $n)" [ "$n" = 4 ]
n=$(ls "$ROOT"/composefs/images/*.cfs | wc -l)
expect "hybrid: EROFS files: base's + 3 diff images (got $n)" \
  [ "$n" = 4 -a "$(ls "$ROOT"/composefs/images/*.diff.cfs | wc -l)" = 3 ]
fsck_erofs hybrid "$ROOT"/composefs/images/*.cfs
c_run digest "${ID[torture]}"
is_digest() { [ "$1" = 0 ] && [[ $2 =~ ^[0-9a-f]{64}$ ]]; }
expect "hybrid: digest of a hybrid image (got $RC: $LAST)" is_digest "$RC" "$LAST"
c_run verify
expect "hybrid: verify of the store: exit 0 (got $RC)" [ "$RC" = 0 ]
c_run create "${ID[torture]}" c1
c_run mount c1
expect "hybrid: a container of a hybrid image mounts (got $RC)" [ "$RC" = 0 -a -d "$LAST" ]
echo hi >"$LAST/written" && expect "hybrid: the container is writable" [ -f "$LAST/written" ]
c_run rm c1
expect "hybrid: rm c1 (got $RC)" [ "$RC" = 0 ]
c_run rmi "${ID[base]}"
c_run gc
expect "hybrid: gc keeps base's flat image while hybrid images use it" [ -f "$ROOT/composefs/images/$base_cfs" ]
image_listing "${ID[torture]}" "$WORK/hybrid-torture-2.txt"
like_flat "hybrid: torture still mounts after base is removed" torture "$WORK/hybrid-torture-2.txt"
for name in torture multi-amd64 multi-arm64; do c_run rmi "${ID[$name]}"; done
c_run gc
expect "hybrid: rmi + gc leave no image data" [ -z "$(find "$ROOT/composefs" -mindepth 1 ! -type d | head -1)" ]

ROOT=$WORK/hybrid3
export CAIRN_COMPOSEFS_HYBRID_MIN=3
for name in $IMAGES; do
  c_import "oci:$OCI:$name" --mode hybrid
  [ "$name" = torture ] && first_two=$(cd "$ROOT"/composefs/images && ls *.cfs)
done
unset CAIRN_COMPOSEFS_HYBRID_MIN
n=$(grep -l "^mode flat$" "$ROOT"/composefs/images/*.chain | wc -l)
expect "threshold 3: only base stays flat (flat recipes: $n)" [ "$n" = 1 ]
n=$(grep -l "^mode hybrid$" "$ROOT"/composefs/images/*.chain | wc -l)
expect "threshold 3: torture (flat when imported, re-split by the third image on base) and the multi images are hybrid (got $n)" [ "$n" = 3 ]
c_run gc
left=0
for f in $first_two; do if [ -e "$ROOT/composefs/images/$f" ]; then left=$((left + 1)); fi; done
expect "threshold 3: of base's and torture's flat files, gc leaves base's once torture is re-split (left: $left)" \
  [ "$(echo $first_two | wc -w)" = 2 -a "$left" = 1 ]
n=$(ls "$ROOT"/composefs/images/*.cfs | wc -l)
expect "threshold 3: EROFS files: base's + 3 diff images (got $n)" [ "$n" = 4 ]
for name in torture multi-amd64 multi-arm64; do
  image_listing "${ID[$name]}" "$WORK/hybrid3-$name.txt"
  like_flat "threshold 3: $name mounts like in a flat store" "$name" "$WORK/hybrid3-$name.txt"
done
c_run verify
expect "threshold 3: verify after the re-split: exit 0 (got $RC)" [ "$RC" = 0 ]
summary
