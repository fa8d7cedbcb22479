#!/bin/bash
# tests/integration/sdk.sh - the driver SDK as an outside author meets it.
#
# `make install DESTDIR=` (its SDK part) into a temp dir; plugins/chroot built there with
# only pkg-config and the installed headers; `engine drivers` lists it next
# to the built-ins; real containers on it. Then plugins compiled here from
# tests/data/sdk/mini.c against edited copies of the installed driver.h: a
# 1.1 plugin with a new member loads in the 1.0 core, a short 1.0 table loads,
# ABI 2 is refused naming both versions and the file, a NULL mandatory op, a
# failing probe, a NULL entry and a built-in's name are refused. Finally a
# plugin that crashes on purpose: with isolate = yes the call fails with
# "Driver 'crashy' crashed (SIGSEGV) in create" and engine keeps going;
# without it the CLI dies and `engine rm -f` cleans up.
. "$(dirname "$0")/../lib.sh"
engine_setup

for tool in cc make pkg-config nm; do
    command -v $tool >/dev/null || skip_all "$tool not installed"
done

SDK=$TEST_TMP/sdk
DEST=$SDK/dest
mkdir -p "$SDK"

# ---- make install ----
# The SDK is the top directory's data (headers, engine-driver.pc, docs):
# install-data-am is the part of `make install` that installs exactly that,
# without recursing into (and maybe rebuilding) the core and the drivers.
if make -s -C "$TOP_BUILDDIR" install-data-am DESTDIR="$DEST" >"$SDK/install.log" 2>&1; then
    ok "make install-data-am DESTDIR=$DEST (the SDK part of make install)"
else
    not_ok "make install-data-am DESTDIR=$DEST"; sed 's/^/#   /' "$SDK/install.log" | tail -20
    done_testing
fi
PC=$(find "$DEST" -name engine-driver.pc | head -1)
PREFIX=$(sed -n 's/^prefix=//p' "$PC")
for f in include/engine/driver.h include/engine/spec.h include/engine/stats.h \
         include/engine/error.h lib/pkgconfig/engine-driver.pc share/doc/engine/writing-a-driver.md; do
    check "installed $PREFIX/$f" test -s "$DEST$PREFIX/$f"
done

# pkg-config as an outside author's build sees it; the sysroot maps the
# installed prefix into DESTDIR, the way a staged install is always used.
export PKG_CONFIG_PATH=$(dirname "$PC") PKG_CONFIG_LIBDIR=$(dirname "$PC") PKG_CONFIG_SYSROOT_DIR=$DEST
check_eq "pkg-config --cflags engine-driver" "-I$DEST$PREFIX/include" \
    "$(pkg-config --cflags engine-driver | sed 's/ *$//')"
check_eq "pkg-config --variable=driverdir engine-driver" "$DEST$PREFIX/lib/engine/drivers" \
    "$(pkg-config --variable=driverdir engine-driver)"
INC=$DEST$PREFIX/include

# ---- plugins/chroot, built outside the tree ----
cp -r "$TOP_SRCDIR/plugins/chroot" "$SDK/chroot-src"
rm -f "$SDK/chroot-src/"*.so
if make -C "$SDK/chroot-src" >"$SDK/chroot-build.log" 2>&1; then
    ok "plugins/chroot builds against the installed SDK"
else
    not_ok "plugins/chroot builds against the installed SDK"
    sed 's/^/#   /' "$SDK/chroot-build.log" | tail -20
fi
if grep -q -- "$TOP_SRCDIR" "$SDK/chroot-build.log"; then
    not_ok "the build used nothing from the source tree"; grep -- "$TOP_SRCDIR" "$SDK/chroot-build.log" | head -3
else
    ok "the build used nothing from the source tree"
fi
check_eq "the module exports only engine_driver_entry" "engine_driver_entry" \
    "$(nm -D --defined-only "$SDK/chroot-src/engine-driver-chroot.so" 2>/dev/null | awk '{print $3}' | sort | tr '\n' ' ' | sed 's/ $//')"
mkdir -p "$SDK/drivers"
make -s -C "$SDK/chroot-src" install DRIVERDIR=/drivers DESTDIR="$SDK" >/dev/null 2>&1
check "make install puts it in DRIVERDIR" test -f "$SDK/drivers/engine-driver-chroot.so"
export ENGINE_DRIVER_PATH=$SDK/drivers

# ---- engine drivers ----
DRV=$("$ENGINE" drivers 2>&1)
row=$(printf '%s\n' "$DRV" | awk '$1 == "chroot"')
diag "$row"
case $row in
*" 1.0 "*" yes "*"$SDK/drivers/engine-driver-chroot.so") ok "engine drivers: chroot, ABI 1.0, available, its path" ;;
*) not_ok "engine drivers: chroot, ABI 1.0, available, its path"; printf '%s\n' "$DRV" | sed 's/^/#   /' ;;
esac
case $row in
*pause,stats-cpu,stats-memory,stats-pids*limit-memory*) ok "chroot's features are listed" ;;
*) not_ok "chroot's features are listed" ;;
esac
case $row in
*ns-*|*readonly-rootfs*|*mounts*|*exec*) not_ok "chroot claims no namespace, read-only root, mounts or exec" ;;
*) ok "chroot claims no namespace, read-only root, mounts or exec" ;;
esac
check "the built-in native is listed next to it, without a path" \
    sh -c "printf '%s\n' \"\$1\" | awk '\$1 == \"native\" && \$NF !~ /\\.so\$/' | grep -q ." _ "$DRV"

# ---- containers on chroot ----
E="$ENGINE"
check_eq "run -e chroot echo" "hello from chroot" "$($E run --rm -e chroot busybox echo hello from chroot 2>&1)"
$E run --rm -e chroot busybox sh -c 'exit 7' >/dev/null 2>&1
check_eq "the exit code comes through" 7 "$?"
$E run --rm -e chroot busybox /no/such/command >/dev/null 2>&1
check_eq "a missing command exits 127" 127 "$?"
check_eq "env, workdir and user" "bar /tmp 1234:99" \
    "$($E run --rm -e chroot --env FOO=bar -w /tmp -u 1234:99 busybox sh -c 'echo $FOO $(pwd) $(id -u):$(id -g)' 2>&1)"
check_eq "the root is the container's" "linuxrc" "$($E run --rm -e chroot busybox ls / 2>&1 | grep linuxrc)"
out=$($E run --rm -e chroot --read-only busybox true 2>&1)
rc=$?
case "$rc:$out" in
0:*) not_ok "a read-only root is refused, not ignored" ;;
*"cannot make the root read-only"*) ok "a read-only root is refused, not ignored" ;;
*) not_ok "a read-only root is refused, not ignored"; diag "$out" ;;
esac

id=$($E run -d --name sdk1 -e chroot -m 64m --pids 32 busybox sh -c 'sleep 4242 & sleep 4243; true' 2>&1)
check "run -d on chroot" test ${#id} = 64
sleep 0.5
st=$($E stats sdk1 2>&1)
case $st in *"memory_limit"*"64.0MiB"*) ok "stats: the memory limit, from the cgroup" ;;
*) not_ok "stats: the memory limit, from the cgroup"; printf '%s\n' "$st" | sed 's/^/#   /' ;; esac
case $st in *"pids_current"*" 3 "*|*"pids_current"*"3  "*) ok "stats: 3 tasks (sh and two sleeps)" ;;
*) not_ok "stats: 3 tasks (sh and two sleeps)"; printf '%s\n' "$st" | grep pids | sed 's/^/#   /' ;; esac
case $st in *"cpu_ns"*cgroup*) ok "stats: cpu from the cgroup" ;; *) not_ok "stats: cpu from the cgroup" ;; esac
check "pause" $E pause sdk1
check_eq "paused" "paused" "$($E ps -a | awk '$2 == "sdk1" {print $4}')"
check "unpause" $E unpause sdk1
check "stop" $E stop -t 5 sdk1
check_eq "stop reached every process of the container (no pid namespace)" "" \
    "$(pgrep -f 'sleep 424[23]')"
check "rm" $E rm sdk1
check_eq "its cgroup is gone" "no" \
    "$(ls -d /sys/fs/cgroup/*/engine/$id /sys/fs/cgroup/engine/$id 2>/dev/null | grep -q . && echo yes || echo no)"

# A container ignoring SIGTERM: stop escalates to SIGKILL through the cgroup.
$E run -d --name sdk2 -e chroot busybox sh -c 'trap "" TERM; sleep 4244 & wait' >/dev/null 2>&1
sleep 0.3
check "stop -t 1 a container that ignores SIGTERM" $E stop -t 1 sdk2
check_eq "killed with SIGKILL: exit 137" "exited (137)" \
    "$($E ps -a | awk '$2 == "sdk2" {print $4, $5}')"
check_eq "nothing of it survives" "" "$(pgrep -f 'sleep 4244')"
check "rm -f" $E rm -f sdk2
check_eq "no containers left" "" "$($E ps -aq 2>/dev/null)"
check_eq "no mounts left" "" "$(leftover_mounts)"

# ---- ABI: plugins compiled here against edited copies of the installed header ----
SRC=$TOP_SRCDIR/tests/data/sdk/mini.c
MINI=$SDK/mini
mkdir -p "$MINI"
header_copy() { # dir sed-script
    mkdir -p "$1"
    cp -r "$INC/engine" "$1/"
    sed -i "$2" "$1/engine/driver.h"
}
header_copy "$SDK/inc11" 's/^#define ENGINE_DRIVER_ABI_MINOR 0$/#define ENGINE_DRIVER_ABI_MINOR 1/;
/Append 1.1+ members below this line/a\    int (*checkpoint)(struct engine_ctr *ctr, struct engine_error *err); /* 1.1 */'
header_copy "$SDK/inc10short" '/Optional (NULL = not supported/,/pid_t \*ret_pid, struct engine_error \*err);/d'
header_copy "$SDK/inc2" 's/^#define ENGINE_DRIVER_ABI_MAJOR 1$/#define ENGINE_DRIVER_ABI_MAJOR 2/'
check "the 1.1 header really grew struct engine_driver" grep -q "checkpoint" "$SDK/inc11/engine/driver.h"
check "the short header really lost the optional members" \
    sh -c "! grep -q 'int (\\*stop)' '$SDK/inc10short/engine/driver.h'"

build() { # name include-dir flags...
    local name=$1 inc=$2; shift 2
    cc -std=gnu11 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden -I"$inc" \
        -DMINI_NAME="\"$name\"" "$@" -o "$MINI/engine-driver-$name.so" "$SRC" 2>&1
}
check "compile mini11 (ABI 1.1, one member more)" build mini11 "$SDK/inc11" -DMINI_V11
check "compile minishort (1.0, table ends at release)" build minishort "$SDK/inc10short"
check "compile mini2 (ABI 2.0)" build mini2 "$SDK/inc2"
check "compile mininull (create NULL)" build mininull "$INC" -DMINI_NULL_CREATE
check "compile miniprobe (probe fails)" build miniprobe "$INC" -DMINI_PROBE_FAIL
check "compile minientry (entry returns NULL)" build minientry "$INC" -DMINI_ENTRY_NULL
check "compile native (a built-in's name)" build native "$INC"
check "compile crashy (SIGSEGV on purpose)" build crashy "$INC" -DMINI_CRASHY
export ENGINE_DRIVER_PATH=$SDK/drivers:$MINI

DRV=$("$ENGINE" drivers 2>&1)
printf '%s\n' "$DRV" | sed 's/^/# /'
check_eq "a 1.1 plugin loads in the 1.0 core and shows ABI 1.1" "1.1 yes" \
    "$(printf '%s\n' "$DRV" | awk '$1 == "mini11" {print $2, $3}')"
check_eq "a 1.1 plugin runs containers" "v11" "$($E run --rm -e mini11 busybox echo v11 2>&1)"
check_eq "a short 1.0 table loads" "1.0 yes" \
    "$(printf '%s\n' "$DRV" | awk '$1 == "minishort" {print $2, $3}')"
check_eq "a short 1.0 table runs containers" "short" "$($E run --rm -e minishort busybox echo short 2>&1)"
$E run -d --name short1 -e minishort busybox sleep 30 >/dev/null 2>&1
out=$($E pause short1 2>&1); rc=$?
case "$rc:$out" in [1-9]*"Driver 'minishort' cannot pause containers"*)
    ok "an op past its short table is 'not supported'" ;;
*) not_ok "an op past its short table is 'not supported'"; diag "$rc: $out" ;; esac
check "rm -f short1" $E rm -f short1

refused() { # description file-name expected-text
    if printf '%s\n' "$DRV" | grep -F "$MINI/$2" | grep -qF "$3"; then ok "$1"
    else not_ok "$1"; diag "wanted a refusal of $MINI/$2 with: $3"; fi
}
refused "ABI 2 is refused naming both versions and the file" engine-driver-mini2.so \
    "driver ABI 2.0, engine supports 1.x"
refused "a NULL mandatory op is refused, naming it" engine-driver-mininull.so \
    "lacks the mandatory operation create()"
refused "an entry returning NULL is refused" engine-driver-minientry.so "returned no driver table"
refused "a built-in's name is refused, naming both paths" engine-driver-native.so \
    "a driver named 'native' is already loaded from $(echo "$ENGINE_BUILTIN_DRIVER_DIR" | tr : '\n' | grep /native/)/engine-driver-native.so"
case $(printf '%s\n' "$DRV" | awk '$1 == "miniprobe"') in
*"no: Driver 'miniprobe': probe failed: Cannot read /proc/mini"*) ok "a failing probe: listed as unavailable with its words" ;;
*) not_ok "a failing probe: listed as unavailable with its words" ;;
esac
out=$($E run --rm -e mini2 busybox true 2>&1); rc=$?
case "$rc:$out" in 125:*"$MINI/engine-driver-mini2.so: driver ABI 2.0, engine supports 1.x"*)
    ok "run -e mini2: exit 125, the ABI message with the file" ;;
*) not_ok "run -e mini2: exit 125, the ABI message with the file"; diag "$rc: $out" ;; esac
out=$($E run --rm -e miniprobe busybox true 2>&1); rc=$?
case "$rc:$out" in 125:*"probe failed"*) ok "run -e miniprobe fails cleanly (125)" ;;
*) not_ok "run -e miniprobe fails cleanly (125)"; diag "$rc: $out" ;; esac
check_eq "run -e native still gets the built-in" "builtin" "$($E run --rm -e native busybox echo builtin 2>&1)"

# ---- a crashing plugin, isolated ----
cp "$ENGINE_CONFIG" "$SDK/isolate.conf"
printf '[driver.crashy]\nisolate = yes\n[driver.chroot]\nisolate = yes\n' >>"$SDK/isolate.conf"
ISO="$E -c $SDK/isolate.conf"
out=$($ISO run --name crash1 -e crashy busybox segv 2>&1); rc=$?
check_eq "isolated: run fails with exit 125" 125 "$rc"
case $out in *"Driver 'crashy' crashed (SIGSEGV) in create"*) ok "isolated: \"Driver 'crashy' crashed (SIGSEGV) in create\"" ;;
*) not_ok "isolated: \"Driver 'crashy' crashed (SIGSEGV) in create\""; diag "$out" ;; esac
check_eq "isolated: no container record left" "" "$($E ps -aq 2>/dev/null)"
check_eq "isolated: no mounts left" "" "$(leftover_mounts)"
check_eq "isolated: no helper process left" "" "$(pgrep -x drv-crashy | xargs -r ps -o stat= -p | grep -v Z)"
out=$(MINI_CRASH_IN=start $ISO run --rm --name crash2 -e crashy busybox true 2>&1); rc=$?
check_eq "isolated, crash in start: exit 125" 125 "$rc"
case $out in *"Driver 'crashy' crashed (SIGSEGV) in start"*) ok "isolated: \"crashed (SIGSEGV) in start\"" ;;
*) not_ok "isolated: \"crashed (SIGSEGV) in start\""; diag "$out" ;; esac
$E rm -f crash2 >/dev/null 2>&1
check_eq "the isolated crashy still runs a good container" "fine" \
    "$($ISO run --rm -e crashy busybox echo fine 2>&1)"
check_eq "isolated chroot: echo" "isolated" "$($ISO run --rm -e chroot busybox echo isolated 2>&1)"
$ISO run --rm -e chroot busybox sh -c 'exit 5' >/dev/null 2>&1
check_eq "isolated chroot: exit code" 5 "$?"
$ISO run -d --name sdk3 -e chroot -m 32m busybox sleep 4245 >/dev/null 2>&1
case $($ISO stats sdk3 2>&1) in *memory_limit*32.0MiB*) ok "isolated chroot: stats through the helper" ;;
*) not_ok "isolated chroot: stats through the helper" ;; esac
check "isolated chroot: stop" $ISO stop -t 2 sdk3
check "isolated chroot: rm" $ISO rm sdk3
check_eq "isolated chroot: nothing left" "" "$($E ps -aq 2>/dev/null)$(pgrep -f 'sleep 4245')$(leftover_mounts)"

# ---- the same crash without isolation kills the CLI ----
out=$($E run --name crash3 -e crashy busybox segv 2>&1); rc=$?
check_eq "not isolated: the CLI dies of SIGSEGV (139)" 139 "$rc"
# The CLI died inside create(): its half-made container (record, rootfs
# mount) stays until the next engine command finishes the job backwards.
check "not isolated: the half-created container is left behind" \
    sh -c "ls '$TEST_TMP/run' | grep -q . && grep -q ' $TEST_TMP/' /proc/self/mountinfo"
$E rm -f crash3 >/dev/null 2>&1
check_eq "not isolated: engine rm -f cleans it (record, mount)" "" \
    "$(ls "$TEST_TMP/run" 2>/dev/null)$(leftover_mounts)"
check_eq "not isolated: ps shows nothing" "" "$($E ps -aq 2>/dev/null)"

# ---- through the daemon ----
SOCK=$TEST_TMP/engine.sock
"$ENGINE" -c "$SDK/isolate.conf" -d --socket "$SOCK" >"$SDK/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.2; done
if [ -S "$SOCK" ]; then
    D="$E -H unix://$SOCK"
    $D run -d --name keep -e crashy busybox sleep 4246 >/dev/null 2>&1
    out=$($D run --rm -e crashy busybox segv 2>&1); rc=$?
    case "$rc:$out" in 125:*"Driver 'crashy' crashed (SIGSEGV) in create"*)
        ok "daemon: the crash is an error for the client (125)" ;;
    *) not_ok "daemon: the crash is an error for the client (125)"; diag "$rc: $out" ;; esac
    check "daemon: still running" kill -0 $DPID
    check_eq "daemon: the next call gets a fresh helper" "again" \
        "$($D run --rm -e crashy busybox echo again 2>&1)"
    hp=$(pgrep -P $DPID -x drv-crashy | head -1)
    if [ -n "$hp" ]; then
        kill -KILL "$hp"
        check_eq "daemon: a helper killed while idle is replaced, the call does not fail" \
            "survived" "$($D run --rm -e crashy busybox echo survived 2>&1)"
    else
        not_ok "daemon: the crashy helper (drv-crashy) is the daemon's child"
    fi
    check "daemon: a container made before the crash is stopped through the new helper" \
        $D stop -t 1 keep
    check "daemon: and removed" $D rm keep
    check_eq "daemon: nothing of it left" "" "$(pgrep -f 'sleep 4246')"
    check_eq "daemon: chroot isolated" "via daemon" "$($D run --rm -e chroot busybox echo via daemon 2>&1)"
    kill -TERM $DPID; wait $DPID 2>/dev/null
else
    kill $DPID 2>/dev/null; wait $DPID 2>/dev/null
    skip "daemon did not start: $(tail -1 "$SDK/daemon.log")"
fi
check_eq "no containers left" "" "$($E ps -aq 2>/dev/null)"

# ---- the conformance suite on chroot, if there is one ----
if "$ENGINE" conformance --help >/dev/null 2>&1; then
    out=$("$ENGINE" conformance -e chroot 2>&1); rc=$?
    printf '%s\n' "$out" | sed 's/^/# conformance: /' | tail -40
    check_eq "engine conformance -e chroot" 0 "$rc"
else
    skip "engine conformance not available in this build"
fi

done_testing
