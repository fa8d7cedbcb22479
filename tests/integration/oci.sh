#!/bin/bash
# tests/integration/oci.sh - the oci driver through the real CLI, once with
# runc and once with crun (the latter through the hybrid-cgroup mount trick
# when the host needs it): output, exit codes, Docker's defaults, limits, a
# detached container (stats, pause, exec-less stop, rm) and cleanup.
. "$(dirname "$0")/../lib.sh"
engine_setup

drivers=$("$ENGINE" drivers 2>&1)
if ! printf '%s\n' "$drivers" | grep -Eq '^oci +[0-9.]+ +yes'; then
    skip_all "oci driver not available: $(printf '%s\n' "$drivers" | grep -m1 oci || echo "not listed")"
fi

cgroup_dirs() { ls -d /sys/fs/cgroup/*/engine/"$1" /sys/fs/cgroup/engine/"$1" 2>/dev/null; }

one_runtime() {
    local rt=$1 id mem out rc
    run() { "$ENGINE" run -e oci --exec-opt oci.runtime="$rt" --rm "$@"; }

    diag "runtime $rt"
    check_eq "$rt: echo reaches the caller" "hi" "$(run busybox echo hi 2>&1)"
    run busybox sh -c 'exit 3' >/dev/null 2>&1
    check_eq "$rt: exit code passes through" "3" "$?"
    check_eq "$rt: stderr reaches the caller" "oops" \
        "$(run busybox sh -c 'echo oops >&2' 2>&1 >/dev/null)"
    check_eq "$rt: the command is pid 1" "1" "$(run busybox sh -c 'echo $$' 2>&1)"
    check_eq "$rt: hostname is set" "h" "$(run --hostname h busybox hostname 2>&1)"
    check_eq "$rt: own network namespace (only lo)" "lo" "$(run busybox ls /sys/class/net 2>&1)"
    check_eq "$rt: CapEff is Docker's default set" "00000000a80425fb" \
        "$(run busybox awk '/^CapEff/ {print $2}' /proc/self/status 2>&1)"
    check_eq "$rt: no_new_privs" "1" "$(run busybox awk '/^NoNewPrivs/ {print $2}' /proc/self/status 2>&1)"
    check_eq "$rt: nofile limit 1024" "1024" "$(run busybox sh -c 'ulimit -n' 2>&1)"
    check_eq "$rt: /proc/kcore masked" "0" \
        "$(run busybox sh -c 'cat /proc/kcore 2>/dev/null | wc -c' 2>&1)"
    check_eq "$rt: --user uid:gid" "65534:65534" \
        "$(run -u 65534:65534 busybox sh -c 'echo $(id -u):$(id -g)' 2>&1)"
    run --read-only busybox touch /x >/dev/null 2>&1
    check "$rt: --read-only: writing / fails" test $? -ne 0

    out=$(run --pids 16 busybox sh -c \
        'sh -c "for i in \$(seq 40); do sleep 30 & done" 2>/dev/null; n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo $n; kill -9 -1' 2>&1)
    if [ -n "$out" ] && [ "$out" -le 16 ] 2>/dev/null && [ "$out" -ge 10 ]; then
        ok "$rt: fork bomb stops at --pids 16 ($out tasks)"
    else
        not_ok "$rt: fork bomb stops at --pids 16"; diag "got: $out"
    fi
    "$ENGINE" run -e oci --exec-opt oci.runtime="$rt" --name oom-$rt -m 32m busybox \
        sh -c 'x=$(head -c 64m /dev/zero | tr "\0" a); echo ${#x}' >/dev/null 2>&1
    check_eq "$rt: -m 32m: a 64 MiB allocation is OOM-killed (137)" "137" "$?"
    "$ENGINE" rm oom-$rt >/dev/null 2>&1

    id=$("$ENGINE" run -e oci --exec-opt oci.runtime="$rt" -d --name bg-$rt --pids 64 busybox \
        sleep 100 2>&1)
    check "$rt: run -d prints the id" test "${#id}" = 64
    check "$rt: the container runs" sh -c "'$ENGINE' ps | grep -q '^${id:0:12} .*running'"
    check "$rt: cgroup engine/<id> exists (cgroupsPath /engine/<id>)" test -n "$(cgroup_dirs "$id")"
    check "$rt: runtime state exists" test -d "$TEST_TMP/run/oci-$rt/$id"
    mem=$("$ENGINE" stats bg-$rt 2>&1 | awk '$1 == "memory_current" {print $NF}' | tr -d '()')
    check "$rt: stats: memory_current > 0 ($mem)" test "${mem:-0}" -gt 0
    check "$rt: stats: pids limit 64" sh -c "'$ENGINE' stats bg-$rt | grep -Eq 'pids_limit +64 +cgroup'"
    check "$rt: pause" "$ENGINE" pause bg-$rt
    check "$rt: ps shows paused" sh -c "'$ENGINE' ps | grep -q '^${id:0:12} .*paused'"
    check "$rt: unpause" "$ENGINE" unpause bg-$rt
    check "$rt: stop -t 1 (sleep as pid 1 ignores SIGTERM)" "$ENGINE" stop -t 1 bg-$rt
    check "$rt: ps -a shows it exited" sh -c "'$ENGINE' ps -a | grep -q '^${id:0:12} .*exited'"
    check "$rt: rm" "$ENGINE" rm bg-$rt
    check_eq "$rt: no cgroup engine/<id> after rm" "" "$(cgroup_dirs "$id")"
    check_eq "$rt: no runtime state after rm" "" "$(ls "$TEST_TMP/run/oci-$rt" 2>/dev/null)"
    check_eq "$rt: no container process left" "" "$(pgrep -f "sleep 100" | while read -r p; do
        grep -q "$id" /proc/$p/cgroup 2>/dev/null && echo $p; done)"
}

for rt in runc crun; do
    if command -v "$rt" >/dev/null 2>&1; then
        one_runtime "$rt"
    else
        skip "$rt: not installed"
    fi
done

out=$("$ENGINE" run -e oci --exec-opt oci.runtime=/nonexistent/rt --rm busybox true 2>&1)
check "a missing runtime fails run" test $? -ne 0
case $out in *"/nonexistent/rt"*) ok "the error names the runtime";;
    *) not_ok "the error names the runtime"; diag "got: $out";; esac
# The runtime from engine.conf: [driver.oci] runtime = crun.
if command -v crun >/dev/null 2>&1; then
    printf '[driver.oci]\nruntime = crun\n' >> "$ENGINE_CONFIG"
    id=$("$ENGINE" run -e oci -d busybox sleep 100 2>&1)
    check "[driver.oci] runtime = crun is used" test -d "$TEST_TMP/run/oci-crun/$id"
    check "rm -f of a running crun container" "$ENGINE" rm -f "$id"
    check_eq "no crun state after rm -f" "" "$(ls "$TEST_TMP/run/oci-crun" 2>/dev/null)"
else
    skip "crun: not installed"
fi
check_eq "no mount left under the test dirs" "" "$(leftover_mounts)"

done_testing
