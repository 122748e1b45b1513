#!/usr/bin/env bash
# Registry mirrors and pull-through caches (doc/registry.md, "Mirrors") against real loopback
# docker-registry instances: an origin registry behind a logging proxy (tests/tools/cutting-proxy.py,
# cutting nothing: it logs every blob GET), and a docker-registry in pull-through-cache mode
# (proxy.remoteurl) in front of that proxy.
#  * with the cache as mirror of the origin (--registry-mirror, then the config file's
#    registry.HOST.mirrors), two fresh stores pull the same image: both get it through the cache,
#    say so, and the image is the one a direct pull gives; the second store costs the origin no
#    fetch (docker-registry's cache itself GETs a blob twice from its remote the first time);
#  * the mirror down (stopped by PID): the pull still works, from the origin;
#  * docker.io: a loopback registry as the mirror of docker.io (also under a path prefix) serves
#    docker.io/library/NAME and the short name NAME, with no network to the real Docker Hub;
#  * a mirror whose copy of a layer is corrupt fails the import with exit 4 (blobs are digest-
#    checked; mirrors serve whole images, doc/registry.md) and leaves no image;
#  * bad mirror settings are usage errors (exit 2).
#
# usage: registry-mirrors.sh CAIRN_BINARY   (root). Skips (exit 77, with a reason) when
# docker-registry, skopeo or curl are missing. Every service started here is stopped by PID on exit.
set -euo pipefail

CAIRN=$(readlink -f "${1:-${CAIRN:-}}")
source "$(dirname "$(readlink -f "$0")")/lib.sh"
source "$IT_DIR/services.sh"
service_scratch mirrors docker-registry skopeo curl

"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/fixtures" >/dev/null
OCI=$WORK/fixtures/oci
push() {  # push TAG REGISTRY REPO:TAG
  skopeo copy -q --dest-tls-verify=false "oci:$OCI:$1" "docker://$2/$3" >"$WORK/push.log" 2>&1 ||
    { diag "$WORK/push.log"; return 1; }
}
# pull_into STORE REF [ARGS...]: cairn --json import docker://REF into a fresh store
pull_into() {
  local store=$1 ref=$2; shift 2
  rm -rf "$store"
  ROOT=$store c_import "docker://$ref" --insecure "$@"
}
blob_gets() { grep -c "^GET .*/blobs/" "$PROXY_LOG" || true; }

expect "origin registry started" start_registry "$WORK/origin"
ORIGIN=$REG_HOST
expect "logging proxy in front of the origin" start_cutting_proxy "$WORK/proxy" "$ORIGIN" 0 0
ORIGIN_VIA_PROXY=$PROXY_HOST
expect "pull-through cache started" start_cache_registry "$WORK/cache" "$ORIGIN_VIA_PROXY"
CACHE=$REG_HOST
CACHE_PID=$REG_PID
note "origin $ORIGIN, logging proxy $ORIGIN_VIA_PROXY, cache $CACHE (pid $CACHE_PID)"
expect "push base to the origin" push base "$ORIGIN" cairn-test/base:latest
# a fresh docker-registry cache answers 404 for a while before it reaches its remote: wait for that
expect "the cache serves the origin's manifest" wait_for 20 curl -sf -o /dev/null \
  -H "Accept: application/vnd.oci.image.manifest.v1+json" "http://$CACHE/v2/cairn-test/base/manifests/latest"
ROOT=$WORK/direct c_import "oci:$OCI:base"
WANT=$IMG_ID

# Mirrors are consulted for the registry the reference names: here the proxy's host:port.
REF=$ORIGIN_VIA_PROXY/cairn-test/base:latest
: >"$PROXY_LOG"
pull_into "$WORK/a" "$REF" --registry-mirror "$ORIGIN_VIA_PROXY=$CACHE"
check "first store: the image comes through the cache and is the direct pull's (rc=$RC)" \
  '[ "$RC" = 0 ] && [ "$IMG_ID" = "$WANT" ] && grep -q "is pulled from the mirror $CACHE" "$WORK/err"'
first=$(blob_gets)
expect "the origin sent the cache the image's blobs (got $first GETs)" [ "$first" -gt 0 ]
# the cache writes what it fetched to its storage while it serves it: wait until it holds them all
cached() {
  local digest
  for digest in $(grep "^GET .*/blobs/" "$PROXY_LOG" | sed 's|.*/blobs/sha256:\([0-9a-f]*\) .*|\1|'); do
    [ -s "$WORK/cache/data/docker/registry/v2/blobs/sha256/${digest:0:2}/$digest/data" ] || return 1
  done
}
expect "the cache stored what it fetched" wait_for 20 cached
printf 'registry.%s.mirrors = %s\n' "$ORIGIN_VIA_PROXY" "$CACHE" >"$WORK/cairn.conf"
RC=0
CAIRN_CONFIG=$WORK/cairn.conf "$CAIRN" --root "$WORK/b" --json import "docker://$REF" --insecure \
  >"$WORK/out" 2>"$WORK/err" || RC=$?
read -r IMG_ID _ _ < <("$PY" "$CHECK" import-result "$WORK/out")
check "second store, mirror from the config file: through the cache too (rc=$RC)" \
  '[ "$RC" = 0 ] && [ "$IMG_ID" = "$WANT" ] && grep -q "is pulled from the mirror $CACHE" "$WORK/err"'
expect "across both stores the origin saw each blob fetched once ($(blob_gets) GETs)" \
  [ "$(blob_gets)" = "$first" ]
# docker-registry 2.8 as a cache fetches a missing blob twice from its remote (one GET streams it
# to the client, one stores it), so "once" is per pull of the cache, not per GET
check "the origin sent only the image's blobs, for the cache's first pull" \
  '[ "$(grep "^GET .*/blobs/" "$PROXY_LOG" | cut -d" " -f2 | sort -u | wc -l)" = 2 ]'

kill "$CACHE_PID" && wait "$CACHE_PID" 2>/dev/null || true
pull_into "$WORK/c" "$REF" --registry-mirror "$ORIGIN_VIA_PROXY=$CACHE"
check "the mirror down: the image still comes, from the origin (rc=$RC)" \
  '[ "$RC" = 0 ] && [ "$IMG_ID" = "$WANT" ] && ! grep -q "pulled from the mirror" "$WORK/err"'
diag "$WORK/err" 3

expect "a loopback registry to mirror docker.io" start_registry "$WORK/hub"
HUB=$REG_HOST
HUB_DIR=$WORK/hub
expect "push base there as library/base and as hub/library/base" \
  eval 'push base "$HUB" library/base:latest && push base "$HUB" hub/library/base:latest'
pull_into "$WORK/d" docker.io/library/base:latest --registry-mirror "docker.io=$HUB"
check "docker.io/library/base through a docker.io mirror, no Docker Hub (rc=$RC)" \
  '[ "$RC" = 0 ] && [ "$IMG_ID" = "$WANT" ]'
pull_into "$WORK/e" base --registry-mirror "docker.io=$HUB/hub"
check "the short name base through a docker.io mirror with a path prefix (rc=$RC)" \
  '[ "$RC" = 0 ] && [ "$IMG_ID" = "$WANT" ] && grep -q "is pulled from the mirror $HUB" "$WORK/err"'

# corrupt the mirror's copy of the largest layer: flip a byte of its data file
layer=$(find "$HUB_DIR/data" -path "*/blobs/sha256/*/data" -size +1k -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2)
flip_byte "$layer"
pull_into "$WORK/f" docker.io/library/base:latest --registry-mirror "docker.io=$HUB"
check "a corrupt layer on the mirror: exit 4 naming the layer, no image (rc=$RC)" \
  '[ "$RC" = 4 ] && grep -q "error: layer 1/1: layer sha256:" "$WORK/err" && [ ! -e "$WORK/f" ]'
diag "$WORK/err" 3

ROOT=$WORK/g c_run import "docker://$REF" --registry-mirror "no-equals-sign"
expect "--registry-mirror without REGISTRY=: exit 2 (rc=$RC)" [ "$RC" = 2 ]
ROOT=$WORK/g c_run import "docker://$REF" --registry-mirror "docker.io=http://$HUB"
check "a mirror with a scheme: exit 2, says why (rc=$RC)" '[ "$RC" = 2 ] && grep -q "no scheme" "$WORK/err"'
printf 'registry.docker.io.mirrors = mirror\n' >"$WORK/bad.conf"
RC=0; CAIRN_CONFIG=$WORK/bad.conf "$CAIRN" --root "$WORK/g" images >"$WORK/out" 2>"$WORK/err" || RC=$?
check "a config mirror without a registry host: exit 2, names the key (rc=$RC)" \
  '[ "$RC" = 2 ] && grep -q "config registry.docker.io.mirrors" "$WORK/err"'
summary
