#!/bin/bash
# tests/integration/nspawn.sh - the nspawn driver through the real CLI: output
# and exit codes, identity and isolation, limits enforced by the engine
# cgroup, a detached container (stats, pause, stop, rm) and cleanup.
. "$(dirname "$0")/../lib.sh"
engine_setup

run() { "$ENGINE" run -e nspawn --rm "$@"; }

drivers=$("$ENGINE" drivers 2>&1)
if ! printf '%s\n' "$drivers" | grep -Eq '^nspawn +[0-9.]+ +yes'; then
    skip_all "nspawn driver not available: $(printf '%s\n' "$drivers" | grep -m1 nspawn || echo "not listed")"
fi

cgroup_dirs() { ls -d /sys/fs/cgroup/*/engine/"$1" /sys/fs/cgroup/engine/"$1" 2>/dev/null; }
# systemd-nspawn processes of one container (its machine name holds id[:12]).
nspawn_procs() { pgrep -f "machine=engine-${1:0:12}" 2>/dev/null; }

# --- output, exit codes
check_eq "echo reaches the caller" "hi" "$(run busybox echo hi 2>&1)"
run busybox sh -c 'exit 3' >/dev/null 2>&1
check_eq "exit code passes through" "3" "$?"
check_eq "stderr reaches the caller" "oops" "$(run busybox sh -c 'echo oops >&2' 2>&1 >/dev/null)"
run busybox sh -c 'kill -TERM $$' >/dev/null 2>&1
check_eq "death by SIGTERM exits 143" "143" "$?"
out=$(run busybox nosuchcmd 2>&1); rc=$?
check_eq "command not found exits 127" "127" "$rc"
case $out in *"nosuchcmd"*"not found"*) ok "not found is reported";;
    *) not_ok "not found is reported"; diag "got: $out";; esac
run busybox /etc/passwd >/dev/null 2>&1
check_eq "not executable exits 126" "126" "$?"

# --- identity and isolation
check_eq "hostname is set" "h" "$(run --hostname h busybox hostname 2>&1)"
check_eq "the command is pid 2 under engine-nspawn-init" "2 .engine-init" \
    "$(run busybox sh -c 'echo $$ $(cat /proc/1/comm)' 2>&1)"
check_eq "--exec-opt nspawn.init= falls back to nspawn's stub init" "2 (sd-stubinit)" \
    "$(run --exec-opt nspawn.init= busybox sh -c 'echo $$ $(cat /proc/1/comm)' 2>&1)"
check_eq "the image is untouched by the init's bind mount" "" \
    "$(run busybox sh -c 'ls -A /run' >/dev/null 2>&1; ls -A "$ENGINE_IMAGE_DIR"/busybox/rootfs/run 2>/dev/null)"
check_eq "own network namespace (only lo)" "lo" "$(run busybox ls /sys/class/net 2>&1)"
check_eq "--env reaches the command" "bar" "$(run --env FOO=bar busybox sh -c 'echo $FOO' 2>&1)"
check_eq "--workdir" "/tmp" "$(run -w /tmp busybox pwd 2>&1)"
run --read-only busybox touch /x >/dev/null 2>&1
check "--read-only: writing / fails" test $? -ne 0
mkdir -p "$TEST_TMP/share" && echo hello > "$TEST_TMP/share/f"
check_eq "-v bind mount visible" "hello" "$(run -v "$TEST_TMP/share:/mnt/share:ro" busybox cat /mnt/share/f 2>&1)"
run -v "$TEST_TMP/share:/mnt/share:ro" busybox touch /mnt/share/g >/dev/null 2>&1
check "-v ...:ro is read-only" test $? -ne 0 -a ! -e "$TEST_TMP/share/g"

# --- limits: the engine cgroup holds nspawn and the container
out=$(run --pids 24 busybox sh -c \
    'sh -c "for i in \$(seq 60); do sleep 30 & done" 2>/dev/null; n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo $n; kill -9 -1' 2>&1)
if [ -n "$out" ] && [ "$out" -lt 24 ] 2>/dev/null && [ "$out" -ge 5 ]; then
    ok "fork bomb stops at --pids 24 ($out tasks in the container)"
else
    not_ok "fork bomb stops at --pids 24"; diag "got: $out"
fi
"$ENGINE" run -e nspawn --name oom -m 32m busybox \
    sh -c 'x=$(head -c 64m /dev/zero | tr "\0" a); echo ${#x}' >/dev/null 2>&1
check_eq "-m 32m: a 64 MiB allocation is OOM-killed (137)" "137" "$?"
check "stats count the OOM kill from the cgroup" \
    sh -c "'$ENGINE' stats oom | grep -Eq 'oom_kills +[1-9][0-9]* +cgroup-v[12]'"
check "stats show the 32 MiB limit" sh -c "'$ENGINE' stats oom | grep -Eq 'memory_limit +32.0MiB'"
"$ENGINE" rm oom >/dev/null 2>&1

# --- detached
id=$("$ENGINE" run -e nspawn -d --name bg --pids 64 busybox sleep 100 2>&1)
check "run -d prints the id" test "${#id}" = 64
check "the container runs" sh -c "'$ENGINE' ps | grep -q '^${id:0:12} .*running'"
check "cgroup engine/<id> exists" test -n "$(cgroup_dirs "$id")"
mem=$("$ENGINE" stats bg 2>&1 | awk '$1 == "memory_current" {print $NF}' | tr -d '()')
check "stats: memory_current > 0 ($mem)" test "${mem:-0}" -gt 0
check "stats: pids from the cgroup" sh -c "'$ENGINE' stats bg | grep -Eq 'pids_current +[1-9][0-9]* +cgroup'"
check "pause" "$ENGINE" pause bg
check "ps shows paused" sh -c "'$ENGINE' ps | grep -q '^${id:0:12} .*paused'"
check "unpause" "$ENGINE" unpause bg
check "stop -t 5" "$ENGINE" stop -t 5 bg
check "ps -a shows it exited" sh -c "'$ENGINE' ps -a | grep -q '^${id:0:12} .*exited'"
check_eq "no nspawn process left" "" "$(nspawn_procs "$id")"
check "rm" "$ENGINE" rm bg
check_eq "no cgroup engine/<id> after rm" "" "$(cgroup_dirs "$id")"
check_eq "no mount left under the test dirs" "" "$(leftover_mounts)"
check_eq "no nspawn lock left next to the rootfs" "" \
    "$(find "$TEST_TMP" -name '.#*.lck' 2>/dev/null)"

done_testing
