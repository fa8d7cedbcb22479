#!/bin/bash
# tests/integration/openvz.sh - the openvz driver through the real CLI. Needs
# an OpenVZ kernel and vzctl; everywhere else it skips with the driver's own
# reason (e.g. "no OpenVZ kernel: /proc/vz missing"). The driver has NOT been
# run against a real OpenVZ kernel: these checks are what it should pass there.
. "$(dirname "$0")/../lib.sh"
engine_setup

drivers=$("$ENGINE" drivers 2>&1)
line=$(printf '%s\n' "$drivers" | grep -E '^openvz ')
if ! printf '%s\n' "$line" | grep -Eq '^openvz +[0-9.]+ +yes'; then
    reason=$(printf '%s\n' "$line" | sed -E 's/^openvz +[0-9.]+ +no: //; s/  +.*//')
    skip_all "openvz driver not available: ${reason:-not listed}"
fi

run() { "$ENGINE" run -e openvz --rm "$@"; }

check_eq "echo reaches the caller" "hi" "$(run busybox echo hi 2>&1)"
run busybox sh -c 'exit 3' >/dev/null 2>&1
check_eq "exit code of vzctl exec2 passes through" "3" "$?"
check_eq "hostname is set" "h" "$(run --hostname h busybox hostname 2>&1)"
check_eq "arguments keep their quoting" "it's a b" "$(run busybox sh -c 'echo "$0 $1"' "it's a" b 2>&1)"

id=$("$ENGINE" run -e openvz -d --name bg -m 64m --pids 64 busybox sleep 100 2>&1)
check "run -d prints the id" test "${#id}" = 64
check "the container runs" sh -c "'$ENGINE' ps | grep -q '^${id:0:12} .*running'"
check "stats: memory from beancounters" \
    sh -c "'$ENGINE' stats bg | grep -Eq 'memory_current +[0-9.]+[KMG]iB +vz'"
check "stats: memory limit 64 MiB" sh -c "'$ENGINE' stats bg | grep -Eq 'memory_limit +64.0MiB +vz'"
check "stats: pids limit 64" sh -c "'$ENGINE' stats bg | grep -Eq 'pids_limit +64 +vz'"
check "stop" "$ENGINE" stop -t 5 bg
check "rm" "$ENGINE" rm bg
check_eq "no container config left" "" "$(grep -l "$id" /etc/vz/conf/*.conf 2>/dev/null)"
check_eq "no mount left under the test dirs" "" "$(leftover_mounts)"

done_testing
