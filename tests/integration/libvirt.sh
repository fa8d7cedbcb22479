#!/bin/bash
# tests/integration/libvirt.sh - the libvirt driver (libvirt-lxc through
# libvirtd) through the real CLI: output and exit codes, environment, limits
# (memory OOM kill; pids refused), stats from libvirt, suspend/resume, stop,
# rm, and nothing left behind (no domain, no mount, no share dir entry).
# Starts libvirtd with scripts/libvirtd-start.sh when it is not running and
# stops it at the end only if it started it.
. "$(dirname "$0")/../lib.sh"
engine_setup

URI=lxc:///system
SHARE=${ENGINE_LIBVIRT_SHARE:-/run/engine-libvirt}
run() { "$ENGINE" run -e libvirt --rm "$@"; }

command -v libvirtd >/dev/null 2>&1 || [ -x /usr/sbin/libvirtd ] ||
    skip_all "libvirtd not installed (libvirt-daemon, libvirt-daemon-driver-lxc)"
command -v virsh >/dev/null 2>&1 || skip_all "virsh not installed (libvirt-clients)"
started_libvirtd=no
if ! virsh -c "$URI" list >/dev/null 2>&1; then
    out=$("$TOP_SRCDIR/scripts/libvirtd-start.sh" 2>&1) || skip_all "cannot start libvirtd: $out"
    started_libvirtd=yes
fi
# A private share dir below the shared one (mounts under it still propagate
# into libvirtd's namespace): this test's domains are the ones that use it.
MYSHARE=$SHARE/test.$$
printf '[driver.libvirt]\nshare_dir = %s\n' "$MYSHARE" >> "$ENGINE_CONFIG"
finish() {
    engine_teardown
    rmdir "$MYSHARE" 2>/dev/null
    [ "$started_libvirtd" = yes ] && "$TOP_SRCDIR/scripts/libvirtd-stop.sh" >/dev/null 2>&1
}
trap finish EXIT

drivers=$("$ENGINE" drivers 2>&1)
if ! printf '%s\n' "$drivers" | grep -Eq '^libvirt +[0-9.]+ +yes'; then
    skip_all "libvirt driver not available: $(printf '%s\n' "$drivers" | grep -m1 '^libvirt' || echo 'not built')"
fi

stat_raw() { "$ENGINE" stats "$1" | awk -v f="$2" '$1 == f { gsub(/[()]/, "", $4); print $4 }'; }
stat_src() { "$ENGINE" stats "$1" | awk -v f="$2" '$1 == f { print $3 }'; }
exit_code() { "$ENGINE" inspect "$1" | sed -n 's/.*"ExitCode": *\([0-9]*\).*/\1/p'; }
domain_of() { echo "engine-${1:0:12}"; }
domains_left() { virsh -c "$URI" list --all --name 2>/dev/null | grep -E "^engine-($1)" ; }
# Domains of this test: their root is below $MYSHARE.
my_domains() {
    local d
    for d in $(virsh -c "$URI" list --all --name 2>/dev/null | grep '^engine-'); do
        virsh -c "$URI" dumpxml "$d" 2>/dev/null | grep -q "$MYSHARE/" && echo "$d"
    done
}

# --- output and exit codes
check_eq "echo: output arrives" "hi" "$(run busybox echo hi 2>&1)"
check_eq "stdout through a pipe, no CR from the console pty" 'piped\n' \
    "$(run busybox echo piped | od -An -c | tr -d ' ')"
check_eq "multi-line output" "a
b" "$(run busybox sh -c 'echo a; echo b' 2>&1)"
# libvirt-lxc drops console output in flight when init exits; the driver's
# done marker handshake must make every quick run complete.
lost=0
for i in 1 2 3 4 5 6 7 8 9 10; do
    [ "$(run busybox echo "run $i" 2>&1)" = "run $i" ] || lost=$((lost + 1))
done
check_eq "output of a command that exits at once is never lost (10 runs)" "0" "$lost"
check_eq "bytes pass exactly (no final newline, lone CR, CRLF)" "a\\r\\nb\\rc" \
    "$(run busybox printf 'a\r\nb\rc' | od -An -c | tr -d ' ')"
check_eq "20000 lines arrive" "20000 line 19999" \
    "$(run busybox sh -c 'i=0; while [ $i -lt 20000 ]; do echo line $i; i=$((i+1)); done' | awk 'END {print NR, $0}')"
check_eq "stderr arrives on stderr" "oops" "$(run busybox sh -c 'echo out; echo oops >&2' 2>&1 >/dev/null)"
check_eq "stdout carries no stderr" "out" "$(run busybox sh -c 'echo out; echo oops >&2' 2>/dev/null)"
run busybox sh -c 'exit 3' >/dev/null 2>&1
check_eq "exit code passes through (3)" "3" "$?"
run busybox sh -c 'kill -9 $$' >/dev/null 2>&1
check_eq "killed by SIGKILL exits 137" "137" "$?"
out=$(run busybox nosuchcmd 2>&1 >/dev/null); rc=$?
check_eq "a missing command exits 127" "127" "$rc"
case $out in *"nosuchcmd"*"not found"*) ok "not found is reported on stderr";;
    *) not_ok "not found is reported on stderr"; diag "got: $out";; esac
check_eq "the command is pid 3 (libvirt-lxc itself takes pid 2 before init)" "3" \
    "$(run busybox sh -c 'echo $$' 2>&1)"
check_eq "workdir and environment with XML metacharacters" "/tmp/w bar <&'\"" \
    "$(run -w /tmp/w --env 'FOO=bar <&'"'"'"' busybox sh -c 'echo $(pwd) "$FOO"' 2>&1)"
check_eq "arguments with XML metacharacters" "[a<b] [c&d] ['q'] [\"dq\"] []]>]" \
    "$(run busybox sh -c 'for a in "$@"; do printf "[%s] " "$a"; done' sh 'a<b' 'c&d' "'q'" '"dq"' ']]>' 2>&1 | sed 's/ $//')"
check_eq "--hostname is set" "h1" "$(run --hostname h1 busybox hostname 2>&1)"
check_eq "own network namespace (only lo)" "lo" "$(run busybox ls /sys/class/net 2>&1)"
run --read-only busybox touch /x >/dev/null 2>&1
check "--read-only: writing / fails" test $? -ne 0
mkdir -p "$TEST_TMP/share" && echo hello > "$TEST_TMP/share/f"
check_eq "-v bind mount visible" "hello" "$(run -v "$TEST_TMP/share:/mnt/share:ro" busybox cat /mnt/share/f 2>&1)"
run -v "$TEST_TMP/share:/mnt/share:ro" busybox touch /mnt/share/g >/dev/null 2>&1
check "-v ...:ro is read-only" test $? -ne 0 -a ! -e "$TEST_TMP/share/g"

# --- limits
"$ENGINE" run -e libvirt --name oom -m 32m busybox \
    sh -c 'x=$(head -c 64m /dev/zero | tr "\0" a); echo ${#x}' >/dev/null 2>&1
check_eq "-m 32m: a 64 MiB allocation is OOM-killed (137)" "137" "$?"
check "inspect reports the OOM kill (counted from the domain's memory cgroup)" \
    sh -c "'$ENGINE' inspect oom | grep -q '\"OOMKilled\": *true'"
"$ENGINE" rm oom >/dev/null 2>&1
out=$(run --pids 16 busybox true 2>&1); rc=$?
case "$rc $out" in "125 "*pids*) ok "--pids is refused: libvirt-lxc has no pids limit";;
    *) not_ok "--pids is refused"; diag "rc $rc: $out";; esac

# --- detached: stats, suspend, stop, rm
id=$("$ENGINE" run -e libvirt -d --name busy -m 64m busybox sh -c 'while :; do :; done' 2>&1)
dom=$(domain_of "$id")
check "run -d prints the id" test "${#id}" = 64
check "ps shows it running" sh -c "'$ENGINE' ps | grep -q '^${id:0:12} .*running'"
check "libvirt runs domain $dom" sh -c "virsh -c $URI domstate $dom | grep -q running"
check "the rootfs is bound into the share dir" grep -q " $MYSHARE/$dom/root " /proc/self/mountinfo
check_eq "stats come from libvirt" "libvirt" "$(stat_src busy memory_current)"
mem=$(stat_raw busy memory_current)
check "memory_current > 0 ($mem)" test "${mem:-0}" -gt 0
check_eq "memory_limit is the 64 MiB asked for" "67108864" "$(stat_raw busy memory_limit)"
check_eq "pids are not available (never a silent 0)" "not available" \
    "$("$ENGINE" stats busy | awk '$1 == "pids_current" { print $3, $4 }')"
c1=$(stat_raw busy cpu_ns); sleep 0.5; c2=$(stat_raw busy cpu_ns)
check "cpu_ns grows under a busy loop ($c1 -> $c2)" test "${c2:-0}" -gt "${c1:-0}"
check "pause" "$ENGINE" pause busy
check "ps shows paused" sh -c "'$ENGINE' ps | grep -q '^${id:0:12} .*paused'"
check "libvirt shows it paused" sh -c "virsh -c $URI domstate $dom | grep -q paused"
c1=$(stat_raw busy cpu_ns); sleep 0.3; c2=$(stat_raw busy cpu_ns)
check_eq "no CPU used while suspended" "$c1" "$c2"
check "unpause" "$ENGINE" unpause busy
c1=$(stat_raw busy cpu_ns); sleep 0.3; c2=$(stat_raw busy cpu_ns)
check "cpu_ns grows again after unpause" test "${c2:-0}" -gt "${c1:-0}"
check "stop -t 2" "$ENGINE" stop -t 2 busy
check "ps -a shows it exited" sh -c "'$ENGINE' ps -a | grep -q '^${id:0:12} .*exited'"
check_eq "SIGTERM from stop reaches the command (143)" "143" "$(exit_code busy)"
check "the domain is shut off, still defined" sh -c "virsh -c $URI domstate $dom | grep -q 'shut off'"
check_eq "the rootfs bind is released at exit" "" "$(grep " $MYSHARE/$dom/root " /proc/self/mountinfo)"
check "rm" "$ENGINE" rm busy
check_eq "no domain after rm" "" "$(domains_left "${id:0:12}")"
check "no share dir entry after rm" test ! -e "$MYSHARE/$dom"

# --- cpu quota, stop of a TERM-ignoring command, rm -f
id=$("$ENGINE" run -e libvirt -d --name q --cpus 0.5 busybox sh -c 'while :; do :; done' 2>&1)
check_eq "--cpus 0.5 becomes cputune quota 50000" "50000" \
    "$(virsh -c "$URI" dumpxml "$(domain_of "$id")" | sed -n 's:.*<quota>\([0-9]*\)</quota>.*:\1:p')"
"$ENGINE" rm -f q >/dev/null 2>&1
"$ENGINE" run -e libvirt -d --name stubborn busybox sh -c 'trap "" TERM; while :; do sleep 1; done' >/dev/null 2>&1
check "stop -t 1 of a TERM-ignoring command" "$ENGINE" stop -t 1 stubborn
check_eq "it was killed (137)" "137" "$(exit_code stubborn)"
"$ENGINE" rm stubborn >/dev/null 2>&1
check "rm -f of a running container" sh -c "'$ENGINE' run -e libvirt -d --name f busybox sleep 100 >/dev/null && '$ENGINE' rm -f f"

check_eq "no container left" "" "$("$ENGINE" ps -aq 2>/dev/null)"
check_eq "no domain of this test left in virsh list --all" "" "$(my_domains)"
check_eq "no mount left under the test dirs" "" "$(leftover_mounts)"
check_eq "no mount left under $MYSHARE" "" "$(awk -v p="$MYSHARE/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo)"
done_testing
