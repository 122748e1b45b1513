#!/bin/bash
# One composefs identity for every mode (doc/composefs-backend.md, "Integrity", "Sealing"), with
# the real binary and real mounts:
#  * every fixture image (make-images.py: base, torture, multi) in flat, per-layer and hybrid stores
#    prints the same `cairn digest`, equal to the reference: the mkcomposefs-identical writer
#    (`cairn mkcomposefs --from-dump --print-digest`) on a dump of the dir backend's tree of the
#    same image (tests/tools/tree-dump.py), a path that shares nothing with the composefs import;
#  * a signature made on the flat store (detached, sign -o) verifies on the per-layer and hybrid
#    stores (verify --signature, and copied into the store); in each mode
#    a changed object, a changed EROFS file and a recipe whose image digest was changed make
#    `verify` fail (exit 4), and `mount --digest` refuses such an image and a wrong digest;
#  * sealing: `cairn seal` adds the image with the digest in its config label; an image whose
#    config label (containers.composefs.fsverity) agrees with its tree imports and shows as sealed
#    in `inspect`; one whose label disagrees is refused (exit 4) and the store is unchanged.
#
# usage: composefs-digest.sh CAIRN_BINARY   (root; skips without erofs/overlay)
set -euo pipefail
CAIRN=${1:-${CAIRN:-}}
[ -n "$CAIRN" ] && [ -x "$CAIRN" ] || { echo "usage: composefs-digest.sh CAIRN_BINARY" >&2; exit 2; }
CAIRN=$(readlink -f "$CAIRN")
. "$(dirname "$(readlink -f "$0")")/lib.sh"

composefs_prelude composefs-digest.sh
scratch_work cfsd
"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/img" >"$WORK/gen.log" 2>&1 ||
  { diag "$WORK/gen.log"; exit 1; }
OCI=$WORK/img/oci
DUMP=$REPO_DIR/tests/tools/tree-dump.py
MODES="flat per-layer hybrid"
# in_store MODE ARGS...: c_run on the composefs store of MODE
in_store() { local mode=$1; shift; ROOT=$WORK/store-$mode BACKEND=composefs c_run "$@"; }

# reference IMAGE: the digest of the image's tree as the dir backend unpacks it (root mtime 0, as
# no fixture layer has an entry for the root)
reference() {
  local tree
  tree=$("$CAIRN" --root "$WORK/store-dir" --backend dir mount "$1" | tail -1)
  "$PY" "$DUMP" "$tree" --root-mtime 0 >"$WORK/$1.dump"
  "$CAIRN" mkcomposefs --from-dump "$WORK/$1.dump" --print-digest "$WORK/$1.cfs"
}

same_digest_everywhere() {
  local image ref mode got
  for image in base torture multi; do
    ROOT=$WORK/store-dir BACKEND=dir c_import "oci:$OCI:$image"
    ref=$(reference "$image")
    for mode in $MODES; do
      ROOT=$WORK/store-$mode BACKEND=composefs c_import "oci:$OCI:$image" --mode "$mode"
      in_store "$mode" digest "$image"
      got=$LAST
      expect "$image, $mode: digest equals the reference's ($got, $ref)" [ "$RC" = 0 -a "$got" = "$ref" ]
    done
  done
  expect "hybrid store: torture was built on a shared prefix" \
    grep -q "^mode hybrid" $(ls "$WORK"/store-hybrid/composefs/images/*.chain)
}

signatures_across_modes() {
  local mode top sig
  openssl genpkey -algorithm ed25519 -out "$WORK/key.pem" 2>/dev/null
  openssl pkey -in "$WORK/key.pem" -pubout -out "$WORK/pub.pem"
  in_store flat sign torture --key "$WORK/key.pem" -o "$WORK/torture.sig"
  sig=$LAST
  expect "sign torture on the flat store into a detached file (rc=$RC)" [ "$RC" = 0 -a -f "$sig" ]
  for mode in per-layer hybrid; do
    in_store "$mode" verify torture --key "$WORK/pub.pem" --signature "$sig"
    check "the flat store's detached signature verifies on the $mode store (rc=$RC)" \
      '[ "$RC" = 0 ] && grep -q "signature: good" "$WORK/out"'
    in_store "$mode" inspect torture
    top=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["top_chain"][7:])' "$WORK/out")
    cp "$sig" "$WORK/store-$mode/composefs/signatures/$top.sig"
    in_store "$mode" verify torture --key "$WORK/pub.pem"
    expect "copied into the $mode store, it verifies as the store's own (rc=$RC)" [ "$RC" = 0 ]
  done
  in_store hybrid verify base --key "$WORK/pub.pem" --signature "$sig"
  expect "torture's signature does not verify another image, base (rc=$RC)" [ "$RC" = 4 ]
}

# damage_checks MODE: a changed object, a changed EROFS file and a changed recorded image digest
# each make verify and mount --digest fail; restored, both pass again
damage_checks() {
  local mode=$1 root=$WORK/store-$1 digest obj erofs recipe
  in_store "$mode" digest torture; digest=$LAST
  in_store "$mode" mount torture --digest "$digest"
  expect "$mode: mount --digest with the image's digest (rc=$RC)" [ "$RC" = 0 ]
  in_store "$mode" umount torture
  in_store "$mode" mount torture --digest "$(echo "$digest" | tr 0-9a-f 1-9a-f0)"
  check "$mode: mount --digest with another digest: exit 4 (rc=$RC)" '[ "$RC" = 4 ] && grep -q "image digest is" "$WORK/err"'
  obj=$(find "$root/composefs/objects" -type f -size +0 | sort | head -1)
  flip_byte "$obj"
  in_store "$mode" verify torture
  expect "$mode: a changed object fails verify (rc=$RC)" [ "$RC" = 4 ]
  in_store "$mode" mount torture --digest "$digest"
  expect "$mode: mount --digest refuses it (rc=$RC)" [ "$RC" = 4 ]
  flip_byte "$obj"
  recipe=$(grep -l "$(echo "$digest")" "$root"/composefs/images/*.chain | head -1)
  for erofs in $(awk '$1 == "erofs" {print $2}' "$recipe"); do
    flip_byte "$root/composefs/images/$erofs"
    in_store "$mode" verify torture
    expect "$mode: a changed EROFS file ($erofs) fails verify (rc=$RC)" [ "$RC" = 4 ]
    flip_byte "$root/composefs/images/$erofs"
  done
  cp "$recipe" "$WORK/recipe.saved"
  sed -i "s/^flat .*/flat $(echo "$digest" | tr 0-9a-f 1-9a-f0)/" "$recipe"
  in_store "$mode" verify torture
  check "$mode: a recipe whose image digest was changed fails verify (rc=$RC)" \
    '[ "$RC" = 4 ] && grep -q "is not that of its tree" "$WORK/out"'
  cp "$WORK/recipe.saved" "$recipe"
  in_store "$mode" verify torture
  expect "$mode: restored, verify passes again (rc=$RC)" [ "$RC" = 0 ]
}

sealing() {
  local digest sealed
  in_store hybrid seal base --name base:sealed
  sealed=$LAST
  in_store hybrid digest base; digest=$LAST
  in_store hybrid inspect base:sealed
  check "seal: the sealed image carries the digest in its config and shows as sealed (id $sealed)" \
    '[ "$RC" = 0 ] && "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); c=d[\"config\"][\"config\"][\"Labels\"]
assert c[\"containers.composefs.fsverity\"] == sys.argv[2] and d[\"seal\"] == {\"digest\": sys.argv[2], \"checked\": True}" "$WORK/out" "$digest"'
  "$PY" - "$REPO_DIR/tests/fixtures" "$WORK/sealed" plain <<'PYEOF'
import os, sys
sys.path.insert(0, sys.argv[1])
import imagekit as ik
def layer():
    L = ik.Layer(); L.dir("etc"); L.file("etc/hostname", "sealed\n"); return L
ik.write_layout(os.path.join(sys.argv[2], "oci"), [("plain", ik.Image("plain", [(layer(), "gzip")]))])
PYEOF
  ROOT=$WORK/store-seal BACKEND=composefs c_import "oci:$WORK/sealed/oci:plain"
  ROOT=$WORK/store-seal BACKEND=composefs c_run digest "$IMG_ID"
  digest=$LAST
  "$PY" - "$REPO_DIR/tests/fixtures" "$WORK/sealed" "$digest" <<'PYEOF'
import os, sys
sys.path.insert(0, sys.argv[1])
import imagekit as ik
out, digest = sys.argv[2], sys.argv[3]
def layer():
    L = ik.Layer(); L.dir("etc"); L.file("etc/hostname", "sealed\n"); return L
ik.write_layout(os.path.join(out, "oci2"), [
    ("good", ik.Image("good", [(layer(), "gzip")], labels={"containers.composefs.fsverity": digest})),
    ("bad", ik.Image("bad", [(layer(), "gzip")], labels={"containers.composefs.fsverity": "0" * 64})),
])
PYEOF
  ROOT=$WORK/store-seal BACKEND=composefs c_import "oci:$WORK/sealed/oci2:good"
  expect "seal: an image whose label agrees with its tree imports (rc=$RC)" [ "$RC" = 0 ]
  ROOT=$WORK/store-seal BACKEND=composefs c_run inspect "$IMG_ID"
  check "seal: inspect shows it sealed and checked" \
    '"$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"seal\"] == {\"digest\": sys.argv[2], \"checked\": True}" "$WORK/out" "$digest"'
  ROOT=$WORK/store-seal BACKEND=composefs store_snapshot "$WORK/before"
  ROOT=$WORK/store-seal BACKEND=composefs c_import "oci:$WORK/sealed/oci2:bad"
  check "seal: an image whose label disagrees is refused, exit 4 (rc=$RC)" \
    '[ "$RC" = 4 ] && grep -q "sealed image" "$WORK/err"'
  ROOT=$WORK/store-seal BACKEND=composefs store_snapshot "$WORK/after"
  expect "seal: the refused import left the store as it was" diff -u "$WORK/before" "$WORK/after"
}

same_digest_everywhere
signatures_across_modes
for mode in $MODES; do damage_checks "$mode"; done
sealing
summary
