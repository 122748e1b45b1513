#!/bin/bash
# The "seed" scenario of containers/storage#2018: many small app images on one shared base, imported
# into one composefs store per mode; how much EROFS metadata each mode keeps, and what import and
# mount cost.
#
# usage: bench/composefs-seed.sh CAIRN_BINARY        (root)
#   N            app images (default 150): tags app-000.. of a generated OCI layout (bench/gen-seed-images.py)
#   MODES        composefs modes to measure (default "flat per-layer hybrid"); a mode cairn refuses
#                prints "n/a (mode unsupported)"
#   MOUNTS       images mounted for the mount latency (default 10, spread over the set; median)
#   BASE_LAYOUT  OCI layout whose `base` tag is the shared base (default $CAIRN_E2E/images/oci if it
#                has one; BASE_LAYOUT=synthetic: a generated base of ~3,400 files)
#   DROP         1 (default): sync + drop_caches + re-read of the blobs before each mode; 0: sync only
#   BENCH_TMP    scratch directory (default $CAIRN_E2E/tmp)
#
# Per mode: EROFS metadata bytes (sum of ROOT/composefs/images/*.cfs), layer index bytes, object bytes,
# import time (all N imports, one after the other, into one store; single run), mount and umount
# latency (median over MOUNTS images after one warm-up mount). Targets: flat metadata / base image
# ~ N; hybrid metadata / (base image + the apps' own parts) <= 1.2, where "base image" is the flat
# EROFS of the base alone and "the apps' own parts" the per-layer images of the apps' layers (so
# per-layer mode is that reference plus nothing; without per-layer in MODES that ratio is n/a).
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"

need_cairn "${1:-${CAIRN:-}}" "bench/composefs-seed.sh CAIRN_BINARY"
N=${N:-150}
MODES=${MODES:-flat per-layer hybrid}
MOUNTS=${MOUNTS:-10}
BASE_LAYOUT=${BASE_LAYOUT:-$E2E/images/oci}
bench_init composefs-seed

LAYOUT=$WORK/layout
if [ "$BASE_LAYOUT" != synthetic ] && grep -q '"base"' "$BASE_LAYOUT/index.json" 2>/dev/null; then
  "$PY" "$(dirname "$(readlink -f "$0")")/gen-seed-images.py" "$LAYOUT" "$N" "$BASE_LAYOUT"
  base_desc="base = $BASE_LAYOUT:base"
else
  "$PY" "$(dirname "$(readlink -f "$0")")/gen-seed-images.py" "$LAYOUT" "$N"
  base_desc="base = synthetic (3,400 files)"
fi

cfs() { # cfs STORE MODE ARGS...
  local store=$1 mode=$2; shift 2
  "$CAIRN" --root "$store" --backend composefs --mode "$mode" "$@"
}
cfs_bytes() { bytes_sum "$1"/composefs/images -name '*.cfs'; }

# Reference: the base alone, flat (also the warm-up: blobs in page cache, binary loaded).
cfs "$WORK/ref" flat import "oci:$LAYOUT:base" >/dev/null
BASE_BYTES=$(find "$WORK/ref/composefs/images" -name '*.cfs' -printf '%s\n' | awk '{s += $1} END {print s}')
rm -rf "$WORK/ref"
# ChainIDs of the base's layers: per-layer images with these names are the base, the rest the apps'.
BASE_CHAINS=$("$PY" - "$LAYOUT" <<'EOF'
import hashlib, json, os, sys
root = sys.argv[1]
blob = lambda d: os.path.join(root, "blobs", "sha256", d.split(":", 1)[1])
for m in json.load(open(os.path.join(root, "index.json")))["manifests"]:
    if m["annotations"]["org.opencontainers.image.ref.name"] == "base":
        config = json.load(open(blob(json.load(open(blob(m["digest"])))["config"]["digest"])))
        chain = None
        for d in config["rootfs"]["diff_ids"]:
            chain = d if chain is None else "sha256:" + hashlib.sha256((chain + " " + d).encode()).hexdigest()
            print(chain.split(":")[1])
EOF
)

declare -A META INDEX OBJECTS IMPORT FIRST REST MOUNT UMOUNT STATUS
APPS_OWN=n/a
for mode in $MODES; do
  store=$WORK/store-$mode
  sync
  # same page cache state for every mode (on this VM fresh guest memory makes writes far slower)
  [ "${DROP:-1}" = 1 ] && echo 3 >/proc/sys/vm/drop_caches && cat "$LAYOUT"/blobs/sha256/* >/dev/null
  times=()
  log=$WORK/import-$mode.log
  for ((i = 0; i < N; i++)); do
    tag=$(printf 'app-%03d' "$i")
    t0=$EPOCHREALTIME
    rc=0
    cfs "$store" "$mode" import "oci:$LAYOUT:$tag" >/dev/null 2>"$log" || rc=$?
    if [ "$rc" != 0 ]; then
      if [ "$i" = 0 ] && grep -qi 'mode' "$log"; then
        STATUS[$mode]="n/a (mode unsupported)"
      else
        STATUS[$mode]="failed at $tag: $(tail -1 "$log")"
      fi
      echo "# $mode: import $tag exited $rc: $(tail -1 "$log")" >&2
      break
    fi
    t1=$EPOCHREALTIME
    times+=("$(calc "'%.3f' % ($t1 - $t0)")")
  done
  [ -n "${STATUS[$mode]:-}" ] && { rm -rf "$store"; continue; }
  STATUS[$mode]=ok
  META[$mode]=$(cfs_bytes "$store")
  INDEX[$mode]=$(bytes_sum "$store/composefs/layers")
  OBJECTS[$mode]=$(bytes_sum "$store/composefs/objects")
  IMPORT[$mode]=$(stat sum "${times[@]}")
  FIRST[$mode]=${times[0]}
  REST[$mode]=$(stat mean "${times[@]:1}")
  if [ "$mode" = per-layer ]; then
    APPS_OWN=$(find "$store/composefs/images" -name '*.layer.cfs' -printf '%f %s\n' |
      grep -v -F -f <(echo "$BASE_CHAINS") | awk '{s += $2} END {printf "%d", s}')
  fi
  # mount latency: one warm-up, then MOUNTS images spread over the set, each mounted then unmounted
  cfs "$store" "$mode" mount app-000 >/dev/null && cfs "$store" "$mode" umount app-000
  mt=() ut=()
  for ((k = 0; k < MOUNTS; k++)); do
    tag=$(printf 'app-%03d' $((k * N / MOUNTS)))
    sync
    t0=$EPOCHREALTIME
    path=$(cfs "$store" "$mode" mount "$tag" | tail -1)
    t1=$EPOCHREALTIME
    [ -d "$path/opt/app$(printf %03d $((k * N / MOUNTS)))" ] || { echo "mount of $tag lacks its app dir" >&2; exit 1; }
    cfs "$store" "$mode" umount "$tag"
    t2=$EPOCHREALTIME
    mt+=("$(calc "($t1 - $t0) * 1000")") ut+=("$(calc "($t2 - $t1) * 1000")")
  done
  MOUNT[$mode]=$(stat median "${mt[@]}")
  UMOUNT[$mode]=$(stat median "${ut[@]}")
  rm -rf "$store"
done

echo "# composefs seed scenario (containers/storage#2018): $N app images, each 1-2 small layers of its own" \
  "on one shared base; $base_desc"
echo "# cairn $CAIRN; $(machine_line)"
echo "# import: the N imports one after the other into one empty store per mode, single run (warm page" \
  "cache: the base was imported once before, untimed; DROP=${DROP:-1}: caches dropped and blobs re-read before each mode); mount: median of $MOUNTS images, mount then" \
  "umount each, after one warm-up; sync before each mode and each mount"
echo
echo "| mode | EROFS metadata | index | objects | import total s | first image s | next images s (mean) | mount ms (median) | umount ms (median) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for mode in $MODES; do
  if [ "${STATUS[$mode]}" != ok ]; then
    echo "| $mode | ${STATUS[$mode]} | | | | | | | |"
    continue
  fi
  echo "| $mode | ${META[$mode]} ($(human "${META[$mode]}")) | $(human "${INDEX[$mode]}") |" \
    "$(human "${OBJECTS[$mode]}") | ${IMPORT[$mode]} | ${FIRST[$mode]} | ${REST[$mode]} |" \
    "${MOUNT[$mode]} | ${UMOUNT[$mode]} |"
done
echo
REF=n/a
[ "$APPS_OWN" != n/a ] && REF=$((BASE_BYTES + APPS_OWN))
echo "Base image (flat EROFS of the base alone): $BASE_BYTES bytes; the apps' own parts (per-layer" \
  "images of the app layers): $APPS_OWN bytes; reference = their sum: $REF bytes."
echo
echo "| ratio | measured | target |"
echo "|---|---:|---:|"
for mode in $MODES; do
  [ "${STATUS[$mode]}" = ok ] || { echo "| $mode metadata / base image | ${STATUS[$mode]} | |"; continue; }
  target=""
  [ "$mode" = flat ] && target="~${N}x"
  echo "| $mode metadata / base image | $(ratio "${META[$mode]}" "$BASE_BYTES" "%.1fx") | $target |"
done
for mode in $MODES; do
  [ "${STATUS[$mode]}" = ok ] || { echo "| $mode metadata / (base + apps' own) | ${STATUS[$mode]} | |"; continue; }
  target=""
  [ "$mode" = hybrid ] && target="<= 1.2x"
  echo "| $mode metadata / (base + apps' own) | $(ratio "${META[$mode]}" "$REF") | $target |"
done
