#!/usr/bin/env bash
# docker:// against a real docker-registry in bearer-token mode (`auth: token`), with a token
# server of the test's own on loopback (tests/tools/registry-token-server.py, RS256 tokens that
# the registry checks against its rootcertbundle). The server gives user alice whatever she asks
# for and anonymous clients `pull` below public/:
#   - anonymous import of public/ (one token, reused for the manifest, the config and the
#     layers fetched in parallel); the tree equals the OCI layout's, which then adds no layer;
#   - private/ without credentials: exit 2, "no credentials found", store unchanged;
#   - private/ with a wrong password (--authfile): exit 2, the token server refused, unchanged;
#   - private/ with alice's password, from --authfile and from --netrc: one token each, the
#     token request carried alice's credentials, the registry accepted it.
#
# usage: registry-token.sh CAIRN_BINARY   (root). Skips (exit 77, with a reason) when
# docker-registry, skopeo, openssl or curl are missing. Every service started here is stopped
# by PID on exit.
set -euo pipefail

CAIRN=$(readlink -f "${1:-${CAIRN:-}}")
source "$(dirname "$(readlink -f "$0")")/lib.sh"
source "$IT_DIR/services.sh"
service_scratch regt docker-registry skopeo openssl curl

if ! start_token_registry "$WORK/reg" alice s3cret public/; then
  not_ok "registry with bearer-token auth started"
  diag "$WORK/reg/registry.log"; diag "$WORK/reg/token.port.log"; summary; exit 1
fi
ok "registry with bearer-token auth started (token server on port $TOKEN_PORT)"
REGISTRY=$REG_HOST

"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/fixtures" >/dev/null
# torture: gzip, zstd and uncompressed layers, pushed as they are
OCI=oci:$WORK/fixtures/oci:torture
for repo in public/torture private/torture; do
  expect "push $repo as alice" skopeo copy -q --preserve-digests --dest-tls-verify=false \
    --dest-creds alice:s3cret \
    "$OCI" "docker://$REGISTRY/$repo:latest"
done
# no credentials from the machine's own files
export REGISTRY_AUTH_FILE=$WORK/none.json DOCKER_CONFIG=$WORK/no-docker-config HOME=$WORK

# the token server appends one line per request to $TOKEN_LOG; each check empties it first
: >"$TOKEN_LOG"
rm -rf "$ROOT"
c_import "docker://$REGISTRY/public/torture:latest" --insecure
expect "anonymous pull of public/: import succeeds (rc=$RC)" test "$RC" = 0
diag "$WORK/err" 3
expect "anonymous pull of public/: layers ingested ($INGESTED)" test "$INGESTED" -gt 0
expect "anonymous pull of public/: one anonymous token for the whole import" \
  grep -qx 'token user=anonymous scope=repository:public/torture:pull granted=\[\["public/torture", \["pull"\]\]\]' \
  "$TOKEN_LOG"
expect "anonymous pull of public/: no other token request" test "$(wc -l <"$TOKEN_LOG")" = 1
diag "$TOKEN_LOG" 5
c_mount "$IMG_ID"; listing "$MNT" "$WORK/registry.listing"
c_import "$OCI"
expect "the OCI layout then adds no layer (ingested $INGESTED)" test "$RC:$INGESTED" = 0:0
c_mount "$IMG_ID"; listing "$MNT" "$WORK/oci.listing"
same_listing "the registry's tree equals the OCI layout's" "$WORK/oci.listing" "$WORK/registry.listing"

rm -rf "$ROOT"; c_import "oci:$WORK/fixtures/oci:base"; store_snapshot "$WORK/before"
unchanged() { store_snapshot "$WORK/after"; same_listing "$1: store unchanged" "$WORK/before" "$WORK/after"; }

c_import "docker://$REGISTRY/private/torture:latest" --insecure
expect "private/ without credentials: exit 2 (rc=$RC)" test "$RC" = 2
expect "private/ without credentials: says none were found" grep -q "no credentials found" "$WORK/err"
diag "$WORK/err" 3
unchanged "private/ without credentials"

authfile() {  # authfile FILE USER PASS
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REGISTRY" "$(printf '%s:%s' "$2" "$3" | base64 -w0)" >"$1"
}
authfile "$WORK/bad.json" alice wrong
: >"$TOKEN_LOG"
c_import "docker://$REGISTRY/private/torture:latest" --insecure --authfile "$WORK/bad.json"
expect "private/ with a wrong password: exit 2 (rc=$RC)" test "$RC" = 2
expect "private/ with a wrong password: authentication failed for alice" \
  grep -q 'authentication failed for .*alice' "$WORK/err"
expect "private/ with a wrong password: the token server refused it" \
  grep -q '^token user=bad ' "$TOKEN_LOG"
diag "$WORK/err" 3
unchanged "private/ with a wrong password"

authfile "$WORK/good.json" alice s3cret
printf 'machine %s login alice password s3cret\n' "${REGISTRY%%:*}" >"$WORK/netrc"
for form in authfile netrc; do
  rm -rf "$ROOT"
  : >"$TOKEN_LOG"
  case $form in
    authfile) c_import "docker://$REGISTRY/private/torture:latest" --insecure --authfile "$WORK/good.json" ;;
    netrc) c_import "docker://$REGISTRY/private/torture:latest" --insecure --netrc "$WORK/netrc" ;;
  esac
  expect "private/ with alice's password (--$form): import succeeds (rc=$RC)" test "$RC" = 0
  diag "$WORK/err" 3
    expect "private/ with alice's password (--$form): one token, for alice" \
    grep -qx 'token user=alice scope=repository:private/torture:pull granted=\[\["private/torture", \["pull"\]\]\]' \
    "$TOKEN_LOG"
  expect "private/ with alice's password (--$form): no other token request" \
    test "$(wc -l <"$TOKEN_LOG")" = 1
  c_mount "$IMG_ID"; listing "$MNT" "$WORK/private.listing"
  same_listing "private/ (--$form): the tree equals the OCI layout's" "$WORK/oci.listing" "$WORK/private.listing"
done

summary
