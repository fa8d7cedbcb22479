#!/bin/sh
# scripts/libvirtd-stop.sh - stop the libvirtd that libvirtd-start.sh started
# and release the share dir when nothing is mounted below it any more.
set -u
SHARE=${ENGINE_LIBVIRT_SHARE:-/run/engine-libvirt}
PIDFILE=/run/libvirtd.pid

[ "$(id -u)" = 0 ] || { echo "libvirtd-stop: must run as root" >&2; exit 1; }
pid=$(cat "$PIDFILE" 2>/dev/null)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    i=0
    while kill -0 "$pid" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 100 ]; then
            echo "libvirtd-stop: libvirtd ($pid) ignored SIGTERM for 10 s, sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null
            break
        fi
        sleep 0.1
    done
    echo "libvirtd-stop: libvirtd ($pid) stopped"
else
    echo "libvirtd-stop: libvirtd not running"
fi
# libvirt-lxc leaves the empty parent of its per-domain cgroups behind; rmdir
# only removes it when no domain is in it.
for d in /sys/fs/cgroup/*/machine /sys/fs/cgroup/machine; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null
done
if mountpoint -q "$SHARE" 2>/dev/null &&
    ! awk -v p="$SHARE/" 'index($5, p) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    umount "$SHARE" && rmdir "$SHARE" 2>/dev/null
fi
exit 0
