#!/bin/bash
# tests/conformance/run.sh - the conformance suite on every driver of this
# host: `engine conformance --tap` with a private engine (tests/lib.sh). Each
# driver x scenario is one TAP line; a driver that is not available, or that
# does not declare a scenario's feature, shows as a SKIP with the reason,
# never as a pass. The example third-party driver (plugins/chroot) is built
# from the SDK headers and put on ENGINE_DRIVER_PATH, so an outside driver is
# held to the same scenarios. Starts libvirtd for the libvirt driver when it is installed
# but not running (scripts/libvirtd-start.sh), and stops it again after.
. "$(dirname "$0")/../lib.sh"
engine_setup

started_libvirtd=
stop_libvirtd() {
    [ -n "$started_libvirtd" ] && sh "$TOP_SRCDIR/scripts/libvirtd-stop.sh" >/dev/null 2>&1
    engine_teardown
}
trap stop_libvirtd EXIT

if command -v virsh >/dev/null 2>&1 && [ -x "$(command -v libvirtd || echo /usr/sbin/libvirtd)" ] &&
    ! virsh -c lxc:///system list >/dev/null 2>&1 && [ -f "$TOP_SRCDIR/scripts/libvirtd-start.sh" ]; then
    if out=$(sh "$TOP_SRCDIR/scripts/libvirtd-start.sh" 2>&1); then
        started_libvirtd=yes
        diag "started libvirtd for the libvirt driver"
    else
        diag "libvirtd could not be started (the libvirt driver will be skipped): $out"
    fi
fi

plugdir=$TEST_TMP/plugins
if [ -f "$TOP_SRCDIR/plugins/chroot/chroot.c" ] && mkdir -p "$plugdir" &&
    ${CC:-cc} -std=gnu11 -O2 -fPIC -fvisibility=hidden -I"$TOP_SRCDIR/include" -shared \
        -o "$plugdir/engine-driver-chroot.so" "$TOP_SRCDIR/plugins/chroot/chroot.c" 2>"$TEST_TMP/cc.err"; then
    export ENGINE_DRIVER_PATH=$plugdir${ENGINE_DRIVER_PATH:+:$ENGINE_DRIVER_PATH}
else
    diag "third-party plugin not built: $(head -c 300 "$TEST_TMP/cc.err" 2>/dev/null)"
fi

"$ENGINE" drivers 2>&1 | sed 's/^/# /'
# The suite prints its own TAP lines and plan.
"$ENGINE" conformance --tap
rc=$?
leftover=$(leftover_mounts)
if [ -n "$leftover" ]; then
    echo "not ok - mounts left under the test root: $leftover"
    rc=1
fi
exit $rc
