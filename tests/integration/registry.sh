#!/usr/bin/env bash
# docker:// against a real loopback docker-registry, and cross-source dedup: the same image pushed
# to the registry (skopeo), loaded into a private dockerd and private podman storage, and kept as
# docker-archive and oci files is imported from each; only the first import ingests layers (all
# sources give the same diff_ids, so the same ChainIDs: with the dir backend the same top chain,
# hence the same tree), and every rootfs lists the same. Then manifest and layer forms, each into
# a fresh store and compared with the OCI layout's tree: zstd and uncompressed layers, a Docker
# schema2 manifest, a two-platform OCI index (the host's platform, and --platform), a pull by
# digest; a layer a composefs store holds is not downloaded again. Then the registry options
# through the CLI: --insecure, --authfile against an htpasswd registry, wrong password, unknown
# tag; and the progress display on a terminal (script(1)).
# Bearer tokens: registry-token.sh; dropped and corrupted downloads: registry-faults.sh.
#
# usage: registry.sh CAIRN_BINARY   (root). Skips (exit 77, with a reason) when docker-registry,
# skopeo, htpasswd, docker, dockerd or podman are missing. Every service started here is stopped
# by PID on exit.
set -euo pipefail

CAIRN=$(readlink -f "${1:-${CAIRN:-}}")
source "$(dirname "$(readlink -f "$0")")/lib.sh"
source "$IT_DIR/services.sh"
service_scratch reg docker-registry skopeo htpasswd docker dockerd podman curl

expect "loopback registry started" start_registry "$WORK/reg"
OPEN=$REG_HOST
expect "loopback registry with htpasswd auth started" start_registry "$WORK/reg-auth" alice s3cret
AUTH=$REG_HOST
if ! start_dockerd "$WORK/dk"; then not_ok "private dockerd started"; diag "$WORK/dk/dockerd.log" 30; summary; exit 1; fi
ok "private dockerd started (pid $DOCKERD_PID)"
podman_storage "$WORK/pm"
P_ARGS=(--podman-root "$WORK/pm/root" --podman-runroot "$WORK/pm/run")
podman() { command podman "${PODMAN_ARGS[@]}" "$@"; }

IMG=$WORK/images
"$PY" "$REPO_DIR/tests/fixtures/make-daemon-images.py" "$IMG"
"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/fixtures" >/dev/null
quiet() { "$@" >"$WORK/quiet.log" 2>&1 || { diag "$WORK/quiet.log"; return 1; }; }
push() {  # push OCI_REF REGISTRY REPO:TAG [SKOPEO_ARGS...]
  local src=$1 dest=docker://$2/$3; shift 3
  skopeo copy -q --dest-tls-verify=false "$@" "$src" "$dest" >"$WORK/push.log" 2>&1 ||
    { diag "$WORK/push.log"; return 1; }
}
# push_as_is: layers as they are (skopeo would compress uncompressed ones)
push_as_is() { push "$@" --preserve-digests; }
media_types() {  # media_types REGISTRY REPO:TAG: the manifest's media type, then its layers'
  skopeo inspect --tls-verify=false --raw "docker://$1/$2" | "$PY" -c 'import json, sys
m = json.load(sys.stdin)
print(" ".join([m["mediaType"]] + [l["mediaType"] for l in m["layers"]]))'
}
for image in layered base; do
  case $image in
    layered) archive=$IMG/layered.docker-legacy.tar; oci=oci:$IMG/layered:layered ;;
    base) archive=$WORK/fixtures/archives/base.docker-legacy.tar; oci=oci:$WORK/fixtures/oci:base ;;
  esac
  expect "push $image to the registry" push "$oci" "$OPEN" "cairn-test/$image:latest"
  expect "push $image to the auth registry" skopeo copy -q --dest-tls-verify=false \
    --dest-creds alice:s3cret "$oci" "docker://$AUTH/cairn-test/$image:latest"
  expect "docker load $image" quiet docker load -q -i "$archive"
  expect "podman load $image" quiet podman load -q -i "$archive"
done

same_tree() {  # same_tree DESC IMAGE REF_LISTING
  c_mount "$2"
  if [ "$RC" != 0 ]; then not_ok "$1 (mount rc=$RC)"; diag "$WORK/err"; return; fi
  listing "$MNT" "$WORK/got.listing"
  same_listing "$1" "$3" "$WORK/got.listing"
}

# import_all IMAGE SOURCE...: fresh store; the first source ingests, every later one adds no layer
# and gives the same tree
import_all() {
  local image=$1 first=1 src label; shift
  rm -rf "$ROOT"
  for src in "$@"; do
    label=$(src_label "$src")
    c_import "$src" --insecure "${P_ARGS[@]}" --name "$image-$(echo "$label" | cut -d: -f1)"
    if [ "$RC" != 0 ]; then not_ok "$image: import $label (rc=$RC)"; diag "$WORK/err"; continue; fi
    if [ "$first" = 1 ]; then
      expect "$image: $label first, ingests its layers ($INGESTED)" test "$INGESTED" -gt 0
      c_mount "$IMG_ID"; listing "$MNT" "$WORK/ref.listing"; first=0; ref=$label
    else
      expect "$image: then $label adds no layer (ingested $INGESTED)" test "$INGESTED" = 0
      same_tree "$image: $label tree equals $ref" "$IMG_ID" "$WORK/ref.listing"
    fi
  done
}

for image in layered base; do
  case $image in
    layered) archive=$IMG/layered.docker-legacy.tar; oci=oci:$IMG/layered:layered ;;
    base) archive=$WORK/fixtures/archives/base.docker-legacy.tar; oci=oci:$WORK/fixtures/oci:base ;;
  esac
  reg=docker://$OPEN/cairn-test/$image:latest
  import_all "$image" "$reg" "dockerd://cairn-test/$image" "podman://cairn-test/$image" \
    "docker-archive:$archive" "$oci"
  import_all "$image" "dockerd://cairn-test/$image" "$reg"
  import_all "$image" "$oci" "$reg"
done

# manifest and layer forms through the CLI: each first into a fresh store, its tree against the
# OCI layout's, which then adds no layer
FX=$WORK/fixtures/oci
first_then_oci() {  # first_then_oci DESC SOURCE OCI_REF [IMPORT_ARGS...]
  local desc=$1 src=$2 ref=$3; shift 3
  rm -rf "$ROOT"
  c_import "$src" --insecure "$@"
  if [ "$RC" != 0 ]; then not_ok "$desc: import (rc=$RC)"; diag "$WORK/err"; return; fi
  ok "$desc: import ingests its layers ($INGESTED)"
  local id=$IMG_ID
  c_mount "$id"; listing "$MNT" "$WORK/got.listing"
  c_import "$ref"
  expect "$desc: is $(src_label "$ref") (adds no layer: $INGESTED)" test "$IMG_ID:$INGESTED" = "$id:0"
  c_mount "$IMG_ID"; listing "$MNT" "$WORK/ref.listing"
  same_listing "$desc: the tree equals $(src_label "$ref")'s" "$WORK/ref.listing" "$WORK/got.listing"
}
expect "push torture as it is (gzip, zstd and uncompressed layers)" push_as_is "oci:$FX:torture" \
  "$OPEN" cairn-test/torture:as-is
expect "the torture push has zstd and uncompressed layers" \
  grep -Eq 'tar\+zstd.* application/vnd.oci.image.layer.v1.tar( |$)' <(media_types "$OPEN" cairn-test/torture:as-is)
first_then_oci "torture (zstd and uncompressed layers)" "docker://$OPEN/cairn-test/torture:as-is" \
  "oci:$FX:torture"
# a registry of its own: skopeo would reuse the gzip blobs it pushed to $OPEN before
expect "registry for the zstd push started" start_registry "$WORK/reg-zstd"
ZSTD=$REG_HOST
expect "push base recompressed as zstd" push "oci:$FX:base" "$ZSTD" cairn-test/base:zstd \
  --dest-compress-format zstd
expect "the zstd push is an OCI manifest of zstd layers" test "$(media_types "$ZSTD" cairn-test/base:zstd)" = \
  "application/vnd.oci.image.manifest.v1+json application/vnd.oci.image.layer.v1.tar+zstd"
first_then_oci "base, zstd" "docker://$ZSTD/cairn-test/base:zstd" "oci:$FX:base"
expect "push base as a Docker schema2 manifest" push "oci:$FX:base" "$OPEN" cairn-test/base:schema2 \
  --format v2s2
expect "the schema2 push is a Docker schema2 manifest" test "$(media_types "$OPEN" cairn-test/base:schema2)" = \
  "application/vnd.docker.distribution.manifest.v2+json application/vnd.docker.image.rootfs.diff.tar.gzip"
first_then_oci "base, Docker schema2" "docker://$OPEN/cairn-test/base:schema2" "oci:$FX:base"
expect "push the two-platform index" push_as_is "oci:$FX:multi" "$OPEN" cairn-test/multi:latest --all
case $(uname -m) in
  x86_64) host_arch=amd64 other_arch=arm64 ;;
  aarch64) host_arch=arm64 other_arch=amd64 ;;
  *) host_arch= other_arch=arm64; note "the index holds amd64 and arm64 images; this host is $(uname -m)" ;;
esac
if [ -n "$host_arch" ]; then
  first_then_oci "index: the host's platform" "docker://$OPEN/cairn-test/multi:latest" \
    "oci:$FX:multi-$host_arch"
fi
first_then_oci "index: --platform linux/$other_arch" "docker://$OPEN/cairn-test/multi:latest" \
  "oci:$FX:multi-$other_arch" --platform "linux/$other_arch"
digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$ZSTD/cairn-test/base:zstd")
first_then_oci "pull by digest" "docker://$ZSTD/cairn-test/base@$digest" "oci:$FX:base"

# a layer the store holds is not downloaded: torture (base's layer + 4) after base, into a
# composefs store (which keeps layers; dir keeps whole images only), through a proxy that logs
# every blob GET (tests/tools/cutting-proxy.py, cutting none)
expect "logging proxy started" start_cutting_proxy "$WORK/log-proxy" "$OPEN" 0 0
expect "push base as it is" push_as_is "oci:$FX:base" "$OPEN" cairn-test/base:as-is
base_layer=$(skopeo inspect --tls-verify=false --raw "docker://$OPEN/cairn-test/base:as-is" |
  "$PY" -c 'import json, sys; print(json.load(sys.stdin)["layers"][0]["digest"])')
BACKEND=composefs ROOT=$WORK/cfs-store c_import "docker://$PROXY_HOST/cairn-test/base:as-is" --insecure
expect "composefs store: base imported (rc=$RC)" test "$RC" = 0
: >"$PROXY_LOG"
BACKEND=composefs ROOT=$WORK/cfs-store c_import "docker://$PROXY_HOST/cairn-test/torture:as-is" --insecure
expect "composefs store: torture imported after base (rc=$RC, ingested $INGESTED)" test "$RC:$INGESTED" = 0:4
expect "composefs store: base's layer was not downloaded again" \
  test "$(grep -c "$base_layer" "$PROXY_LOG")" = 0
expect "composefs store: the config and the 4 new layers were ($(wc -l <"$PROXY_LOG") blob GETs)" \
  test "$(wc -l <"$PROXY_LOG")" = 5

# the registry options through the CLI; every failure leaves the store as it was
rm -rf "$ROOT"; c_import "$oci"; store_snapshot "$WORK/before"
unchanged() { store_snapshot "$WORK/after"; same_listing "$1: store unchanged" "$WORK/before" "$WORK/after"; }

c_import "docker://$OPEN/cairn-test/base:latest"
expect "plain HTTP without --insecure: refused (rc=$RC)" test "$RC" != 0
expect "plain HTTP without --insecure: the error names --insecure" grep -q -- "--insecure" "$WORK/err"
diag "$WORK/err" 3
unchanged "no --insecure"

c_import "docker://$OPEN/cairn-test/base:no-such-tag" --insecure
expect "unknown tag: exit 3 (rc=$RC)" test "$RC" = 3
expect "unknown tag: the registry's code" grep -q "MANIFEST_UNKNOWN" "$WORK/err"
unchanged "unknown tag"

c_import "docker://$OPEN/cairn-test/no-such-repo:latest" --insecure
expect "unknown repository: exit 3 (rc=$RC)" test "$RC" = 3
unchanged "unknown repository"

authfile() {  # authfile FILE USER PASS
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$AUTH" "$(printf '%s:%s' "$2" "$3" | base64 -w0)" >"$1"
}
authfile "$WORK/good.json" alice s3cret
authfile "$WORK/bad.json" alice wrong
export REGISTRY_AUTH_FILE=$WORK/none.json DOCKER_CONFIG=$WORK/no-docker-config
c_import "docker://$AUTH/cairn-test/base:latest" --insecure
expect "auth registry without credentials: exit 2 (rc=$RC)" test "$RC" = 2
expect "auth registry without credentials: says none were found" grep -q "no credentials found" "$WORK/err"
unchanged "no credentials"
c_import "docker://$AUTH/cairn-test/base:latest" --insecure --authfile "$WORK/bad.json"
expect "wrong password: exit 2 (rc=$RC)" test "$RC" = 2
expect "wrong password: authentication failed for the user" grep -q 'authentication failed for .*alice' "$WORK/err"
diag "$WORK/err" 3
unchanged "wrong password"
c_import "docker://$AUTH/cairn-test/layered:latest" --insecure --authfile "$WORK/good.json"
expect "--authfile: import from the htpasswd registry (rc=$RC)" test "$RC" = 0
expect "--authfile: a new image, its layers ingested ($INGESTED)" test "$INGESTED" -gt 0
c_import "docker://$AUTH/cairn-test/base:latest" --insecure --authfile "$WORK/good.json" --name b2
expect "--authfile: the same image again adds no layer (rc=$RC, ingested $INGESTED)" \
  test "$RC:$INGESTED" = 0:0

# progress on a terminal: script(1) gives cairn a pty; bytes, rate and a summary appear
if command -v script >/dev/null; then
  rm -rf "$ROOT"
  script -qec "'$CAIRN' --root '$ROOT' --backend $BACKEND import --insecure docker://$OPEN/cairn-test/layered:latest" \
    "$WORK/tty.log" >/dev/null 2>&1 && RC=0 || RC=$?
  expect "progress on a terminal: import succeeds (rc=$RC)" test "$RC" = 0
  expect "progress on a terminal: per-layer bytes and rate" grep -aq "layer 4/4 .* B/s" "$WORK/tty.log"
  expect "progress on a terminal: summary" grep -aq "4 layers: 4 ingested, 0 reused" "$WORK/tty.log"
  diag "$WORK/tty.log" 8
  c_run import --insecure "docker://$OPEN/cairn-test/base:latest"
  expect "no terminal: stderr stays empty" test ! -s "$WORK/err"
fi

summary
