#!/bin/bash
# tests/run-tests.sh - run every test (unit programs, integration scripts,
# the conformance suite) and end with "N passed, N failed, N skipped".
#
# Each test prints TAP. "ok" counts as passed, "not ok" as failed, "# SKIP"
# as skipped (never as passed). A test that exits 77 with "1..0 # SKIP why"
# counts one skip. A test that exits non-zero without a "not ok" counts one
# failure, so a crash is never lost.
#   tests/run-tests.sh [--unit-only] [PATTERN]
set -u
here=$(cd "$(dirname "$0")" && pwd)
export TOP_BUILDDIR=${TOP_BUILDDIR:-$(cd "$here/.." && pwd)}
unit_only=no
[ "${1:-}" = --unit-only ] && { unit_only=yes; shift; }
pattern=${1:-}
passed=0 failed=0 skipped=0
failed_names=()

run_one() {
    local t=$1 name out rc p f s
    name=${t#"$TOP_BUILDDIR"/}; name=${name#"$here"/}
    [ -n "$pattern" ] && [[ "$name" != *$pattern* ]] && return
    echo "=== $name"
    out=$(mktemp)
    if [[ $t == *.sh ]]; then timeout 900 bash "$t" >"$out" 2>&1; rc=$?
    else timeout 900 "$t" >"$out" 2>&1; rc=$?; fi
    cat "$out"
    p=$(grep -Ec '^ok [0-9]+( |$)' "$out" | tr -d ' ')
    s=$(grep -Ec '^ok [0-9]+ # SKIP' "$out" | tr -d ' ')
    f=$(grep -Ec '^not ok' "$out" | tr -d ' ')
    p=$((p - s))
    if [ "$rc" = 77 ] && [ "$p" = 0 ] && [ "$f" = 0 ]; then
        s=$((s + 1)); echo "--- $name: skipped ($(grep -m1 'SKIP' "$out" | sed 's/.*SKIP *//'))"
    elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        f=1; echo "--- $name: exited $rc without a failing test: counted as one failure"
    fi
    [ "$f" -gt 0 ] && failed_names+=("$name")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    rm -f "$out"
}

for t in "$TOP_BUILDDIR"/tests/unit/test-*; do
    [ -x "$t" ] && [[ $t != *.c && $t != *.o ]] && run_one "$t"
done
if [ "$unit_only" = no ]; then
    for t in "$here"/integration/*.sh "$here"/conformance/*.sh; do
        [ -f "$t" ] && run_one "$t"
    done
fi
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
