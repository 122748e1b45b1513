#!/bin/bash
# `cairn export` formats and the pyxis importer, with cairn's own generated images
# (tests/fixtures/make-images.py, plus a "rich" image whose config has an Entrypoint, WorkingDir,
# Volumes and labels, and whose own /etc/rc and /etc/fstab must be replaced).
#
# usage: export.sh CAIRN_BINARY      (CAIRN_IT_BACKEND=dir|composefs; root)
#  * tar: `-o -` to a pipe, and no -o with stdout a pipe, equal `-o FILE`; no file named `-`;
#    a terminal is refused (usage, exit 2); GNU tar -tvf and -xf print nothing on stderr
#  * squashfs: `unsquashfs -l` lists the image's paths plus /etc/rc, /etc/environment, /etc/fstab,
#    /etc/rc.local; their contents are enroot's; squashfuse-mounted it lists like the image's
#    mount (tree-listing.py, whole-second mtimes, those four files left out); two exports and an
#    export from a fresh store are identical bytes; `-o -` equals `-o FILE`
#  * pyxis-importer: get prints a path to a valid squashfs; a second get (through
#    scripts/cairn-pyxis-importer, as pyxis runs it) prints the same path with the source gone and
#    the store unchanged; release twice exits 0; gc keeps the cached file, rmi + gc remove it
# Output: "ok - ..." / "not ok - ..." lines, then "N passed, M failed".
set -euo pipefail

CAIRN=${1:-${CAIRN:-}}
[ -n "$CAIRN" ] && [ -x "$CAIRN" ] || { echo "usage: export.sh CAIRN_BINARY" >&2; exit 2; }
CAIRN=$(readlink -f "$CAIRN")
. "$(dirname "$(readlink -f "$0")")/lib.sh"
if [ "$(id -u)" != 0 ]; then echo "# SKIP export.sh: needs root (owners, devices)"; exit 77; fi
if [ "$BACKEND" = composefs ]; then composefs_prelude export.sh; fi
for tool in mksquashfs unsquashfs squashfuse fusermount tar; do
  command -v "$tool" >/dev/null || { echo "# SKIP export.sh: $tool is missing"; exit 77; }
done

scratch_work export
IMGS=$WORK/img
ROOT=$WORK/store
WRAPPER=$REPO_DIR/scripts/cairn-pyxis-importer
SQ_FILES="/etc/environment /etc/fstab /etc/rc /etc/rc.local"

build_images() {
  "$PY" "$REPO_DIR/tests/fixtures/make-images.py" "$IMGS" >"$WORK/gen.log" 2>&1 &&
  "$PY" - "$REPO_DIR/tests/fixtures" "$IMGS/rich" >>"$WORK/gen.log" 2>&1 <<'PYEOF'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("mk", sys.argv[1] + "/make-images.py")
mk = importlib.util.module_from_spec(spec); spec.loader.exec_module(mk)
ik = mk.ik
class Rich(ik.Image):
    def _config_obj(self):
        cfg = super()._config_obj()
        cfg["config"].update({"Entrypoint": ["/usr/bin/tool", "--it's"], "Cmd": ["run", "a b"],
                              "WorkingDir": "/usr/share", "Env": ["PATH=/usr/bin:/bin", "GREETING=hi there"],
                              "Volumes": {"/var/tmp": {}, "/data": {}}})
        return cfg
own = (ik.Layer().file("etc/rc", "echo the image's own rc\n", mode=0o755).file("etc/fstab", "own fstab\n")
       .file("caf\udce9 latin-1", "a name that is not UTF-8\n").file("caf\u00e9 utf-8", "UTF-8\n"))
ik.write_layout(sys.argv[2], [("rich", Rich("rich", [(mk.base_layer(), "gzip"), (own, "gzip")]))])
PYEOF
}

RICH_RC="# cairn.test rich

cd \"/usr/share\" && unset OLDPWD || exit 1

if [ -s /etc/rc.local ]; then
    . /etc/rc.local
fi

if [ \$# -gt 0 ]; then
    exec '/usr/bin/tool' '--it'\\''s' \"\$@\"
else
    exec '/usr/bin/tool' '--it'\\''s' 'run' 'a b'
fi"

import_all() {
  local src
  for src in "oci:$IMGS/oci:base" "oci:$IMGS/oci:torture" "oci:$IMGS/rich:rich"; do
    c_import "$src"
    if [ "$RC" = 0 ]; then ok "import $(src_label "$src")"; else not_ok "import $(src_label "$src") (exit $RC)"; diag "$WORK/err" 5; fi
    IDS+=("$IMG_ID")
  done
}

# no_tar_warnings DESC STDERR_FILE [HDRCHARSETS]: nothing on stderr but what the image's content
# makes GNU tar 1.34 say: SCHILY.devminor (libarchive writes it for a device minor >= 2^18; the
# ustar field still holds the number, which tar reads), a time stamp in the future (torture's
# y2100), and exactly HDRCHARSETS (default 0) hdrcharset warnings: one per name that is not UTF-8,
# the pax way to say "raw bytes" (tar still extracts the right name)
no_tar_warnings() {
  local known="unknown extended header keyword 'SCHILY.devminor'|time stamp .* in the future"
  local n hdr
  hdr=$(grep -c "unknown extended header keyword 'hdrcharset'" "$2" || true)
  n=$(grep -cE "$known" "$2" || true)
  if grep -vE "$known|keyword 'hdrcharset'" "$2" >"$2.rest" || [ "$hdr" != "${3:-0}" ]; then
    not_ok "$1 (hdrcharset warnings: $hdr, expected ${3:-0})"; diag "$2" 5; return
  fi
  if [ $((n + hdr)) -gt 0 ]; then ok "$1 ($n content and $hdr non-UTF-8-name warnings left out)"; else ok "$1"; fi
}

tar_checks() {
  local name=$1 id=$2 d=$WORK/tar-$1
  mkdir -p "$d/cwd" "$d/x"
  (cd "$d/cwd" && "$CAIRN" --root "$ROOT" export "$id" -o "$d/file.tar") 2>"$d/err" || { not_ok "$name: export -o FILE"; diag "$d/err"; return; }
  (cd "$d/cwd" && "$CAIRN" --root "$ROOT" export "$id" -o - | cat >"$d/dash.tar") 2>>"$d/err"
  (cd "$d/cwd" && "$CAIRN" --root "$ROOT" export "$id" | cat >"$d/none.tar") 2>>"$d/err"
  expect "$name: export -o - to a pipe equals -o FILE" cmp -s "$d/file.tar" "$d/dash.tar"
  expect "$name: export with no -o to a pipe equals -o FILE" cmp -s "$d/file.tar" "$d/none.tar"
  expect "$name: no file named - and no .partial left" [ -z "$(ls -A "$d/cwd")" -a ! -e "$d/file.tar.partial" ]
  local latin=0
  [ "$name" = rich ] && latin=1
  tar -tvf "$d/file.tar" >/dev/null 2>"$d/tv.err" || echo "exit $?" >>"$d/tv.err"
  no_tar_warnings "$name: tar -tvf: no warnings but the known ones" "$d/tv.err" "$latin"
  tar -xf "$d/file.tar" -C "$d/x" 2>"$d/x.err" || echo "exit $?" >>"$d/x.err"
  no_tar_warnings "$name: tar -xf: no warnings but the known ones" "$d/x.err" "$latin"
  if [ "$name" = rich ]; then
    expect "$name: GNU tar extracts the non-UTF-8 and the UTF-8 name as bytes" \
      [ -f "$d/x/caf"$'\xe9'" latin-1" -a -f "$d/x/caf"$'\xc3\xa9'" utf-8" ]
  fi
  rm -rf "$d"
}

usage_errors() {
  c_run export "$1" --format zip -o "$WORK/x.zip"
  expect "export --format zip: usage error (exit $RC), no file" [ "$RC" = 2 -a ! -e "$WORK/x.zip" -a ! -e "$WORK/x.zip.partial" ]
  c_run export no-such-image --format squashfs -o "$WORK/x.sqsh"
  expect "export of a missing image: exit 3, no file" [ "$RC" = 3 -a ! -e "$WORK/x.sqsh" -a ! -e "$WORK/x.sqsh.partial" ]
}

terminal_refused() {
  command -v script >/dev/null || { note "no script(1): terminal check skipped"; return; }
  mkdir -p "$WORK/tty" && cd "$WORK/tty"
  script -qec "'$CAIRN' --root '$ROOT' export '$1' >/dev/tty" /dev/null >"$WORK/tty.out" 2>&1 && RC=0 || RC=$?
  cd "$WORK"
  expect "export to a terminal is refused (exit $RC, usage error)" [ "$RC" = 2 -a -z "$(ls -A "$WORK/tty")" ]
  grep -q 'cairn: error: export: refusing' "$WORK/tty.out" || diag "$WORK/tty.out" 3
}

# sq_paths SQUASHFS: the paths it holds, "/..." one a line, sorted
sq_paths() { unsquashfs -d R -l "$1" | sed -n 's|^R/|/|p' | LC_ALL=C sort; }

squashfs_checks() {
  local name=$1 id=$2 d=$WORK/sq-$1
  mkdir -p "$d/cwd" "$d/fuse"
  c_run export "$id" --format squashfs -o "$d/a.sqsh"
  if [ "$RC" != 0 ]; then not_ok "$name: export --format squashfs (exit $RC)"; diag "$WORK/err" 5; return; fi
  c_run export "$id" --format squashfs -o "$d/b.sqsh"
  (cd "$d/cwd" && "$CAIRN" --root "$ROOT" export "$id" --format squashfs -o - | cat >"$d/dash.sqsh")
  expect "$name: two squashfs exports are identical bytes" cmp -s "$d/a.sqsh" "$d/b.sqsh"
  expect "$name: squashfs -o - to a pipe equals -o FILE" cmp -s "$d/a.sqsh" "$d/dash.sqsh"
  expect "$name: squashfs export left nothing in the working dir, ROOT/exports is empty" \
    [ -z "$(ls -A "$d/cwd")$(ls -A "$ROOT/exports")" ]
  c_mount "$id"
  [ "$RC" = 0 ] || { not_ok "$name: mount for comparison"; return; }
  (cd "$MNT" && find . -mindepth 1 | sed 's|^\.||'; for f in $SQ_FILES; do echo "$f"; done) | LC_ALL=C sort -u >"$d/want.paths"
  sq_paths "$d/a.sqsh" >"$d/got.paths"
  same_listing "$name: unsquashfs -l lists the image's paths plus the enroot files" "$d/want.paths" "$d/got.paths"
  expect "$name: /etc/environment holds the config's Env" [ "$(unsquashfs -cat "$d/a.sqsh" etc/environment)" = "$(env_of "$id")" ]
  if [ "$name" = rich ]; then
    expect "$name: /etc/rc execs the entrypoint and cmd in WorkingDir (enroot's script)" [ "$(unsquashfs -cat "$d/a.sqsh" etc/rc)" = "$RICH_RC" ]
    expect "$name: /etc/fstab mounts each volume as tmpfs" [ "$(unsquashfs -cat "$d/a.sqsh" etc/fstab)" = \
      "$(printf 'tmpfs /data tmpfs x-create=dir,rw,nosuid,nodev\ntmpfs /var/tmp tmpfs x-create=dir,rw,nosuid,nodev')" ]
  else
    expect "$name: /etc/rc runs /bin/sh, /etc/fstab is empty" [ "$(unsquashfs -cat "$d/a.sqsh" etc/rc | tail -n 2)" = \
      "$(printf "    exec  '/bin/sh'\nfi")" -a -z "$(unsquashfs -cat "$d/a.sqsh" etc/fstab)" ]
  fi
  expect "$name: /etc/rc is executable" [ "$(unsquashfs -d R -lls "$d/a.sqsh" | awk '$NF == "R/etc/rc" {print $1}')" = "-rwxr-xr-x" ]
  local skips=() f
  for f in $SQ_FILES; do skips+=(--skip "$f"); done
  listing "$MNT" "$d/m.txt" --mtime-seconds "${skips[@]}"
  # unsquashfs extracts hard links and xattrs as stored (squashfs keeps whole-second mtimes)
  unsquashfs -q -d "$d/x" "$d/a.sqsh" >/dev/null 2>"$d/x.err" || echo "exit $?" >>"$d/x.err"
  listing "$d/x" "$d/x.txt" --mtime-seconds "${skips[@]}"
  same_listing "$name: unsquashfs -d extracts a tree that lists like the image (but the enroot files)" "$d/m.txt" "$d/x.txt"
  # squashfuse 0.1.105 gives each path its own inode number and reports security.* xattrs as
  # trusted.*: its listing is compared without hardlink= and xattr fields
  sed -E 's/ (hardlink|xattr\.)[^ ]*//g' "$d/m.txt" >"$d/m-fuse.txt"
  if squashfuse "$d/a.sqsh" "$d/fuse" 2>"$d/fuse.err"; then
    listing "$d/fuse" "$d/f.txt" --mtime-seconds "${skips[@]}"
    fusermount -u "$d/fuse"
    sed -Ei 's/ (hardlink|xattr\.)[^ ]*//g' "$d/f.txt"
    same_listing "$name: squashfuse mount lists like the image (but the enroot files; no hardlink/xattr fields)" "$d/m-fuse.txt" "$d/f.txt"
  else
    not_ok "$name: squashfuse mounts it"; diag "$d/fuse.err" 5
  fi
  cp "$d/a.sqsh" "$WORK/$name.sqsh"
  rm -rf "$d"
}

env_of() { "$CAIRN" --root "$ROOT" inspect "$1" | "$PY" -c '
import json, sys
cfg = json.load(sys.stdin)["config"]
cfg = json.loads(cfg) if isinstance(cfg, str) else cfg
print("\n".join(cfg.get("config", {}).get("Env", [])))'; }

fresh_store_same_bytes() {
  local saved=$ROOT
  ROOT=$WORK/store2
  c_import "oci:$IMGS/oci:torture"
  c_run export "$IMG_ID" --format squashfs -o "$WORK/torture2.sqsh"
  expect "torture: squashfs from a fresh store is identical bytes" cmp -s "$WORK/torture.sqsh" "$WORK/torture2.sqsh"
  ROOT=$saved
}

valid_and_same() { unsquashfs -s "$1" >/dev/null 2>&1 && cmp -s "$1" "$2"; }

pyxis_checks() {
  local saved=$ROOT path1 path2 t0 t1 r1
  ROOT=$WORK/store3
  cp -a "$IMGS/rich" "$WORK/pyxis-src"
  c_run pyxis-importer get "oci:$WORK/pyxis-src:rich"
  path1=$LAST
  if [ "$RC" != 0 ] || [ ! -f "$path1" ]; then not_ok "pyxis-importer get (exit $RC)"; diag "$WORK/err" 5; ROOT=$saved; return; fi
  expect "pyxis-importer get: prints one line, a squashfs under ROOT/pyxis" [ "$(wc -l <"$WORK/out")" = 1 -a "${path1#"$ROOT/pyxis/"}" != "$path1" ]
  expect "pyxis-importer get: the squashfs is valid and equals export --format squashfs" \
    valid_and_same "$path1" "$WORK/rich.sqsh"
  store_snapshot "$WORK/pyxis-before"
  mv "$WORK/pyxis-src" "$WORK/pyxis-gone"
  # as pyxis runs it: through scripts/cairn-pyxis-importer
  t0=$(date +%s%N)
  path2=$(CAIRN_BIN=$CAIRN CAIRN_ROOT=$ROOT "$WRAPPER" get "oci:$WORK/pyxis-src:rich" 2>"$WORK/err") && RC=0 || RC=$?
  t1=$(date +%s%N)
  store_snapshot "$WORK/pyxis-after"
  expect "pyxis-importer get again: same path, no import (source gone), store unchanged" \
    [ "$RC" = 0 -a "$path2" = "$path1" -a "$(cat "$WORK/pyxis-before")" = "$(cat "$WORK/pyxis-after")" ]
  expect "pyxis-importer get again: under a second ($(( (t1 - t0) / 1000000 )) ms)" [ $(( (t1 - t0) / 1000000 )) -lt 1000 ]
  CAIRN_BIN=$CAIRN CAIRN_ROOT=$ROOT "$WRAPPER" release >/dev/null 2>&1 && r1=0 || r1=$?
  c_run pyxis-importer release
  expect "pyxis-importer release twice exits 0, the cache stays" [ "$r1" = 0 -a "$RC" = 0 -a -f "$path1" ]
  c_run gc
  expect "gc keeps the squashfs of an image the store has" [ "$RC" = 0 -a -f "$path1" ]
  c_run rmi "oci:$WORK/pyxis-src:rich"
  c_run gc
  expect "rmi + gc remove the cached squashfs (exit $RC)" [ "$RC" = 0 -a ! -e "$path1" ]
  c_run pyxis-importer get "docker://Bad_Name"
  expect "pyxis-importer get with a malformed docker:// URI: usage error (exit $RC)" [ "$RC" = 2 ]
  ROOT=$saved
}

if build_images; then ok "fixtures generated"; else not_ok "fixtures generated"; diag "$WORK/gen.log"; summary; exit 1; fi
IDS=()
import_all
NAMES=(base torture rich)
for i in 0 1 2; do tar_checks "${NAMES[$i]}" "${IDS[$i]}"; done
terminal_refused "${IDS[0]}"
usage_errors "${IDS[0]}"
for i in 0 1 2; do squashfs_checks "${NAMES[$i]}" "${IDS[$i]}"; done
fresh_store_same_bytes
pyxis_checks
unmount_all "$WORK"
summary
