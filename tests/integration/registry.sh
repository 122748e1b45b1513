#!/usr/bin/env bash
# docker:// against a real loopback docker-registry, and cross-source dedup: the same image pushed
# to the registry (skopeo), loaded into a private dockerd and private podman storage, and kept as
# docker-archive and oci files is imported from each; only the first import ingests layers (all
# sources give the same diff_ids, so the same ChainIDs: with the dir backend the same top chain,
# hence the same tree), and every rootfs lists the same. Then the registry options through the
# CLI: --insecure, --authfile against an htpasswd registry, wrong password, unknown tag; and the
# progress display on a terminal (script(1)).
#
# usage: registry.sh CAIRN_BINARY   (root). Skips (exit 0, with a reason) when docker-registry,
# skopeo, htpasswd, docker, dockerd or podman are missing. Every service started here is stopped
# by PID on exit.
set -euo pipefail

CAIRN=$(readlink -f "${1:-${CAIRN:-}}")
for tool in docker-registry skopeo htpasswd docker dockerd podman curl; do
  if ! command -v "$tool" >/dev/null; then echo "# SKIP: $tool is not installed"; exit 0; fi
done
source "$(dirname "$(readlink -f "$0")")/lib.sh"
source "$IT_DIR/services.sh"

WORK=$(mktemp -d "${CAIRN_TEST_TMP:-/var/tmp}/cairn-reg.XXXXXX")
ROOT=$WORK/store
cleanup() {
  stop_services
  [ -n "${KEEP:-}" ] || rm -rf "$WORK" 2>/dev/null || true
}
trap cleanup EXIT

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
push() {  # push OCI_REF REGISTRY REPO:TAG
  skopeo copy -q --dest-tls-verify=false "$1" "docker://$2/$3" >"$WORK/push.log" 2>&1
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
