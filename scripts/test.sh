#!/bin/bash
# scripts/test.sh - the whole test suite, from a fresh Debian 12 machine, as root:
# installs what is missing, builds (warnings are errors), builds again with
# ASan+UBSan and runs the unit tests there, then runs every test (unit,
# integration per driver, conformance) on the normal build. Ends with
# "N passed, N failed, N skipped" summed over both runs.
set -u
cd "$(dirname "$0")/.."
top=$PWD
log() { printf '\n### %s\n' "$*"; }

log "install dependencies"
scripts/install-deps.sh || { echo "install-deps failed"; echo "0 passed, 1 failed"; exit 1; }

log "build (-Werror)"
# configure's 'rm -f core' (core dumps) complains about our core/ dir: filter that line
if ! { ./autogen.sh >/dev/null && ./configure -q 2> >(grep -v "cannot remove 'core'" >&2) && make -j"$(nproc)" >/dev/null; }; then
    echo "build failed"; echo "0 passed, 1 failed"; exit 1
fi

total_p=0 total_f=0 total_s=0
add_counts() { # parse "N passed, N failed, N skipped" from a run's output
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
    if [ -z "$line" ]; then total_f=$((total_f + 1)); return; fi
    set -- $line
    total_p=$((total_p + $1)); total_f=$((total_f + $3)); total_s=$((total_s + ${5:-0}))
}

log "ASan+UBSan build and unit tests"
asan=$(mktemp -d /tmp/engine-asan.XXXXXX)
git ls-files -z | xargs -0 cp --parents -t "$asan" 2>/dev/null || cp -a . "$asan"
out=$(mktemp)
if ( cd "$asan" && ./autogen.sh >/dev/null &&
     ./configure -q --enable-sanitizers 2> >(grep -v "cannot remove 'core'" >&2) &&
     make -j"$(nproc)" >/dev/null && make -C tests check TESTS= >/dev/null ); then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        TOP_BUILDDIR=$asan "$asan/tests/run-tests.sh" --unit-only 2>&1 | sed 's/^/[asan] /' | tee "$out"
    sed -i 's/^\[asan\] //' "$out"
else
    echo "ASan build failed"; echo "0 passed, 1 failed" > "$out"
fi
add_counts "$out"
rm -rf "$asan"

log "unit, integration and conformance tests"
make -C tests check TESTS= >/dev/null
tests/run-tests.sh 2>&1 | tee "$out"
add_counts "$out"
rm -f "$out"

echo
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" = 0 ]
