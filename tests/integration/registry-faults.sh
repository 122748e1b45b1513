#!/usr/bin/env bash
# docker:// when the registry misbehaves, against a real loopback docker-registry:
#   - a proxy that drops every blob download after 256 bytes once (tests/tools/cutting-proxy.py):
#     each layer download resumes with Range at the byte it reached (the config, fetched whole,
#     is fetched again), the import succeeds and the tree equals the OCI layout's;
#   - a proxy dropping every attempt at the big layer: the import fails after --retries with an
#     error that names the blob and the byte, and the store is unchanged;
#   - a layer and then a config whose bytes were changed in the registry's storage: digest
#     mismatch (exit 4), store unchanged; once repaired, the same import succeeds.
#
# usage: registry-faults.sh CAIRN_BINARY   (root). Skips (exit 77, with a reason) when
# docker-registry, skopeo or curl are missing. Every service started here is stopped by PID on exit.
set -euo pipefail

CAIRN=$(readlink -f "${1:-${CAIRN:-}}")
source "$(dirname "$(readlink -f "$0")")/lib.sh"
source "$IT_DIR/services.sh"
service_scratch regf docker-registry skopeo curl

expect "loopback registry started" start_registry "$WORK/reg"
REGISTRY=$REG_HOST
REG_BLOBS=$WORK/reg/data/docker/registry/v2/blobs/sha256
expect "proxy that cuts each blob download once started" \
  start_cutting_proxy "$WORK/once" "$REGISTRY" 256 1
ONCE=$PROXY_HOST ONCE_LOG=$PROXY_LOG
expect "proxy that cuts every download of the big layer started" \
  start_cutting_proxy "$WORK/always" "$REGISTRY" 256 -1 100000
ALWAYS=$PROXY_HOST

IMG=$WORK/images
"$PY" "$REPO_DIR/tests/fixtures/make-daemon-images.py" "$IMG"
"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/fixtures" >/dev/null
OCI=oci:$IMG/layered:layered
# --preserve-digests: skopeo would compress the uncompressed layer
expect "push layered to the registry" skopeo copy -q --preserve-digests --dest-tls-verify=false "$OCI" \
  "docker://$REGISTRY/cairn-test/layered:latest"
IMAGE=cairn-test/layered:latest

# blobs of the layered image, from its OCI layout: the config and every layer
manifest=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' \
  "$IMG/layered/index.json")
blob_path() { echo "$IMG/layered/blobs/sha256/${1#sha256:}"; }
read -r CONFIG PLAIN_LAYER < <("$PY" - "$(blob_path "$manifest")" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
plain = [l["digest"] for l in m["layers"] if l["mediaType"].endswith(".tar")]
print(m["config"]["digest"], plain[0])
EOF
)

# a reference: the layered image from its OCI layout
rm -rf "$ROOT"; c_import "$OCI"; c_mount "$IMG_ID"; listing "$MNT" "$WORK/ref.listing"
IMAGE_ID=$IMG_ID

# -- dropped once: every cut download resumes where it stopped
rm -rf "$ROOT"
c_import "docker://$ONCE/$IMAGE" --insecure
expect "cut once: the import succeeds (rc=$RC)" test "$RC" = 0
diag "$WORK/err" 5
expect "cut once: the image is the layout's ($IMG_ID)" test "$IMG_ID" = "$IMAGE_ID"
c_mount "$IMG_ID"; listing "$MNT" "$WORK/got.listing"
same_listing "cut once: the tree equals the OCI layout's" "$WORK/ref.listing" "$WORK/got.listing"
resumed_everywhere() {  # every layer that was cut was asked for again from byte 256, and only
  "$PY" - "$ONCE_LOG" "$CONFIG" <<'EOF'  # so; the config again from the start
import collections, sys
asked = collections.defaultdict(list)
for line in open(sys.argv[1]):
    _, path, rng, how = line.split()
    asked[path.rsplit("/", 1)[1]].append((rng, how))
config, layers = asked.pop(sys.argv[2]), list(asked.values())
again = [("range=-", "cut=256"), ("range=bytes=256-", "cut=full")]
ok = config == [("range=-", "cut=256"), ("range=-", "cut=full")] and \
    all(a == again or a == [("range=-", "cut=full")] for a in layers) and again in layers
sys.exit(0 if ok else 1)
EOF
}
expect "cut once: each cut layer was fetched again with Range: bytes=256- ($(grep -c 'cut=256' "$ONCE_LOG") cut)" \
  resumed_everywhere
diag "$ONCE_LOG" 12
c_import "$OCI"
expect "cut once: the OCI layout then adds no layer (ingested $INGESTED)" test "$RC:$INGESTED" = 0:0

# -- failures leave the store as it was: a store holding another image first
rm -rf "$ROOT"; c_import "oci:$WORK/fixtures/oci:base"; store_snapshot "$WORK/before"
unchanged() { store_snapshot "$WORK/after"; same_listing "$1: store unchanged" "$WORK/before" "$WORK/after"; }

c_import "docker://$ALWAYS/$IMAGE" --insecure --retries 2
expect "cut every time: the import fails with exit 1 (rc=$RC)" test "$RC" = 1
expect "cut every time: the error names the blob and the byte it reached" \
  grep -Eq "^cairn: error: .*blob 127\.0\.0\.1:[0-9]+/cairn-test/layered@sha256:[0-9a-f]{64}: transfer failed at byte 768 of [0-9]+ after 3 attempts" "$WORK/err"
diag "$WORK/err" 3
unchanged "cut every time"

flip_byte() {  # flip_byte FILE OFFSET: xor one byte in place
  "$PY" -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1)
f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0x20]))' "$1" "$2"
}
stored_blob() { echo "$REG_BLOBS/${1:7:2}/${1#sha256:}/data"; }

for what in layer config; do
  case $what in
    layer) digest=$PLAIN_LAYER offset=70000 ;;
    config) digest=$CONFIG offset=10 ;;
  esac
  flip_byte "$(stored_blob "$digest")" "$offset"
  c_import "docker://$REGISTRY/$IMAGE" --insecure
  expect "changed $what in the registry: exit 4 (rc=$RC)" test "$RC" = 4
  expect "changed $what in the registry: the error names the blob and its real digest" \
    grep -Eq "^cairn: error: .*${digest}.*digest sha256:[0-9a-f]{64}" "$WORK/err"
  diag "$WORK/err" 3
  unchanged "changed $what"
  flip_byte "$(stored_blob "$digest")" "$offset"
done
c_import "docker://$REGISTRY/$IMAGE" --insecure
expect "repaired registry: the import succeeds (rc=$RC, ingested $INGESTED)" test "$RC" = 0
expect "repaired registry: the image is the layout's" test "$IMG_ID" = "$IMAGE_ID"

summary
