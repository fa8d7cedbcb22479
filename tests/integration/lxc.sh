#!/bin/bash
# tests/integration/lxc.sh - the lxc driver (liblxc) through the real CLI:
# output and exit codes, environment, limits enforced (OOM kill, pids), stats
# from LXC's cgroups, pause/resume (freezer), stop, rm, and nothing left behind
# (no container dir under lxcpath, no mount, no cgroup).
. "$(dirname "$0")/../lib.sh"
engine_setup

run() { "$ENGINE" run -e lxc --rm "$@"; }

drivers=$("$ENGINE" drivers 2>&1)
if ! printf '%s\n' "$drivers" | grep -Eq '^lxc +[0-9.]+ +yes'; then
    skip_all "lxc driver not available: $(printf '%s\n' "$drivers" | grep -m1 '^lxc' || echo 'not built')"
fi
# The driver's default lxcpath is <root>/lxc: the test's private root.
LXCPATH=$TEST_TMP/lib/lxc

# Raw value of one stats field ("memory_current  276.0KiB  lxc (282624)").
stat_raw() { "$ENGINE" stats "$1" | awk -v f="$2" '$1 == f { gsub(/[()]/, "", $4); print $4 }'; }
stat_src() { "$ENGINE" stats "$1" | awk -v f="$2" '$1 == f { print $3 }'; }
lxc_cgroups() { ls -d /sys/fs/cgroup/*/lxc.payload."$1" /sys/fs/cgroup/lxc.payload."$1" 2>/dev/null; }

# --- output and exit codes
check_eq "echo: output arrives" "hi" "$(run busybox echo hi 2>&1)"
check_eq "stdout through a pipe" "piped" "$(run busybox echo piped | cat)"
check_eq "stderr arrives" "oops" "$(run busybox sh -c 'echo oops >&2' 2>&1 >/dev/null)"
run busybox sh -c 'exit 3' >/dev/null 2>&1
check_eq "exit code passes through (3)" "3" "$?"
run busybox sh -c 'kill -9 $$' >/dev/null 2>&1
check_eq "killed by SIGKILL exits 137" "137" "$?"
out=$(run busybox nosuchcmd 2>&1); rc=$?
check_eq "command not found exits 127" "127" "$rc"
case $out in *"nosuchcmd"*"not found"*) ok "not found is reported";;
    *) not_ok "not found is reported"; diag "got: $out";; esac
run busybox /etc/passwd >/dev/null 2>&1
check_eq "not executable exits 126" "126" "$?"
check_eq "init.lxc is pid 1, the command pid 2" "2" "$(run busybox sh -c 'echo $$' 2>&1)"
check_eq "hostname, workdir and environment" "h1 /tmp/w bar <&'\"" \
    "$(run --hostname h1 -w /tmp/w --env 'FOO=bar <&'"'"'"' busybox sh -c 'echo $(hostname) $(pwd) "$FOO"' 2>&1)"
check_eq "own network namespace (only lo)" "lo" "$(run busybox ls /sys/class/net 2>&1)"
run --read-only busybox touch /x >/dev/null 2>&1
check "--read-only: writing / fails" test $? -ne 0
mkdir -p "$TEST_TMP/share" && echo hello > "$TEST_TMP/share/f"
check_eq "-v bind mount visible" "hello" "$(run -v "$TEST_TMP/share:/mnt/share:ro" busybox cat /mnt/share/f 2>&1)"
run -v "$TEST_TMP/share:/mnt/share:ro" busybox touch /mnt/share/g >/dev/null 2>&1
check "-v ...:ro is read-only" test $? -ne 0 -a ! -e "$TEST_TMP/share/g"
check_eq "no LXC container dir left by --rm runs" "" "$(ls "$LXCPATH" 2>/dev/null)"

# --- limits
"$ENGINE" run -e lxc --name oom -m 32m busybox \
    sh -c 'x=$(head -c 64m /dev/zero | tr "\0" a); echo ${#x}' >/dev/null 2>&1
check_eq "-m 32m: a 64 MiB allocation is OOM-killed (137)" "137" "$?"
check "inspect reports the OOM kill (LXC removed the cgroup: the driver's watcher counted it)" \
    sh -c "'$ENGINE' inspect oom | grep -q '\"OOMKilled\": *true'"
"$ENGINE" rm oom >/dev/null 2>&1
out=$(run --pids 16 busybox sh -c \
    'sh -c "for i in \$(seq 40); do sleep 30 & done" 2>/dev/null; n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo $n; kill -9 -1' 2>&1)
if [ -n "$out" ] && [ "$out" -le 16 ] 2>/dev/null && [ "$out" -ge 10 ]; then
    ok "fork bomb stops at --pids 16 ($out tasks)"
else
    not_ok "fork bomb stops at --pids 16"; diag "got: $out"
fi

# --- detached: stats, pause, stop, rm
id=$("$ENGINE" run -e lxc -d --name busy -m 64m --pids 32 busybox sh -c 'while :; do :; done' 2>&1)
check "run -d prints the id" test "${#id}" = 64
check "ps shows it running" sh -c "'$ENGINE' ps | grep -q '^${id:0:12} .*running'"
check "the LXC container is defined under lxcpath" test -f "$LXCPATH/$id/config"
check "LXC's cgroup exists" test -n "$(lxc_cgroups "$id")"
check_eq "stats come from LXC" "lxc" "$(stat_src busy memory_current)"
mem=$(stat_raw busy memory_current)
check "memory_current > 0 ($mem)" test "${mem:-0}" -gt 0
check_eq "memory_limit is the 64 MiB asked for" "67108864" "$(stat_raw busy memory_limit)"
check_eq "pids_limit is 32" "32" "$(stat_raw busy pids_limit)"
check_eq "io stats are not available (never a silent 0)" "not available" \
    "$("$ENGINE" stats busy | awk '$1 == "io_read_bytes" { print $3, $4 }')"
c1=$(stat_raw busy cpu_ns); sleep 0.5; c2=$(stat_raw busy cpu_ns)
check "cpu_ns grows under a busy loop ($c1 -> $c2)" test "${c2:-0}" -gt "${c1:-0}"
check "pause" "$ENGINE" pause busy
check "ps shows paused" sh -c "'$ENGINE' ps | grep -q '^${id:0:12} .*paused'"
c1=$(stat_raw busy cpu_ns); sleep 0.3; c2=$(stat_raw busy cpu_ns)
check_eq "no CPU used while frozen" "$c1" "$c2"
check "unpause" "$ENGINE" unpause busy
c1=$(stat_raw busy cpu_ns); sleep 0.3; c2=$(stat_raw busy cpu_ns)
check "cpu_ns grows again after unpause" test "${c2:-0}" -gt "${c1:-0}"
check "stop -t 2" "$ENGINE" stop -t 2 busy
check "ps -a shows it exited" sh -c "'$ENGINE' ps -a | grep -q '^${id:0:12} .*exited'"
code=$("$ENGINE" inspect busy | sed -n 's/.*"ExitCode": *\([0-9]*\).*/\1/p')
check_eq "SIGTERM from stop reaches the command (143)" "143" "$code"
check "rm" "$ENGINE" rm busy
check "no LXC container dir after rm" test ! -e "$LXCPATH/$id"
check_eq "no LXC cgroup after rm" "" "$(lxc_cgroups "$id")"

# --- stop of a command that ignores SIGTERM falls back to a kill
"$ENGINE" run -e lxc -d --name stubborn busybox sh -c 'trap "" TERM; while :; do sleep 1; done' >/dev/null 2>&1
check "stop -t 1 of a TERM-ignoring command" "$ENGINE" stop -t 1 stubborn
code=$("$ENGINE" inspect stubborn | sed -n 's/.*"ExitCode": *\([0-9]*\).*/\1/p')
check_eq "it was killed (137)" "137" "$code"
"$ENGINE" rm stubborn >/dev/null 2>&1
check "rm -f of a running container" sh -c "'$ENGINE' run -e lxc -d --name f busybox sleep 100 >/dev/null && '$ENGINE' rm -f f"

check_eq "no LXC container dir left" "" "$(ls "$LXCPATH" 2>/dev/null)"
check_eq "no mount left under the test dirs" "" "$(leftover_mounts)"
check_eq "no container left" "" "$("$ENGINE" ps -aq 2>/dev/null)"
# LXC parks its monitor in a shared lxc.pivot cgroup and never removes it;
# rmdir only succeeds when no other LXC container is starting.
for d in /sys/fs/cgroup/*/lxc.pivot /sys/fs/cgroup/lxc.pivot; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null
done
done_testing
