#!/bin/bash
# tests/integration/native.sh - the native driver through the real CLI:
# namespaces, Docker's masks and capabilities, exit codes, limits enforced
# (OOM kill, pids), detached containers outliving the CLI, and cleanup.
. "$(dirname "$0")/../lib.sh"
engine_setup

run() { "$ENGINE" run -e native --rm "$@"; }

drivers=$("$ENGINE" drivers 2>&1)
if ! printf '%s\n' "$drivers" | grep -Eq '^native +[0-9.]+ +yes'; then
    skip_all "native driver not available: $(printf '%s\n' "$drivers" | grep -m1 native)"
fi

# Every cgroup directory of a container, in any hierarchy.
cgroup_dirs() { ls -d /sys/fs/cgroup/*/engine/"$1" /sys/fs/cgroup/engine/"$1" 2>/dev/null; }

# --- namespaces and identity
check_eq "hostname is set" "h" "$(run --hostname h busybox hostname 2>&1)"
check_eq "the command is pid 1" "1" "$(run busybox sh -c 'echo $$' 2>&1)"
run busybox sh -c 'exit 3' >/dev/null 2>&1
check_eq "exit code passes through" "3" "$?"
out=$(run busybox nosuchcmd 2>&1); rc=$?
check_eq "command not found exits 127" "127" "$rc"
case $out in *"nosuchcmd"*"not found"*) ok "not found is reported";;
    *) not_ok "not found is reported"; diag "got: $out";; esac
run busybox /etc/passwd >/dev/null 2>&1
check_eq "not executable exits 126" "126" "$?"
check_eq "own network namespace (only lo)" "lo" "$(run busybox ls /sys/class/net 2>&1)"
check_eq "own cgroup namespace" "0::/" "$(run busybox sh -c 'grep "^0::" /proc/self/cgroup' 2>&1)"
check_eq "default environment" \
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOSTNAME=hh" \
    "$(run --hostname hh busybox sh -c 'echo PATH=$PATH HOSTNAME=$HOSTNAME' 2>&1)"

# --- Docker's masks, read-only paths and capabilities
check_eq "/proc/kcore masked (empty or absent)" "0" \
    "$(run busybox sh -c 'cat /proc/kcore 2>/dev/null | wc -c' 2>&1)"
check_eq "/proc/timer_list masked" "0" \
    "$(run busybox sh -c 'cat /proc/timer_list 2>/dev/null | wc -c' 2>&1)"
check_eq "/proc/sys is read-only" "ro" \
    "$(run busybox sh -c 'awk "\$2==\"/proc/sys\" {split(\$4,o,\",\"); print o[1]}" /proc/mounts' 2>&1)"
check_eq "/sys is read-only" "ro" \
    "$(run busybox sh -c 'awk "\$2==\"/sys\" {split(\$4,o,\",\"); print o[1]}" /proc/mounts' 2>&1)"
check_eq "CapEff is Docker's default set" "00000000a80425fb" \
    "$(run busybox awk '/^CapEff/ {print $2}' /proc/self/status 2>&1)"
check_eq "CapBnd is Docker's default set" "00000000a80425fb" \
    "$(run busybox awk '/^CapBnd/ {print $2}' /proc/self/status 2>&1)"
check_eq "no_new_privs is set" "1" "$(run busybox awk '/^NoNewPrivs/ {print $2}' /proc/self/status 2>&1)"
check_eq "/dev has the usual nodes" "full null ptmx pts random shm tty urandom zero" \
    "$(run busybox sh -c 'cd /dev && echo full null ptmx pts random shm tty urandom zero | tr " " "\n" | while read f; do [ -e "$f" ] && echo "$f"; done | tr "\n" " " | sed "s/ $//"' 2>&1)"

# --- user, workdir, read-only root, volumes
check_eq "--user uid:gid" "65534:65534" "$(run -u 65534:65534 busybox sh -c 'echo $(id -u):$(id -g)' 2>&1)"
check_eq "a non-root user has no effective capabilities" "0000000000000000" \
    "$(run -u 65534 busybox awk '/^CapEff/ {print $2}' /proc/self/status 2>&1)"
check_eq "--workdir is created and used" "/work/dir" "$(run -w /work/dir busybox pwd 2>&1)"
run --read-only busybox touch /x >/dev/null 2>&1
check "--read-only: writing / fails" test $? -ne 0
mkdir -p "$TEST_TMP/share" && echo hello > "$TEST_TMP/share/f"
check_eq "-v bind mount visible" "hello" "$(run -v "$TEST_TMP/share:/mnt/share:ro" busybox cat /mnt/share/f 2>&1)"
run -v "$TEST_TMP/share:/mnt/share:ro" busybox touch /mnt/share/g >/dev/null 2>&1
check "-v ...:ro is read-only" test $? -ne 0 -a ! -e "$TEST_TMP/share/g"

# --- user namespace (--exec-opt native.userns=true)
out=$(run --exec-opt native.userns=true busybox sh -c \
    'echo $(id -u) $(awk "{print \$2}" /proc/self/uid_map); touch /new && echo writable' 2>&1)
check_eq "userns: root maps to host uid 100000, the rootfs is writable" "0 100000
writable" "$out"
out=$("$ENGINE" run -e native --rm --exec-opt native.userns=maybe busybox true 2>&1); rc=$?
case "$rc $out" in "125 "*userns*) ok "a bad native.userns value is refused";;
    *) not_ok "a bad native.userns value is refused"; diag "rc $rc: $out";; esac

# --- limits
"$ENGINE" run -e native --name oom -m 32m busybox \
    sh -c 'x=$(head -c 64m /dev/zero | tr "\0" a); echo ${#x}' >/dev/null 2>&1
check_eq "-m 32m: a 64 MiB allocation is OOM-killed (137)" "137" "$?"
check "inspect reports the OOM kill" sh -c "'$ENGINE' inspect oom | grep -q '\"OOMKilled\": *true'"
check "stats count the OOM kill from the cgroup" \
    sh -c "'$ENGINE' stats oom | grep -Eq 'oom_kills +[1-9][0-9]* +cgroup-v[12]'"
check "stats show the 32 MiB limit" sh -c "'$ENGINE' stats oom | grep -Eq 'memory_limit +32.0MiB'"
"$ENGINE" rm oom >/dev/null 2>&1

out=$(run --pids 16 busybox sh -c \
    'sh -c "for i in \$(seq 40); do sleep 30 & done" 2>/dev/null; n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo $n; kill -9 -1' 2>&1)
if [ -n "$out" ] && [ "$out" -le 16 ] 2>/dev/null && [ "$out" -ge 10 ]; then
    ok "fork bomb stops at --pids 16 ($out tasks)"
else
    not_ok "fork bomb stops at --pids 16"; diag "got: $out"
fi

out=$("$ENGINE" run -e native --rm --cpuset-cpus 9999 busybox true 2>&1); rc=$?
check_eq "an impossible cpuset fails run (125)" "125" "$rc"
case $out in *cpuset.cpus*) ok "the error names cpuset.cpus";;
    *) not_ok "the error names cpuset.cpus"; diag "got: $out";; esac

# --- detached: the monitor outlives the CLI
id=$("$ENGINE" run -e native -d --name bg --pids 64 busybox sleep 100 2>&1)
check "run -d prints the id" test "${#id}" = 64
check "the CLI process is gone, the container runs" sh -c "'$ENGINE' ps | grep -q '^${id:0:12} .*running'"
check "cgroup engine/<id> exists" test -n "$(cgroup_dirs "$id")"
check "stats of a running container" sh -c "'$ENGINE' stats bg | grep -Eq 'pids_current +1 +cgroup'"
check "pause" "$ENGINE" pause bg
check "ps shows paused" sh -c "'$ENGINE' ps | grep -q '^${id:0:12} .*paused'"
check "unpause" "$ENGINE" unpause bg
out=$("$ENGINE" exec bg sh -c 'echo $(hostname) $$; exit 4' 2>&1); rc=$?
check_eq "exec runs in the container's namespaces (its hostname, pid 2)" "${id:0:12} 2" "$out"
check_eq "exec passes the exit code" "4" "$rc"
"$ENGINE" exec bg nosuchcmd >/dev/null 2>&1; rc=$?
check_eq "exec of a missing command exits 127" "127" "$rc"
check "stop -t 1 (sleep as pid 1 ignores SIGTERM)" "$ENGINE" stop -t 1 bg
check "ps -a shows it exited" sh -c "'$ENGINE' ps -a | grep -q '^${id:0:12} .*exited'"
check "rm" "$ENGINE" rm bg
check_eq "no cgroup engine/<id> after rm" "" "$(cgroup_dirs "$id")"
check_eq "no mount left under the test dirs" "" "$(leftover_mounts)"

done_testing
