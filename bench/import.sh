#!/bin/bash
# Import benchmark: `cairn import` into a fresh store vs `umoci raw unpack` of the same image from the
# same OCI layout, in the same run. Best of REPS wall-clock runs after one untimed warm-up of each tool.
#
# usage: bench/import.sh CAIRN_BINARY [LAYOUT]        (root)
#   LAYOUT   OCI layout holding the images (default: $CAIRN_E2E/images/oci, the shared fixtures' full set)
#   IMAGES   tags to import (default: "app-python app-build")
#   REPS     timed runs per tool and image (default 3)
#   BACKEND  cairn backend (default dir)
#   SYNC=1   include a `sync` in every timed run of both tools (durable on disk, not just in page cache)
#   BENCH_TMP  scratch directory (default $CAIRN_E2E/tmp); put it on the filesystem you want to measure
# Prints a markdown table: image | cairn s | umoci s | ratio (cairn / umoci; < 1 = cairn faster).
set -euo pipefail

CAIRN=${1:-${CAIRN:-}}
[ -n "$CAIRN" ] && [ -x "$CAIRN" ] || { echo "usage: bench/import.sh CAIRN_BINARY [LAYOUT]" >&2; exit 2; }
CAIRN=$(readlink -f "$CAIRN")
E2E=${CAIRN_E2E:-/var/tmp/cairn-e2e}
LAYOUT=$(readlink -f "${2:-$E2E/images/oci}")
IMAGES=${IMAGES:-app-python app-build}
REPS=${REPS:-3}
BACKEND=${BACKEND:-dir}
SYNC=${SYNC:-0}
[ -f "$LAYOUT/index.json" ] || { echo "no OCI layout at $LAYOUT (build the shared fixtures, or pass one)" >&2; exit 2; }
command -v umoci >/dev/null || { echo "umoci is not installed" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench/import.sh must run as root (umoci raw unpack and cairn apply owners/devices)" >&2; exit 2; }

mkdir -p "${BENCH_TMP:-$E2E/tmp}"
WORK=$(mktemp -d "${BENCH_TMP:-$E2E/tmp}/cairn-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
now() { date +%s.%N; }
elapsed() { "$PY" -c 'import sys; print("%.3f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"; }
min() { "$PY" -c 'import sys; print("%.2f" % min(map(float, sys.argv[1:])))' "$@"; }

# Every timed run starts from the same memory state: page cache dropped, then
# only the image's own blobs read back in (a full page cache makes this VM's
# allocations several times slower, which would decide the result instead of
# the tools). DROP=0 skips this.
blobs_of() { # blobs_of TAG: the blob files of the image's config and layers
  "$PY" - "$LAYOUT" "$1" <<'PY'
import json, os, sys
layout, tag = sys.argv[1], sys.argv[2]
def blob(d): return os.path.join(layout, "blobs", *d.split(":"))
index = json.load(open(os.path.join(layout, "index.json")))
for m in index["manifests"]:
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
        manifest = json.load(open(blob(m["digest"])))
        for d in [manifest["config"]] + manifest["layers"]:
            print(blob(d["digest"]))
PY
}
settle() { # settle TAG
  sync
  if [ "${DROP:-1}" = 1 ]; then
    echo 3 >/proc/sys/vm/drop_caches
    blobs_of "$1" | xargs cat >/dev/null
  fi
}

run_cairn() { # run_cairn TAG: one import into a fresh store; prints seconds
  local t0 t1
  rm -rf "$WORK/store"
  settle "$1"  # the previous run's deletion must not be charged to this one
  t0=$(now)
  "$CAIRN" --root "$WORK/store" --backend "$BACKEND" import "oci:$LAYOUT:$1" >"$WORK/cairn.log" 2>&1 ||
    { echo "cairn import $1 failed:" >&2; tail -5 "$WORK/cairn.log" >&2; exit 1; }
  [ "$SYNC" = 1 ] && sync
  t1=$(now)
  elapsed "$t0" "$t1"
}

run_umoci() { # run_umoci TAG: one unpack into a fresh rootfs; prints seconds
  local t0 t1
  rm -rf "$WORK/rootfs"
  settle "$1"
  t0=$(now)
  umoci raw unpack --image "$LAYOUT:$1" "$WORK/rootfs" >"$WORK/umoci.log" 2>&1 ||
    { echo "umoci raw unpack $1 failed:" >&2; tail -5 "$WORK/umoci.log" >&2; exit 1; }
  [ "$SYNC" = 1 ] && sync
  t1=$(now)
  elapsed "$t0" "$t1"
}

echo "# cairn $CAIRN (backend $BACKEND) vs umoci $(umoci --version | awk '{print $3}'); layout $LAYOUT;" \
  "best of $REPS after a warm-up; SYNC=$SYNC; $(nproc) CPUs; scratch on $(df --output=fstype "$WORK" | tail -1)"
echo
echo "| image | cairn s | umoci s | cairn/umoci | speed-up |"
echo "|---|---:|---:|---:|---:|"
for tag in $IMAGES; do
  run_cairn "$tag" >/dev/null   # warm-up: page cache holds the blobs, binaries are loaded
  run_umoci "$tag" >/dev/null
  c=() u=()
  for _ in $(seq "$REPS"); do
    t=$(run_cairn "$tag"); c+=("$t")
    t=$(run_umoci "$tag"); u+=("$t")
  done
  bc=$(min "${c[@]}") bu=$(min "${u[@]}")
  echo "| $tag | $bc | $bu | $("$PY" -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$bc" "$bu") |" \
    "$("$PY" -c 'import sys; print("%.1fx" % (float(sys.argv[2]) / float(sys.argv[1])))' "$bc" "$bu") |"
  rm -rf "$WORK/store" "$WORK/rootfs"
done
