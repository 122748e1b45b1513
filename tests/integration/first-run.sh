#!/bin/bash
# A newcomer's first commands, and the everyday commands around images, driving the real binary.
#
# usage: first-run.sh CAIRN_BINARY   (root: composefs and chain stores need it)
#
# Checks:
#  * a store is created only by the first command that succeeds in writing it: `images`, `ps`,
#    an unknown backend, `--backend btrfs` on a filesystem that is not btrfs, a bad image, an
#    invalid --name and a `gc` that finds nothing leave no store (and a root directory that
#    existed before stays, empty); the first import that succeeds says once which backend the
#    new store got and why, and the default is composefs where the kernel has it (probed with
#    the same fsopen calls cairn makes), dir otherwise
#  * --version; an unknown command is named with the closest known one; parse errors carry
#    `cairn: error:` and exit 2
#  * names that read as ids or hold control characters or `..` are refused (exit 2, no image)
#  * tag; images -q, --no-trunc, --filter reference=/dangling=, unknown filter; CREATED from the
#    image config; rmi of several names; rmi of a used image is busy (exit 5), rmi -f removes
#    the container too; pull refuses a non-registry source
#  * image prune (--dry-run, -a keeps what a container uses), system prune
#  * composefs: mount with no argument lists the mounts (also one at a DIR), rmi of a mounted image
#    is busy, umount NAME undoes every mount of it, rmi -f unmounts first
# Output: one "ok - ..." / "not ok - ..." line per check, then "N passed, M failed".
set -euo pipefail

CAIRN=${1:-${CAIRN:-}}
[ -n "$CAIRN" ] && [ -x "$CAIRN" ] || { echo "usage: first-run.sh CAIRN_BINARY" >&2; exit 2; }
CAIRN=$(readlink -f "$CAIRN")
. "$(dirname "$(readlink -f "$0")")/lib.sh"
if [ "$(id -u)" != 0 ]; then echo "first-run.sh: skipped (needs root)"; exit 77; fi

WORK=$(mktemp -d "${CAIRN_TEST_TMP:-/var/tmp}/cairn-first-run.XXXXXX")
trap 'unmount_all "$WORK"; rm -rf "$WORK"' EXIT
"$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$WORK/img" >/dev/null
OCI=$WORK/img/oci

# raw CMD...: cairn with no --backend (the store decides); sets RC, $WORK/out, $WORK/err
raw() { RC=0; "$CAIRN" "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?; }
no_store() { [ ! -e "$1" ]; }
empty_dir() { [ -d "$1" ] && [ -z "$(ls -A "$1")" ]; }
err_has() { grep -q -- "$1" "$WORK/err"; }

# ---- the first command ------------------------------------------------------------------------
R=$WORK/s1
raw --root "$R" images
expect "images on a missing store: exit 0, a header only (rc=$RC)" 
  [ "$RC" = 0 -a "$(wc -l <"$WORK/out")" = 1 ]
expect "images leaves no store" no_store "$R"
raw --root "$R" ps
check "ps on a missing store: exit 0, leaves no store (rc=$RC)" '[ "$RC" = 0 ] && no_store "$R"'
raw --root "$R" --backend nosuch import "oci:$OCI:base"
check "unknown backend: exit 2 and cairn: error: (rc=$RC)" '[ "$RC" = 2 ] && err_has "^cairn: error:"'
expect "unknown backend leaves no store" no_store "$R"
if [ "$(stat -f -c %T "$WORK")" != btrfs ]; then
  raw --root "$R" --backend btrfs import "oci:$OCI:base"
  expect "--backend btrfs on $(stat -f -c %T "$WORK"): not supported, exit 6 (rc=$RC)" [ "$RC" = 6 ]
  expect "--backend btrfs on a non-btrfs root leaves no store" no_store "$R"
fi
raw --root "$R" import "oci:$WORK/img/bad/bad-diffid:latest"
expect "a bad first image: exit 4 (rc=$RC)" [ "$RC" = 4 ]
expect "a bad first image leaves no store" no_store "$R"
raw --root "$R" import "oci:$OCI:base" --name sha256:abcd
check "--name sha256:abcd refused with exit 2 (rc=$RC)" '[ "$RC" = 2 ] && err_has "reads as an image id"'
expect "an invalid first --name leaves no store" no_store "$R"
raw --root "$R" gc
check "gc on a missing store: exit 0, leaves no store (rc=$RC)" '[ "$RC" = 0 ] && no_store "$R"'
mkdir "$R"
raw --root "$R" import "oci:$WORK/img/bad/bad-blob-digest:latest"
expect "a root directory that existed stays, empty, after a failed first import (rc=$RC)" 
  empty_dir "$R"
rmdir "$R"

# the default backend, probed as cairn probes it
if "$PY" - <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_fsopen, SYS_fsconfig = 430, 431
def fsopen(name): return libc.syscall(SYS_fsopen, name.encode(), 1)
erofs, ovl = fsopen("erofs"), fsopen("overlay")
if erofs < 0 or ovl < 0: sys.exit(1)
ok = all(libc.syscall(SYS_fsconfig, ovl, 1, key.encode(), b"/", 0) == 0 for key in ("lowerdir+", "datadir+"))
sys.exit(0 if ok else 1)
PY
then want=composefs; else want=dir; fi
raw --root "$R" import "oci:$OCI:base"
expect "first import succeeds (rc=$RC)" [ "$RC" = 0 ]
expect "it says the new store got the $want backend, and why" err_has "new store at $R with the $want backend: "
raw --root "$R" import "oci:$OCI:torture"
check "the second import says nothing about a new store" '[ "$RC" = 0 ] && ! err_has "new store"'
raw --root "$R" --backend dir images
if [ "$want" = dir ]; then expect "the recorded backend is dir" [ "$RC" = 0 ]
else expect "the recorded backend is $want: --backend dir is refused (rc=$RC)" [ "$RC" = 2 ]; fi

# ---- the command line -------------------------------------------------------------------------
raw --version
expect "--version prints cairn VERSION" grep -Eq '^cairn [0-9]+\.[0-9]+\.[0-9]+' "$WORK/out"
raw --root "$R" imprt "oci:$OCI:base"
check "an unknown command is named with a suggestion, exit 2 (rc=$RC)" \
  '[ "$RC" = 2 ] && err_has "unknown command imprt; did you mean import?"'
raw --root "$R" images --no-such-flag
check "a parse error: exit 2 and cairn: error: (rc=$RC)" '[ "$RC" = 2 ] && err_has "^cairn: error:"'

# ---- names ------------------------------------------------------------------------------------
before=$("$CAIRN" --root "$R" images -q | sort)
for bad in c3c8 'a/../b' "$(printf 'x\ny')" 'two words' ''; do
  raw --root "$R" tag base "$bad"
  expect "tag to '$(printf %q "$bad")' refused with exit 2 (rc=$RC)" [ "$RC" = 2 ]
done
raw --root "$R" import "oci:$OCI:multi" --name "$(printf 'evil\033[2J')"
check "import --name with an escape sequence: exit 2, shown escaped (rc=$RC)" \
  '[ "$RC" = 2 ] && grep -qF "evil\\x1b" "$WORK/err"'
expect "no image was added by the refused names" [ "$("$CAIRN" --root "$R" images -q | sort)" = "$before" ]

# ---- tag, images, rmi -------------------------------------------------------------------------
raw --root "$R" tag base my/base:1
expect "tag base my/base:1 (rc=$RC)" [ "$RC" = 0 ]
base_id=$("$CAIRN" --root "$R" --json inspect base | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
raw --root "$R" images -q --filter 'reference=my/*'
expect "images -q --filter reference=my/* prints base's short id" [ "$(cat "$WORK/out")" = "${base_id:7:12}" ]
raw --root "$R" images -q --no-trunc --filter reference=base
expect "images -q --no-trunc prints the full id" [ "$(cat "$WORK/out")" = "$base_id" ]
raw --root "$R" images --filter dangling=true
expect "images --filter dangling=true: no unnamed image" [ "$(wc -l <"$WORK/out")" = 1 ]
raw --root "$R" images --filter colour=red
expect "an unknown filter: exit 2 (rc=$RC)" [ "$RC" = 2 ]
created=$("$CAIRN" --root "$R" --json inspect base | "$PY" -c 'import json,sys; c=json.load(sys.stdin)["config"].get("created",""); print(c[:10])')
raw --root "$R" images --filter reference=base
if [ -n "$created" ]; then
  expect "images CREATED is the config's created ($created)" grep -q " $created " "$WORK/out"
else note "base has no created in its config: CREATED check not applicable"; fi
longname=registry.example.org/a/very/long/repository/name/that/goes/on/and/on:some-long-tag
raw --root "$R" tag torture "$longname"
raw --root "$R" images
expect "a long name keeps the table's columns" 
  [ "$(grep -F "$longname" "$WORK/out" | awk '{print $2}')" = "$("$CAIRN" --root "$R" images -q --filter "reference=$longname")" ]
raw --root "$R" rmi my/base:1 "$longname"
check "rmi of two names (rc=$RC)" '[ "$RC" = 0 ] && [ "$(grep -c "^untagged:" "$WORK/out")" = 2 ]'
raw --root "$R" create base c1
if [ "$RC" = 0 ]; then
  raw --root "$R" rmi base
  expect "rmi of an image a container uses: busy, exit 5 (rc=$RC)" [ "$RC" = 5 ]
  raw --root "$R" rmi -f base
  check "rmi -f removes the container and the image (rc=$RC)" \
    '[ "$RC" = 0 ] && grep -q "^removed container: c1" "$WORK/out"'
  raw --root "$R" ps
  expect "no container is left" [ "$(wc -l <"$WORK/out")" = 1 ]
else
  note "create is not available on this store's backend: $(head -1 "$WORK/err")"
fi
# ---- mounts ------------------------------------------------------------------------------------
if [ "$want" = composefs ]; then
  mkdir -p "$WORK/mnt-dir"
  raw --root "$R" mount torture "$WORK/mnt-dir"
  raw --root "$R" mount torture
  default_mnt=$(tail -1 "$WORK/out")
  raw --root "$R" mount
  check "mount with no argument lists both mounts of torture (rc=$RC)" \
    '[ "$RC" = 0 ] && grep -q "^image  *torture  *$WORK/mnt-dir$" "$WORK/out" && grep -q " $default_mnt$" "$WORK/out"'
  raw --root "$R" rmi torture
  check "rmi of a mounted image: busy, exit 5, says where (rc=$RC)" \
    '[ "$RC" = 5 ] && err_has "is mounted at"'
  raw --root "$R" umount torture
  check "umount torture undoes both, also the one at a DIR (rc=$RC)" \
    '[ "$RC" = 0 ] && ! mountpoint -q "$WORK/mnt-dir" && ! mountpoint -q "$default_mnt"'
  raw --root "$R" mount
  check "mount lists nothing after umount" '[ "$RC" = 0 ] && [ "$(wc -l <"$WORK/out")" = 1 ]'
  raw --root "$R" mount torture "$WORK/mnt-dir"
  raw --root "$R" rmi -f torture
  check "rmi -f unmounts the image first (rc=$RC)" '[ "$RC" = 0 ] && ! mountpoint -q "$WORK/mnt-dir"'
  raw --root "$R" import "oci:$OCI:torture"
fi

# ---- prune -------------------------------------------------------------------------------------
P=$WORK/s4
raw --root "$P" --backend dir import "oci:$OCI:base" --name x
raw --root "$P" import "oci:$OCI:torture" --name x   # x moves to torture: base is left unnamed
raw --root "$P" image prune --dry-run
check "image prune --dry-run names the unnamed image and changes nothing (rc=$RC)" \
  '[ "$RC" = 0 ] && grep -q "^would delete: sha256:" "$WORK/out" && [ "$("$CAIRN" --root "$P" images -q | wc -l)" = 2 ]'
raw --root "$P" create x c1
raw --root "$P" image prune -a --dry-run
check "image prune -a keeps an image a container uses" '[ "$RC" = 0 ] && grep -q "would free: 1 image," "$WORK/out"'
raw --root "$P" system prune
check "system prune removes the unnamed image, keeps the named one (rc=$RC)" \
  '[ "$RC" = 0 ] && grep -q "^freed: 1 image," "$WORK/out" && [ "$("$CAIRN" --root "$P" images -q | wc -l)" = 1 ]'
raw --root "$P" rm c1

# ---- info, df, ps, messages -----------------------------------------------------------------
raw --root "$WORK/none" info
check "info without a store names the backend a new one would get, creates none" \
  '[ "$RC" = 0 ] && grep -q "^store: none yet; the first import creates one with the $want backend" "$WORK/out" && no_store "$WORK/none"'
raw --root "$R" info
check "info on the store: version, backend and why, counts" \
  '[ "$RC" = 0 ] && grep -q "^version: cairn " "$WORK/out" && grep -q "^backend: $want (" "$WORK/out" && grep -Eq "^holds: [0-9]+ images?, " "$WORK/out"'
raw --root "$R" df -h
check "df -h: human-readable sizes" '[ "$RC" = 0 ] && grep -Eq "^TOTAL +[0-9.]+ (B|kB|MB)" "$WORK/out"'
raw --root "$R" ps -a
expect "ps -a (rc=$RC)" [ "$RC" = 0 ]
raw --root "$R" import "oci:$WORK/img/archives/base.oci.tar"
check "import oci:FILE.tar suggests oci-archive: (rc=$RC)" '[ "$RC" = 2 ] && err_has "use oci-archive:"'
raw --root "$WORK/s2" --backend dir --mode hybrid import "oci:$OCI:base"
check "--mode on a new dir store: exit 2, no store (rc=$RC)" '[ "$RC" = 2 ] && no_store "$WORK/s2"'
raw --root "$WORK/s4" --backend dir import "oci:$OCI:base"
raw --root "$WORK/s4" digest base
check "digest on a dir store: not supported, exit 6 (rc=$RC)" '[ "$RC" = 6 ] && err_has "the dir backend has no image digests"'
printf 'root = %s\nbakend = dir\n' "$WORK/s3" >"$WORK/typo.conf"
RC=0; CAIRN_CONFIG=$WORK/typo.conf "$CAIRN" images >"$WORK/out" 2>"$WORK/err" || RC=$?
check "an unknown config key is named (rc=$RC)" '[ "$RC" = 2 ] && err_has "typo.conf:2: unknown key \"bakend\""'
if [ "$want" = composefs ] && command -v openssl >/dev/null; then
  openssl genpkey -algorithm ed25519 -out "$WORK/key.pem" 2>/dev/null
  openssl pkey -in "$WORK/key.pem" -pubout -out "$WORK/pub.pem" 2>/dev/null
  raw --root "$R" verify torture --key "$WORK/pub.pem"
  check "verify --key of an unsigned image: not signed, exit 3 (rc=$RC)" '[ "$RC" = 3 ] && err_has "is not signed"'
  raw --root "$R" sign torture --key "$WORK/pub.pem"
  check "sign with a public key says so (rc=$RC)" '[ "$RC" = 4 ] && err_has "a public key; signing needs the private key" && ! err_has "error:[0-9A-F]"'
fi
# ---- a person at a terminal -------------------------------------------------------------------
"$PY" "$REPO_DIR/tests/fixtures/make-big-image.py" "$WORK/big" 384
TERM_RUN=$REPO_DIR/tests/tools/on-a-terminal.py
RC=0; "$PY" "$TERM_RUN" -- "$CAIRN" --root "$R" import "oci:$WORK/big:big" --name big1 >"$WORK/tty" 2>&1 || RC=$?
check "on a terminal, import draws progress and a summary (rc=$RC)" \
  '[ "$RC" = 0 ] && grep -q "layer 1/1 " "$WORK/tty" && grep -q "1 layer: 1 ingested" "$WORK/tty"'
"$CAIRN" --root "$R" rmi big1 >/dev/null
RC=0; "$PY" "$TERM_RUN" --ctrl-c-after 'layer 1/1 [0-9a-f]+ +[0-9.]+ [kM]?B' -- \
  "$CAIRN" --root "$R" import "oci:$WORK/big:big" --name big2 >"$WORK/tty" 2>&1 || RC=$?
check "Ctrl-C during an import: it dies of SIGINT (rc=$RC = 130)" '[ "$RC" = 130 ]'
check "Ctrl-C: the progress line is ended and the interruption is said" \
  'tr "\r" "\n" <"$WORK/tty" | grep -q "^cairn: import of oci:.* interrupted: no image was added"'
raw --root "$R" images -q --filter reference=big2
check "Ctrl-C: no image was added" '[ "$RC" = 0 ] && [ ! -s "$WORK/out" ]'
raw --root "$R" import "oci:$WORK/big:big" --name big3
check "without a terminal: no progress, plain lines only (rc=$RC)" \
  '[ "$RC" = 0 ] && ! grep -q "layer 1/1" "$WORK/err" && ! grep -q $(printf "\r") "$WORK/out" "$WORK/err"'
"$CAIRN" --root "$R" rmi big3 >/dev/null
rm -rf "$WORK/big"

raw --root "$R" pull "oci:$OCI:base"
check "pull of an oci: source: exit 2 (rc=$RC)" '[ "$RC" = 2 ] && err_has "registry reference"'

summary
