#!/bin/bash
# Partial-pull benchmark (issue 12): image B, whose one zstd:chunked (or eStargz) layer shares all
# but one file with image A already in the store, pulled from a loopback registry through a proxy that counts
# the bytes it sends (tests/tools/range-proxy.py). In the same run, for each case and backend:
#   cairn partial   `cairn import docker://PROXY/…:b` into a store holding A
#   cairn full      the same with --no-partial (the whole layer blob)
# and for podman (overlay driver, private storage holding A):
#   podman partial  `podman pull` with pull_options enable_partial_images = "true"
#   podman full     `podman pull` with the default (no partial pulls)
# Reported: wall-clock seconds (best of REPS, each run a fresh store with A imported untimed),
# the bytes the proxy sent for B (its config blob and layer: every range, multipart framing
# included) and that as a share of B's layer blob. The issue's target: at most 5%.
#
# usage: bench/partial-pull.sh CAIRN_BINARY        (root)
#   CASES     [estargz:]FILESxFILE_SIZE layer shapes (default "50x102400 400x262144
#             estargz:20x524288": the shapes of tests/integration/partial-pull.sh, and 100 MiB in
#             larger files). zstd:chunked layers are written by skopeo; eStargz ones by
#             tests/fixtures/make-estargz-images.py in 16 KiB chunks, pushed as they are
#   BACKENDS  cairn backends (default "composefs dir btrfs zfs"; a dir store's keep_blobs setting is
#             turned off, as a partial pull has no blob to keep)
#   REPS      timed runs per row (default 3)
#   BENCH_TMP scratch directory (default $CAIRN_E2E/tmp)
# Prints a markdown table; everything it started (registry, proxy, zfs-fuse if it started it) is
# stopped by PID on exit, and its scratch directory removed.
set -euo pipefail

REPO_DIR=$(readlink -f "$(dirname "$(readlink -f "$0")")/..")
source "$REPO_DIR/bench/lib.sh"
source "$REPO_DIR/tests/integration/services.sh"
need_cairn "${1:-}" "bench/partial-pull.sh CAIRN_BINARY"
for tool in docker-registry skopeo sqlite3 curl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 2; }
done
CASES=${CASES:-50x102400 400x262144 estargz:20x524288}
BACKENDS=${BACKENDS-composefs dir btrfs zfs}
REPS=${REPS:-3}
bench_init partial-pull
on_exit stop_services
# podman refuses a runroot longer than 50 characters: its storage goes in a short directory
PODMAN_DIR=$(mktemp -d /tmp/cairn-bench-podman.XXXXXX)
on_exit 'podman_gone "$PODMAN_DIR"'

start_registry "$WORK/registry" || { echo "docker-registry did not start" >&2; exit 1; }
ORIGIN=$REG_HOST
mkdir -p "$WORK/proxy"
PLOG=$WORK/proxy/proxy.log
: >"$PLOG"
start_tool PROXY_PORT "$WORK/proxy/port" "$REPO_DIR/tests/tools/range-proxy.py" \
  --upstream "$ORIGIN" --log "$PLOG" || { echo "range proxy did not start" >&2; exit 1; }
PROXY=127.0.0.1:$PROXY_PORT

# sent: bytes the proxy sent since the log was last emptied
sent() { awk '{ sub("bytes=", "", $5); n += $5 } END { print n + 0 }' "$PLOG"; }

# timed VAR CMD...: runs CMD (stdout to $WORK/out, stderr to $WORK/err), VAR = seconds; fails
# the benchmark, showing the error, if CMD fails
timed() {
  local var=$1 t0 t1; shift
  t0=$EPOCHREALTIME
  if ! "$@" >"$WORK/out" 2>"$WORK/err"; then
    echo "failed: $*" >&2; cat "$WORK/err" >&2; exit 1
  fi
  t1=$EPOCHREALTIME
  printf -v "$var" '%s' "$(calc "$t1 - $t0")"
}

# store_with_a ROOT BACKEND: a fresh store at ROOT holding A (imported from the origin, untimed)
store_with_a() {
  local root=$1 backend=$2
  store_gone "$root" "$backend"
  "$CAIRN" --root "$root" --backend "$backend" import --insecure "docker://$ORIGIN/bench/chunked:a" \
    >/dev/null 2>"$WORK/err" || { echo "import of A failed" >&2; cat "$WORK/err" >&2; exit 1; }
  if [ "$backend" = dir ]; then
    sqlite3 "$root/cairn.db" "UPDATE settings SET value='false' WHERE key='keep_blobs'"
  fi
}

# podman_with_a DIR PARTIAL: fresh podman storage (overlay) under DIR holding A; PARTIAL true|false
podman_with_a() {
  podman_storage "$1" overlay
  printf '[storage.options]\npull_options = {enable_partial_images = "%s", use_hard_links = "false"}\n' \
    "$2" >>"$CONTAINERS_STORAGE_CONF"
  podman "${PODMAN_ARGS[@]}" pull -q --tls-verify=false "docker://$ORIGIN/bench/chunked:a" \
    >/dev/null 2>"$WORK/err" || { echo "podman pull of A failed" >&2; cat "$WORK/err" >&2; exit 1; }
}

# podman_gone DIR: unmounts what podman left mounted below DIR and removes it
podman_gone() {
  awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
  rm -rf "$1"
}

# row CASE TOOL BACKEND: REPS timed pulls of B; prints the table row. The pull's own setup (a store
# with A) is outside the timed part; the bytes are those of the first run (they do not vary).
row() {
  local case=$1 tool=$2 backend=$3 secs=() bytes=() rep s root=$WORK/store podman_dir=$PODMAN_DIR/p
  local store_root=$root
  case $backend in
    btrfs) store_root=$BTRFS_MNT/store ;;
    zfs) store_root=$ZFS_ROOT ;;
  esac
  for rep in $(seq "$REPS"); do
    case $tool in
      "cairn partial" | "cairn full")
        store_with_a "$store_root" "$backend"
        : >"$PLOG"
        local flags=(--insecure)
        [ "$tool" = "cairn full" ] && flags+=(--no-partial)
        timed s "$CAIRN" --root "$store_root" import "${flags[@]}" "docker://$PROXY/bench/chunked:b"
        store_gone "$store_root" "$backend"
        ;;
      "podman partial" | "podman full")
        local partial=false
        [ "$tool" = "podman partial" ] && partial=true
        podman_with_a "$podman_dir" "$partial"
        : >"$PLOG"
        timed s podman "${PODMAN_ARGS[@]}" pull -q --tls-verify=false "docker://$PROXY/bench/chunked:b"
        podman_gone "$podman_dir"
        ;;
    esac
    secs+=("$s"); bytes+=("$(sent)")
  done
  local best=$(stat min "${secs[@]}") sent_bytes=${bytes[0]}
  printf '| %s | %s | %s | %s | %s | %s |\n' "$case" "$tool" "$backend" "$best" "$sent_bytes" \
    "$(calc "'%.1f%%' % ($sent_bytes * 100 / $LAYER_SIZE)")"
}

BTRFS_MNT= ZFS_ROOT=
for backend in $BACKENDS; do
  case $backend in
    btrfs) setup_btrfs 4G ;;
    zfs) setup_zfs 4G ;;
  esac
done

echo "<!-- bench/partial-pull.sh: $(machine_line); REPS=$REPS, $(date -u +%F) -->"
echo
echo "| case | tool | backend | best s | bytes sent for B | % of B's layer blob |"
echo "|---|---|---|---:|---:|---:|"
for case in $CASES; do
  format=zstd:chunked shape=$case
  case $case in estargz:*) format=eStargz shape=${case#estargz:} ;; esac
  files=${shape%x*} size=${shape#*x}
  rm -rf "$WORK/layouts"
  if [ "$format" = eStargz ]; then
    "$PY" "$REPO_DIR/tests/fixtures/make-estargz-images.py" "$WORK/layouts" "$files" "$size"
    copy_flags=(--preserve-digests)
  else
    "$PY" "$REPO_DIR/tests/fixtures/make-partial-images.py" "$WORK/layouts" "$files" "$size"
    copy_flags=(--dest-compress-format zstd:chunked)
  fi
  for tag in a b; do
    up=$(echo "$tag" | tr a-z A-Z)
    skopeo copy -q --dest-tls-verify=false "${copy_flags[@]}" \
      "oci:$WORK/layouts/$up:$tag" "docker://$ORIGIN/bench/chunked:$tag"
  done
  LAYER_SIZE=$(skopeo inspect --raw --tls-verify=false "docker://$ORIGIN/bench/chunked:b" |
    "$PY" -c 'import json, sys; print(json.load(sys.stdin)["layers"][0]["size"])')
  label="$format: $files files of $(human "$size") ($(human "$LAYER_SIZE") blob)"
  for backend in $BACKENDS; do
    row "$label" "cairn partial" "$backend"
    row "$label" "cairn full" "$backend"
  done
  if command -v podman >/dev/null; then
    row "$label" "podman partial" overlay
    row "$label" "podman full" overlay
  fi
done
