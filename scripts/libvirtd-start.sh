#!/bin/sh
# scripts/libvirtd-start.sh - start libvirtd for engine's libvirt driver (tests, CI).
#
# Idempotent: exits 0 at once when lxc:///system already answers. Otherwise it
# creates what libvirtd needs on a bare Debian host (the libvirt-qemu user, the
# kvm group, /var/log/libvirt, /var/run/libvirt), makes the share dir a shared
# mount point, starts libvirtd in its own mount namespace and waits until
# `virsh -c lxc:///system list` works.
#
# Why a mount namespace: on a hybrid cgroup host libvirt's LXC driver trips over
# the empty cgroup2 mount at /sys/fs/cgroup/unified, so libvirtd runs where that
# mount is hidden. Why the share dir: "/" has private propagation here, so a
# mount made on the host after libvirtd started (engine mounts each container's
# rootfs when it creates it) would never be seen by libvirtd. The namespace is
# a *slave* of the host, and the share dir (ENGINE_LIBVIRT_SHARE, default
# /run/engine-libvirt, the driver's share_dir option) is a shared mount: the
# driver bind-mounts each rootfs below it and the mount propagates into
# libvirtd's namespace. Nothing propagates back (umount of the cgroup2 mount
# stays private to libvirtd).
set -u
URI=${LIBVIRT_URI:-lxc:///system}
SHARE=${ENGINE_LIBVIRT_SHARE:-/run/engine-libvirt}
LOG=${LIBVIRTD_LOG:-/var/log/libvirt/engine-libvirtd.log}

fail() { echo "libvirtd-start: $*" >&2; exit 1; }
answers() { virsh -c "$URI" list >/dev/null 2>&1; }

[ "$(id -u)" = 0 ] || fail "must run as root"
command -v virsh >/dev/null 2>&1 || fail "virsh not installed (apt-get install libvirt-clients)"
if answers; then
    echo "libvirtd-start: already running ($URI answers)"
    exit 0
fi
LIBVIRTD=$(command -v libvirtd || echo /usr/sbin/libvirtd)
[ -x "$LIBVIRTD" ] || fail "libvirtd not installed (apt-get install libvirt-daemon libvirt-daemon-driver-lxc)"

getent group kvm >/dev/null || groupadd -r kvm || fail "cannot create group kvm"
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu || fail "cannot create group libvirt-qemu"
id libvirt-qemu >/dev/null 2>&1 || useradd -r -g kvm -G libvirt-qemu -d /var/lib/libvirt \
    -s /usr/sbin/nologin libvirt-qemu || fail "cannot create user libvirt-qemu"
mkdir -p /var/log/libvirt /var/run/libvirt /var/lib/libvirt || fail "cannot create libvirt dirs"

mkdir -p "$SHARE" || fail "cannot create $SHARE"
if ! mountpoint -q "$SHARE"; then
    mount --bind "$SHARE" "$SHARE" || fail "cannot bind-mount $SHARE onto itself"
fi
mount --make-shared "$SHARE" || fail "cannot make $SHARE a shared mount"

# A stale pid file from a killed libvirtd makes the new one refuse to start.
if [ -f /run/libvirtd.pid ] && ! kill -0 "$(cat /run/libvirtd.pid 2>/dev/null)" 2>/dev/null; then
    rm -f /run/libvirtd.pid
fi

if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
    hide='umount /sys/fs/cgroup/unified || exit 1;'
else
    hide=
fi
# shellcheck disable=SC2016
unshare -m --propagation slave sh -c "$hide"' exec "$0" -d' "$LIBVIRTD" >>"$LOG" 2>&1 ||
    fail "libvirtd failed to start, see $LOG: $(tail -n 3 "$LOG" 2>/dev/null | tr '\n' ' ')"

i=0
while ! answers; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then
        why=$(virsh -c "$URI" list 2>&1 | head -n 3 | tr '\n' ' ')
        fail "libvirtd started but $URI does not answer after 20 s: $why (log: $LOG)"
    fi
    sleep 0.2
done
echo "libvirtd-start: libvirtd running, $URI answers (share dir $SHARE)"
