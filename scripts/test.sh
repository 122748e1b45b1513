#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run):
#   1. dependencies, then a -Werror build and every test (unit + integration),
#   2. the same under AddressSanitizer + UndefinedBehaviorSanitizer,
#   2b. every libFuzzer target (fuzz/) for CAIRN_FUZZ_SECONDS each (default 30), seeds and
#      regression inputs first (scripts/fuzz.sh),
#   3. when ../shared/fixtures exists beside the repository, its small image
#      set (busybox base + torture layers) against umoci's reference listings,
#      in every form (the kit's registry, which this starts, a private dockerd
#      and podman storage, the archives and layouts),
#      with the dir backend, through composefs mounts (flat, per-layer, hybrid),
#      and on the btrfs and zfs chain backends (each on a scratch loop btrfs /
#      zfs-fuse pool the script makes and tears down; a container per image;
#      rmi + gc leave no layer).
# Exits non-zero if anything fails.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)

"$repo/scripts/install-deps.sh"

echo "== build (release, -Werror)"
"$repo/scripts/build.sh" "$repo/build"
echo "== tests (release)"
ctest --test-dir "$repo/build" --output-on-failure -j "$jobs"

echo "== build (asan+ubsan)"
"$repo/scripts/build.sh" "$repo/build-asan" -DCAIRN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
echo "== tests (asan+ubsan)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$repo/build-asan" --output-on-failure -j "$jobs"

echo "== fuzz (libFuzzer, ${CAIRN_FUZZ_SECONDS:-30} s per target)"
"$repo/scripts/fuzz.sh" "${CAIRN_FUZZ_SECONDS:-30}"

shared="$repo/../shared/fixtures"
if [[ -x "$shared/all.sh" && "${CAIRN_SKIP_SHARED:-0}" != 1 ]]; then
  echo "== shared fixtures (small set)"
  log=$(mktemp /tmp/cairn-shared-fixtures.XXXXXX.log)
  SMALL=1 "$shared/install-deps.sh" >"$log" 2>&1 || { tail -50 "$log"; exit 1; }
  # the kit's registry, so that the build pushes the images there too (docker:// forms); stopped
  # at the end unless it ran before
  if ! SMALL=1 "$shared/registry-start.sh" >>"$log" 2>&1; then
    echo "the kit's registry did not start: no docker:// forms ($log)"
  elif ! grep -q "already running" "$log"; then
    trap 'SMALL=1 "$shared/registry-stop.sh" >/dev/null 2>&1 || true' EXIT
  fi
  SMALL=1 "$shared/build-images.sh" >>"$log" 2>&1 || { tail -50 "$log"; exit 1; }
  SMALL=1 bash "$repo/tests/integration/shared-fixtures.sh" "$repo/build/cairn" "$shared"
  for mode in flat per-layer hybrid; do
    echo "== shared fixtures (small set), composefs mounts, $mode"
    SMALL=1 CAIRN_IT_BACKEND=composefs CAIRN_COMPOSEFS_MODE=$mode \
      bash "$repo/tests/integration/shared-fixtures.sh" "$repo/build/cairn" "$shared"
  done
  echo "== shared fixtures (small set), btrfs chains"
  SMALL=1 CAIRN_IT_BACKEND=btrfs \
    bash "$repo/tests/integration/shared-fixtures.sh" "$repo/build/cairn" "$shared"
  echo "== shared fixtures (small set), zfs chains (zfs-fuse)"
  SMALL=1 CAIRN_IT_BACKEND=zfs \
    bash "$repo/tests/integration/shared-fixtures.sh" "$repo/build/cairn" "$shared"
else
  echo "== shared fixtures: skipped (no $shared)"
fi
