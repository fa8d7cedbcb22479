# tests/lib.sh - sourced by every shell test: TAP output and a private engine.
#
#   . "$(dirname "$0")/../lib.sh"
#   engine_setup            # temp state dir, root, config; sets $ENGINE
#   ok "hostname is set"   / not_ok "..." / skip "why" / check "desc" cmd...
#   done_testing
#
# TAP: "ok N - desc", "not ok N - desc", "ok N # SKIP reason". A test file that
# cannot run at all prints "1..0 # SKIP reason" and exits 77.

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_SRCDIR=$(cd "$TESTS_DIR/.." && pwd)
TOP_BUILDDIR=${TOP_BUILDDIR:-$TOP_SRCDIR}
ENGINE=${ENGINE:-$TOP_BUILDDIR/core/engine}
_tap_n=0
_tap_failed=0

ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() { _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1)); echo "not ok $_tap_n - $*"; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $*"; }
diag() { echo "# $*"; }
# check "description" command args...  (passes when the command exits 0)
check() {
    local desc=$1; shift
    local out
    if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc"; printf '%s\n' "$out" | sed 's/^/#   /' | head -20; fi
}
# check_eq "description" expected actual
check_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; diag "  expected: '$2'"; diag "  got:      '$3'"; fi
}
skip_all() { echo "1..0 # SKIP $*"; exit 77; }
done_testing() { echo "1..$_tap_n"; [ "$_tap_failed" -eq 0 ]; exit $?; }

# Driver modules from the build tree, as if installed.
builtin_driver_dirs() {
    local d out=
    for d in "$TOP_BUILDDIR"/drivers/*/.libs; do out=${out:+$out:}$d; done
    echo "$out"
}

# A private engine: its own state dir, root and config, so tests never touch
# the host's /run/engine or each other. Cleans up at exit.
engine_setup() {
    [ "$(id -u)" = 0 ] || skip_all "needs root"
    [ -x "$ENGINE" ] || skip_all "engine not built at $ENGINE"
    TEST_TMP=$(mktemp -d /tmp/engine-test.XXXXXX)
    export ENGINE_BUILTIN_DRIVER_DIR=${ENGINE_BUILTIN_DRIVER_DIR:-$(builtin_driver_dirs)}
    # The busybox image is shared between tests (assembling it costs time).
    export ENGINE_IMAGE_DIR=${ENGINE_IMAGE_DIR:-/var/lib/engine-test/images}
    cat > "$TEST_TMP/engine.conf" <<CONF
[engine]
state_dir = $TEST_TMP/run
root = $TEST_TMP/lib
CONF
    export ENGINE_CONFIG=$TEST_TMP/engine.conf
    trap engine_teardown EXIT
}

# Remove every container the test left, then the temp dirs.
engine_teardown() {
    local id
    if [ -d "$TEST_TMP/run" ]; then
        for id in $(ls "$TEST_TMP/run" 2>/dev/null); do
            [ -f "$TEST_TMP/run/$id/state.json" ] && "$ENGINE" rm -f "$id" >/dev/null 2>&1
        done
    fi
    grep -q " $TEST_TMP/" /proc/self/mountinfo && \
        awk -v p="$TEST_TMP/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
    rm -rf "$TEST_TMP"
}

# Mounts and cgroups of this test's containers still present (should be none).
leftover_mounts() { awk -v p="$TEST_TMP/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo; }
