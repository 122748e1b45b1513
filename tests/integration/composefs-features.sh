#!/bin/bash
# composefs features beyond the common suite (composefs.sh), with the real binary and real mounts:
#  * containers: create costs no copy; mount is a writable overlay over the image; what was
#    written persists across umount/mount; the image is unchanged; rmi refused and gc keeps the
#    image while the container exists; rm unmounts and leaves nothing; flat and per-layer stores
#  * integrity: digest, verify (clean store: exit 0; a flipped byte in an object, a deleted object
#    and a damaged EROFS image are all reported, exit 4); sign / verify --key round trip, wrong
#    key and tampered signature fail (exit 4)
#  * dedup: one content in two layers, two images and two sources (oci + docker-archive) is one
#    object; df counts it once in the total and in each image
#
# usage: composefs-features.sh CAIRN_BINARY   (root; skips without erofs/overlay)
set -euo pipefail
CAIRN=${1:-${CAIRN:-}}
[ -n "$CAIRN" ] && [ -x "$CAIRN" ] || { echo "usage: composefs-features.sh CAIRN_BINARY" >&2; exit 2; }
CAIRN=$(readlink -f "$CAIRN")
. "$(dirname "$(readlink -f "$0")")/lib.sh"

composefs_prelude composefs-features.sh
BACKEND=composefs
scratch_work cfsf

"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/img" >"$WORK/gen.log" 2>&1 ||
  { diag "$WORK/gen.log"; exit 1; }
OCI=$WORK/img/oci

# image_listing IMAGE OUT: listing of the read-only image mount (then unmounted)
image_listing() {
  c_mount "$1"
  listing "$MNT" "$2"
  "$CAIRN" --root "$ROOT" umount "$1" >/dev/null
}

# containers MODE
containers() {
  local mode=$1 mnt img
  ROOT=$WORK/store-$mode
  c_import "oci:$OCI:torture" --mode "$mode"
  img=$IMG_ID
  image_listing "$img" "$WORK/image-before.txt"
  c_run create "$img" c1
  expect "$mode: create: exit 0 (got $RC)" [ "$RC" = 0 ]
  expect "$mode: create made only empty directories" \
    [ -z "$(find "$ROOT/composefs/containers/c1/upper" "$ROOT/composefs/containers/c1/work" -mindepth 1)" ]
  c_run create "$img" c1
  expect "$mode: a second create c1 fails (got $RC)" [ "$RC" != 0 ]
  c_run ps
  expect "$mode: ps lists c1" grep -q '^c1 ' "$WORK/out"
  c_run mount c1
  mnt=$LAST
  expect "$mode: mount c1 at ROOT/mounts/containers/c1 (got $mnt)" [ "$RC" = 0 -a "$mnt" = "$ROOT/mounts/containers/c1" ]
  listing "$mnt" "$WORK/container.txt"
  same_listing "$mode: the fresh container lists like its image" "$WORK/image-before.txt" "$WORK/container.txt"
  echo written >"$mnt/hello" && echo changed >"$mnt/etc/motd" && rm "$mnt/etc/hostname"
  c_run umount c1
  expect "$mode: umount c1 (got $RC)" [ "$RC" = 0 ]
  expect "$mode: c1 is no longer mounted" [ -z "$(awk -v d="$mnt" '$2 == d' /proc/mounts)" ]
  c_run mount c1
  expect "$mode: what c1 wrote persists across umount/mount" \
    [ "$(cat "$mnt/hello")" = written -a "$(cat "$mnt/etc/motd")" = changed -a ! -e "$mnt/etc/hostname" ]
  c_run mount c1
  expect "$mode: mounting a mounted container prints its place" [ "$RC" = 0 -a "$LAST" = "$mnt" ]
  image_listing "$img" "$WORK/image-after.txt"
  same_listing "$mode: the image is unchanged" "$WORK/image-before.txt" "$WORK/image-after.txt"
  c_run rmi "$img"
  expect "$mode: rmi of the container's image is refused (got $RC)" [ "$RC" != 0 ]
  c_run gc
  c_run mount "$img" "$WORK/img-mnt"
  expect "$mode: gc keeps the container's image" [ "$RC" = 0 -a -e "$WORK/img-mnt/etc/hostname" ]
  "$CAIRN" --root "$ROOT" umount "$WORK/img-mnt" >/dev/null
  c_run rm c1
  expect "$mode: rm c1 (mounted) (got $RC)" [ "$RC" = 0 ]
  expect "$mode: after rm nothing is mounted below the store" [ -z "$(awk -v d="$ROOT/" 'index($2, d) == 1' /proc/mounts)" ]
  expect "$mode: after rm no container directory" [ ! -e "$ROOT/composefs/containers/c1" -a ! -e "$mnt" ]
  c_run ps
  expect "$mode: ps lists nothing" [ "$(wc -l <"$WORK/out")" = 1 ]
  c_run rmi "$img"
  c_run gc
  expect "$mode: rmi + gc leave no image data" [ -z "$(find "$ROOT/composefs" -mindepth 1 ! -type d | head -1)" ]
}

# is_digest RC TEXT: RC is 0 and TEXT is 64 lowercase hex digits
is_digest() { [ "$1" = 0 ] && [[ $2 =~ ^[0-9a-f]{64}$ ]]; }

integrity() {
  local base torture digest obj1 obj2 img_file
  ROOT=$WORK/store-integrity
  c_import "oci:$OCI:base"; base=$IMG_ID
  c_import "oci:$OCI:torture" --mode per-layer; torture=$IMG_ID
  fsck_erofs "per-layer" "$ROOT"/composefs/images/*.layer.cfs
  c_run digest "$base"
  digest=$LAST
  expect "digest prints 64 hex digits (got $digest)" is_digest "$RC" "$digest"
  expect "the flat image digest is the fs-verity digest of its EROFS file" \
    grep -q "erofs .* $digest\$" "$ROOT"/composefs/images/*.chain
  c_run digest "$torture"
  expect "digest of a per-layer image (got $RC)" is_digest "$RC" "$LAST"
  c_run verify
  expect "verify of a clean store: exit 0 (got $RC)" [ "$RC" = 0 ]
  openssl genpkey -algorithm ed25519 -out "$WORK/key.pem" 2>/dev/null
  openssl pkey -in "$WORK/key.pem" -pubout -out "$WORK/pub.pem"
  openssl genpkey -algorithm ed25519 -out "$WORK/other.pem" 2>/dev/null
  openssl pkey -in "$WORK/other.pem" -pubout -out "$WORK/other-pub.pem"
  c_run verify "$base" --key "$WORK/pub.pem"
  check "verify --key of an unsigned image: not signed, exit 3 (got $RC)" '[ "$RC" = 3 ] && grep -q "is not signed" "$WORK/err"'
  c_run sign "$base" --key "$WORK/key.pem"
  expect "sign (got $RC)" [ "$RC" = 0 -a -f "$LAST" ]
  c_run verify "$base" --key "$WORK/pub.pem"
  expect "verify --key with the right key: exit 0 (got $RC)" [ "$RC" = 0 ]
  expect "verify --key says the signature is good" grep -q "signature: good" "$WORK/out"
  c_run verify "$base" --key "$WORK/other-pub.pem"
  expect "verify --key with another key: exit 4 (got $RC)" [ "$RC" = 4 ]
  sig=$(ls "$ROOT"/composefs/signatures/*.sig)
  "$PY" -c 'import sys; p = sys.argv[1]; l = open(p).read().split("\n")
l[2] = l[2][:-1] + ("1" if l[2][-1] == "0" else "0"); open(p, "w").write("\n".join(l))' "$sig"
  c_run verify "$base" --key "$WORK/pub.pem"
  expect "verify --key with a tampered signature: exit 4 (got $RC)" [ "$RC" = 4 ]
  # damage: flip a byte of one object, delete another, flip a byte of the flat EROFS image
  obj1=$(find "$ROOT/composefs/objects" -type f | sort | head -1)
  obj2=$(find "$ROOT/composefs/objects" -type f | sort | tail -1)
  img_file=$(ls "$ROOT"/composefs/images/*.cfs | grep -v layer | head -1)
  flip_byte "$obj1"; rm "$obj2"; flip_byte "$img_file"
  c_run verify
  expect "verify of a damaged store: exit 4 (got $RC)" [ "$RC" = 4 ]
  expect "verify reports the corrupt object" grep -q "^corrupt object ${obj1#"$ROOT/composefs/objects/"}" "$WORK/out"
  expect "verify reports the missing object" grep -q "^missing object ${obj2#"$ROOT/composefs/objects/"}" "$WORK/out"
  expect "verify reports the corrupt EROFS image" grep -q "^corrupt EROFS image $(basename "$img_file")" "$WORK/out"
  expect "verify reports exactly those 3 problems" grep -q ": 3 problems$" "$WORK/out"
  diag "$WORK/out" 6
}

dedup() {
  ROOT=$WORK/store-dedup
  "$PY" - "$REPO_DIR/tests/fixtures" "$WORK/dedup" <<'PYEOF'
import os, sys
sys.path.insert(0, sys.argv[1])
import imagekit as ik
out = sys.argv[2]
content = b"the same content in two layers, two images and two sources\n" * 40
a1 = ik.Layer(); a1.dir("a"); a1.file("a/x", content)
a2 = ik.Layer(); a2.dir("b"); a2.file("b/x", content, mode=0o600)
b1 = ik.Layer(); b1.dir("c"); b1.file("c/x", content, uid=7)
ik.write_layout(os.path.join(out, "oci"), [("a", ik.Image("a", [(a1, "gzip"), (a2, "zstd")]))])
ik.write_docker_archive(os.path.join(out, "b.tar"), ik.Image("b", [(b1, "gzip")]), "dedup/b:latest", "legacy")
open(os.path.join(out, "content"), "wb").write(content)
PYEOF
  c_import "oci:$WORK/dedup/oci:a"
  expect "dedup: import image a from oci (got $RC)" [ "$RC" = 0 ]
  c_import "docker-archive:$WORK/dedup/b.tar"
  expect "dedup: import image b from docker-archive (got $RC)" [ "$RC" = 0 ]
  local n=0 f
  for f in $(find "$ROOT/composefs/objects" -type f); do cmp -s "$f" "$WORK/dedup/content" && n=$((n + 1)); done
  expect "dedup: the shared content is one object (found $n)" [ "$n" = 1 ]
  c_run --json df
  local df_objects size
  df_objects=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"]["object_bytes"])' "$WORK/out")
  size=$(stat -c %s "$WORK/dedup/content")
  expect "df: total object_bytes is the one object's size ($df_objects = $size)" [ "$RC" = 0 -a "$df_objects" = "$size" ]
  df_objects=$("$PY" -c 'import json,sys; print(sorted(i["object_bytes"] for i in json.load(open(sys.argv[1]))["images"]))' "$WORK/out")
  expect "df: each image counts the shared object ($df_objects)" [ "$df_objects" = "[$size, $size]" ]
}

containers flat
containers per-layer
integrity
dedup
summary
