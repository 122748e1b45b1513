#!/bin/bash
# The unit tests labelled "root" (tests/CMakeLists.txt, CAIRN_ROOT_UNIT_TESTS) are exactly the ones
# that skip without root: run as user nobody, every test the filter names skips saying it needs
# root, no other test does (skips for other reasons, such as ../shared missing, do not count),
# and the others pass. A new test that needs root but is missing from the list, or a
# listed one that no longer needs it, fails here.
#
# Usage: unit-root-label.sh CAIRN_TESTS FILTER. Needs root (to become nobody); exit 77 without.
set -euo pipefail
TESTS=$(readlink -f "$1")
FILTER=$2
. "$(dirname "$(readlink -f "$0")")/lib.sh"

if [ "$(id -u)" != 0 ]; then
  echo "# needs root, to run the unit tests as user nobody"
  exit 77
fi
WORK=$(mktemp -d "${CAIRN_TEST_TMP:-/var/tmp}/cairn-rootlabel.XXXXXX")
chmod 0777 "$WORK"
trap 'rm -rf "$WORK"' EXIT

# as_nobody ARGS...: the unit test binary as nobody, in the scratch directory.
as_nobody() {
  (cd "$WORK" && setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$WORK" TMPDIR="$WORK" \
    "$TESTS" "$@")
}

# Names of the tests a filter selects, and of those that skipped in a run's output.
listed() { as_nobody --gtest_list_tests --gtest_filter="$1" |
  awk '/^[^ ]/ {suite=$1} /^  / {print suite $1}' | LC_ALL=C sort; }
# Tests of a run's output that skipped for want of root: their skip message says "need(s) root"
# (a test may also skip for another reason, such as ../shared missing beside the repository).
skipped() {
  awk '/^\[ RUN      \]/ {name = $4; why = ""; next}
       /^\[  SKIPPED \] .* \([0-9]+ ms\)$/ {if (why ~ /needs? root/) print name; next}
       {why = why $0 "\n"}' "$1" | LC_ALL=C sort -u
}

if ! as_nobody --gtest_list_tests >/dev/null 2>"$WORK/err"; then
  not_ok "the unit test binary runs as nobody (is its directory readable by others?)"
  diag "$WORK/err"
  summary
  exit 1
fi

listed "$FILTER" >"$WORK/root-listed"
as_nobody --gtest_filter="$FILTER" >"$WORK/root-run" 2>&1 || true
skipped "$WORK/root-run" >"$WORK/root-skipped"
if cmp -s "$WORK/root-listed" "$WORK/root-skipped"; then
  ok "all $(wc -l <"$WORK/root-listed") root-labelled unit tests skip as nobody"
else
  not_ok "root-labelled unit tests that run without root (drop them from CAIRN_ROOT_UNIT_TESTS)"
  comm -23 "$WORK/root-listed" "$WORK/root-skipped" >"$WORK/diff"
  diag "$WORK/diff" 30
fi

as_nobody --gtest_filter="-$FILTER" >"$WORK/other-run" 2>&1 || true
skipped "$WORK/other-run" >"$WORK/other-skipped"
check "the $(listed "-$FILTER" | wc -l) other unit tests skip none for want of root as nobody" \
  '[ ! -s "$WORK/other-skipped" ]'
diag "$WORK/other-skipped" 30
check "and they pass as nobody" '! grep -q "^\[  FAILED  \]" "$WORK/other-run"'
grep '^\[  FAILED  \]' "$WORK/other-run" | sed -n 1,10p | sed 's/^/#   /' || true
summary
