#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang and runs each for a while.
#   usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 20 s, every target)
# The seeds and regression inputs in fuzz/corpus/<target>/ are run first (a crash there fails at
# once); new inputs go to a scratch corpus beside them, so the repository is not written. A crash
# leaves its input in build-fuzz/crashes/<target>/ and fails the script: add it to
# fuzz/corpus/<target>/ once fixed. Needs clang-19 (scripts/install-deps.sh installs it).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-20}
shift || true
build=$repo/build-fuzz
clang=$(command -v clang++-19 || true)
[ -n "$clang" ] || { echo "fuzz.sh: clang++-19 is missing (scripts/install-deps.sh)" >&2; exit 1; }
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$clang" \
  -DCAIRN_FUZZ=ON -DCAIRN_TESTS=OFF >/dev/null
ninja -C "$build" fuzz_targets
targets=("$@")
if [ ${#targets[@]} = 0 ]; then
  for exe in "$build"/fuzz/fuzz_*; do targets+=("$(basename "$exe" | sed 's/^fuzz_//')"); done
fi
status=0
for target in "${targets[@]}"; do
  seeds=$repo/fuzz/corpus/$target
  scratch=$build/corpus/$target
  crashes=$build/crashes/$target
  mkdir -p "$seeds" "$scratch" "$crashes"
  log=$build/$target.log
  if "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
      -timeout=10 -artifact_prefix="$crashes/" "$scratch" "$seeds" >"$log" 2>&1; then
    runs=$(grep -o 'Done [0-9]* runs' "$log" | awk '{print $2}' || true)
    echo "fuzz $target: ${seconds} s, ${runs:-?} runs, corpus $(ls "$seeds" | wc -l) seeds +" \
      "$(ls "$scratch" | wc -l) found: ok"
  else
    echo "fuzz $target: FAILED (input in $crashes/, log $log)"
    tail -30 "$log"
    status=1
  fi
done
exit $status
