#!/usr/bin/env bash
# cairn push against real loopback docker-registries:
#   - fixture images (make-daemon-images.py's layered, make-images.py's torture: zstd, pax, GNU
#     and sparse layers) pushed to a first registry with skopeo, imported by cairn with and
#     without --keep-blobs, pushed by cairn to a second registry through a proxy that cuts the
#     second chunk of every chunked upload (256-byte chunks) once (tests/tools/cutting-proxy.py --cut-uploads),
#     pulled back into a fresh store: config digest and diff_ids identical; with kept blobs the
#     manifest digest is the first registry's; the proxy log shows each cut upload continued
#     from the registry's Range (no second POST, no chunk from 0 again);
#   - a second push uploads nothing (no POST/PATCH/PUT on blobs in the proxy's log);
#   - a cross-repository mount on the first registry; --compression zstd; --compression
#     zstd:chunked (TOC annotations on the layers a TOC can describe, a second push uploads
#     nothing, pulled back identical, skopeo copies it; partial pulls of it: partial-pull.sh);
#   - skopeo inspect/copy and podman pull read what cairn pushed;
#   - unknown image (exit 3), registry down (exit 1, names the registry), wrong credentials
#     (exit 2), an unknown --compression (exit 2);
#   - SIGKILL at 20 seeded points of a push: fsck finds nothing damaged after each, the store is
#     unchanged, and a push after them completes.
#
# usage: push.sh CAIRN_BINARY   (root; CAIRN_IT_BACKEND picks the store backend). Skips (exit 0,
# with a reason) when docker-registry, skopeo, podman or htpasswd are missing.
set -euo pipefail

CAIRN=$(readlink -f "${1:-${CAIRN:-}}")
source "$(dirname "$(readlink -f "$0")")/lib.sh"
source "$IT_DIR/services.sh"
service_scratch push docker-registry skopeo podman htpasswd curl

expect "first registry started" start_registry "$WORK/reg1"
REG1=$REG_HOST
expect "second registry started" start_registry "$WORK/reg2"
REG2=$REG_HOST
expect "registry with htpasswd started" start_registry "$WORK/reg3" pusher secret
REG3=$REG_HOST
# downloads are never cut (--cut-after beyond any blob); uploads once per session after 100
# bytes of their second chunk; small chunks so that every layer but the tiniest is chunked
expect "upload-cutting proxy in front of the second registry started" \
  start_cutting_proxy "$WORK/proxy" "$REG2" 100000000 0 0 100
PROXY=$PROXY_HOST
CHUNK=256

IMG=$WORK/images
"$PY" "$REPO_DIR/tests/fixtures/make-daemon-images.py" "$IMG"
"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/fixtures" >/dev/null
expect "skopeo pushes layered to the first registry" skopeo copy -q --preserve-digests \
  --dest-tls-verify=false "oci:$IMG/layered:layered" "docker://$REG1/lib/layered:1"
expect "skopeo pushes torture to the first registry" skopeo copy -q --preserve-digests \
  --dest-tls-verify=false "oci:$WORK/fixtures/oci:torture" "docker://$REG1/lib/torture:1"

quietly() { "$@" >/dev/null 2>"$WORK/tool.err"; }
jfield() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
# identity FILE: the config digest and the diff_ids of `cairn --json inspect`
identity() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(d["id"], *[l["diff_id"] for l in d["layers"]])' "$1"; }
registry_digest() { skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$1"; }
# uploads_in LOG: the blob upload requests (POST, PATCH, PUT) a proxy log holds
uploads_in() { grep -cE '^(POST|PATCH|PUT) ' "$1" || true; }

# continued_everywhere LOG: every cut upload session was continued with the chunk it cut (from
# the registry's Range), after a status GET, and no session started over from byte 0
continued_everywhere() {
  "$PY" - "$1" <<'PYEOF'
import collections, re, sys
sessions = collections.defaultdict(list)
for line in open(sys.argv[1]):
    method, path, rng, how = line.split()
    m = re.search(r"/blobs/uploads/([^/?]+)", path)
    if m:
        sessions[m.group(1)].append((method, rng, how))
cut = 0
for uuid, steps in sessions.items():
    for i, (method, rng, how) in enumerate(steps):
        if method == "GET" or not how.startswith("cut="):
            continue
        cut += 1
        rest = steps[i + 1:]
        if not rest or rest[0][0] != "GET" or len(rest) < 2 or rest[1][:2] != (method, rng) \
                or rest[1][2] not in ("status=202", "status=201"):
            sys.exit("session %s: cut at %s %s, then %s" % (uuid, method, rng, rest[:2]))
        if rng.startswith("range=0-") or sum(1 for s in steps if s[1].startswith("range=0-")) != 1:
            sys.exit("session %s: started over" % uuid)
sys.exit(0 if cut else "no upload was cut")
PYEOF
}

FRESH=$WORK/fresh
# pull_back REF: REF imported as "back" into a new store FRESH (sets RC); its inspect in back.json
pull_back() {
  rm -rf "$FRESH"
  RC=0; "$CAIRN" --root "$FRESH" --backend "$BACKEND" import --insecure "docker://$1" --name back \
    >"$WORK/out" 2>"$WORK/err" || RC=$?
  "$CAIRN" --root "$FRESH" --json inspect back >"$WORK/back.json" 2>/dev/null || true
}
for name in layered torture; do
  SRC=$REG1/lib/$name:1
  SRC_DIGEST=$(registry_digest "$SRC")
  for keep in kept rebuilt; do
    flags=(); [ "$keep" = kept ] && flags=(--keep-blobs)
    rm -rf "$ROOT"
    c_import "docker://$SRC" --insecure "${flags[@]}" --name src
    expect "$name/$keep: imported from the first registry (rc=$RC)" test "$RC" = 0
    c_run --json inspect src; cp "$WORK/out" "$WORK/src.json"
    DEST=$PROXY/team/$name-$keep:1
    : >"$PROXY_LOG"
    c_run --json push src "docker://$DEST" --insecure --chunk-size $CHUNK
    expect "$name/$keep: pushed through the cutting proxy (rc=$RC)" test "$RC" = 0
    diag "$WORK/err" 5
    [ "$RC" = 0 ] || continue
    cp "$WORK/out" "$WORK/push.json"
    PUSHED=$(jfield "$WORK/push.json" manifest_digest)
    AS_IMPORTED=$(jfield "$WORK/push.json" manifest_as_imported)
    expect "$name/$keep: the last stdout line closes the JSON" test "$LAST" = "}"
    expect "$name/$keep: the registry serves the manifest cairn reported" \
      test "$(registry_digest "$REG2/team/$name-$keep:1")" = "$PUSHED"
    if [ "$keep" = kept ]; then
      expect "$name/kept: the stored manifest went as imported ($AS_IMPORTED)" test "$AS_IMPORTED" = True
      expect "$name/kept: the manifest digest is the first registry's" test "$PUSHED" = "$SRC_DIGEST"
    elif [ "$BACKEND" != dir ]; then  # a dir store keeps blobs by default
      expect "$name/rebuilt: a new manifest ($AS_IMPORTED)" test "$AS_IMPORTED" = False
    fi
    expect "$name/$keep: cut uploads were continued, not restarted ($(grep -c ' cut=' "$PROXY_LOG") cut)" \
      continued_everywhere "$PROXY_LOG"
    diag "$PROXY_LOG" 8
    : >"$PROXY_LOG"
    c_run --json push src "docker://$DEST" --insecure --chunk-size $CHUNK
    expect "$name/$keep: a second push uploads no blob (rc=$RC, $(uploads_in "$PROXY_LOG") uploads)" \
      test "$RC:$(uploads_in "$PROXY_LOG"):$(jfield "$WORK/out" blobs_uploaded)" = "0:0:0"
    expect "$name/$keep: ... and gives the same manifest" test "$(jfield "$WORK/out" manifest_digest)" = "$PUSHED"
    # pulled back into a fresh store: the same image
    pull_back "$REG2/team/$name-$keep:1"
    expect "$name/$keep: cairn pulls it back (rc=$RC)" test "$RC" = 0
    expect "$name/$keep: config digest and diff_ids identical" \
      test "$(identity "$WORK/back.json" 2>&1)" = "$(identity "$WORK/src.json")"
    expect "$name/$keep: skopeo inspect reads it" \
      quietly skopeo inspect -n --tls-verify=false "docker://$REG2/team/$name-$keep:1"
  done
done

# the last image pushed (torture, rebuilt) read by skopeo copy and podman
rm -rf "$WORK/copy"
expect "skopeo copy reads what cairn pushed" skopeo copy -q --src-tls-verify=false \
  "docker://$REG2/team/torture-rebuilt:1" "oci:$WORK/copy:t"
podman_storage "$WORK/podman"
expect "podman pull reads what cairn pushed" \
  quietly podman "${PODMAN_ARGS[@]}" pull -q --tls-verify=false "$REG2/team/layered-kept:1"
config=$(podman "${PODMAN_ARGS[@]}" image inspect --format '{{.Id}}' "$REG2/team/layered-kept:1" 2>/dev/null || true)
rm -rf "$ROOT"; c_import "docker://$REG1/lib/layered:1" --insecure --keep-blobs --name src
expect "podman sees the image's config digest ($config)" test "sha256:$config" = "$IMG_ID"

# a cross-repository mount on the first registry: the kept layers are not sent again
c_run --json push src "docker://$REG1/other/layered:1" --insecure
expect "mount from lib/layered: every layer mounted (rc=$RC, $(jfield "$WORK/out" blobs_mounted 2>/dev/null) mounted)" \
  test "$RC:$(jfield "$WORK/out" blobs_mounted):$(jfield "$WORK/out" manifest_digest)" = \
       "0:4:$(registry_digest "$REG1/lib/layered:1")"

# zstd, when the store has no kept blob to give
if [ "$BACKEND" != dir ]; then
  rm -rf "$ROOT"; c_import "docker://$REG1/lib/torture:1" --insecure --name src
  c_run inspect src; identity_src=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(d["id"], *[l["diff_id"] for l in d["layers"]])' "$WORK/out")
  c_run push src "docker://$REG2/team/torture-zstd:1" --insecure --compression zstd
  expect "zstd: pushed (rc=$RC)" test "$RC" = 0
  expect "zstd: every layer is zstd in the manifest" \
    test "$(skopeo inspect --raw --tls-verify=false "docker://$REG2/team/torture-zstd:1" |
      "$PY" -c 'import json,sys; print(sorted({l["mediaType"] for l in json.load(sys.stdin)["layers"]}))')" = \
      "['application/vnd.oci.image.layer.v1.tar+zstd']"
  pull_back "$REG2/team/torture-zstd:1"
  expect "zstd: pulled back with the same config digest and diff_ids" \
    test "$(identity "$WORK/back.json" 2>&1)" = "$identity_src"
  # zstd:chunked: frames per file and a TOC, where a TOC can describe the layer (not sparse files)
  : >"$PROXY_LOG"
  c_run --json push src "docker://$PROXY/team/torture-chunked:1" --insecure --compression zstd:chunked
  expect "zstd:chunked: pushed (rc=$RC)" test "$RC" = 0
  diag "$WORK/err" 5
  CHUNKED=$(jfield "$WORK/out" manifest_digest 2>/dev/null || true)
  skopeo inspect --raw --tls-verify=false "docker://$REG2/team/torture-chunked:1" >"$WORK/chunked.json" || true
  read -r LAYERS WITH_TOC < <("$PY" -c 'import json,sys; l=json.load(open(sys.argv[1]))["layers"]
print(len(l), sum("io.containers.zstd-chunked.manifest-position" in x.get("annotations", {}) for x in l))' \
    "$WORK/chunked.json" 2>/dev/null || echo "0 0")
  expect "zstd:chunked: $WITH_TOC of $LAYERS layers carry the TOC annotations" \
    test "$WITH_TOC" -gt 0
  : >"$PROXY_LOG"
  c_run --json push src "docker://$PROXY/team/torture-chunked:1" --insecure --compression zstd:chunked
  expect "zstd:chunked: a second push uploads no blob and gives the same manifest" \
    test "$RC:$(uploads_in "$PROXY_LOG"):$(jfield "$WORK/out" manifest_digest)" = "0:0:$CHUNKED"
  pull_back "$REG2/team/torture-chunked:1"
  expect "zstd:chunked: pulled back with the same config digest and diff_ids" \
    test "$(identity "$WORK/back.json" 2>&1)" = "$identity_src"
  rm -rf "$WORK/copy-chunked"
  expect "zstd:chunked: skopeo copy reads it" skopeo copy -q --src-tls-verify=false \
    "docker://$REG2/team/torture-chunked:1" "oci:$WORK/copy-chunked:t"
fi

# bad cases; the store is unchanged by each
store_snapshot "$WORK/before"
c_run push no-such-image "docker://$REG2/team/x:1" --insecure
expect "unknown image: exit 3 (rc=$RC)" test "$RC" = 3
diag "$WORK/err" 2
down=127.0.0.1:$(free_port)
c_run push src "docker://$down/team/x:1" --insecure --retries 1
check "registry down: exit 1 naming the registry (rc=$RC)" \
  'test "$RC" = 1 && grep -q "^cairn: error: .*$down" "$WORK/err"'
diag "$WORK/err" 2
printf 'machine 127.0.0.1 login pusher password pw-wrong-7731\n' >"$WORK/netrc.bad"
chmod 600 "$WORK/netrc.bad"
c_run push src "docker://$REG3/team/x:1" --insecure --netrc "$WORK/netrc.bad"
expect "wrong credentials: exit 2 (rc=$RC)" test "$RC" = 2
check "wrong credentials: the message names the user, never the password" \
  'grep -q pusher "$WORK/err" && ! grep -q pw-wrong-7731 "$WORK/err" "$WORK/out"'
diag "$WORK/err" 2
printf 'machine 127.0.0.1 login pusher password secret\n' >"$WORK/netrc.good"
chmod 644 "$WORK/netrc.good"
c_run push src "docker://$REG3/team/x:1" --insecure --netrc "$WORK/netrc.good"
expect "right credentials: pushed (rc=$RC)" test "$RC" = 0
LOOSE="cairn: warning: credentials file $WORK/netrc.good can be read by other users (mode 0644)"
check "a credentials file others can read is warned about, once" \
  'test "$(grep -cF "$LOOSE" "$WORK/err")" = 1'
c_run push src "docker://$REG2/team/x:1" --insecure --compression lz4
check "--compression lz4: usage error naming the choices (rc=$RC)" \
  'test "$RC" = 2 && grep -q "expected gzip, zstd or zstd:chunked" "$WORK/err"'
store_snapshot "$WORK/after"
same_listing "bad cases: the store is unchanged" "$WORK/before" "$WORK/after"

# SIGKILL at 20 seeded points of a push that compresses every layer again (zstd, a new tag each
# time): fsck finds nothing damaged after each, and a push after the kills completes
RANDOM=77
landed=0 bad=0
for round in $(seq 20); do
  "$CAIRN" --root "$ROOT" --backend "$BACKEND" push src "docker://$REG1/killed/x:$round" \
    --insecure --compression zstd >/dev/null 2>&1 &
  pid=$!
  # after the first round the registry has every blob: a push is then HEADs and a manifest
  sleep "0.0$((RANDOM % 50 / 10))$((RANDOM % 10))"
  kill -KILL "$pid" 2>/dev/null || true
  status=0
  wait "$pid" 2>/dev/null || status=$?
  if [ "$status" = 137 ]; then landed=$((landed + 1)); fi
  fsck_after_kill "push killed in round $round" || bad=1
done
expect "SIGKILL at 20 points of a push ($landed landed mid-push): fsck finds nothing damaged" \
  test "$bad" = 0
expect "push kills landed mid-push ($landed of 20)" test "$landed" -gt 0
c_run push src "docker://$REG1/killed/x:after" --insecure --compression zstd
expect "a push after the kills completes (rc=$RC)" test "$RC" = 0
store_snapshot "$WORK/after-kills"
same_listing "push kills: the store is unchanged" "$WORK/before" "$WORK/after-kills"

summary
