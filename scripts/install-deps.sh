#!/bin/sh
# scripts/install-deps.sh - install (as root, on Debian 12) every package that
# engine's build, its drivers and its tests need. Idempotent and quiet when
# everything is already there.
set -eu
PKGS="
build-essential autoconf automake libtool pkg-config
libinih-dev libjson-c-dev libmicrohttpd-dev libcurl4-openssl-dev libcap-dev
busybox-static curl jq
lxc lxc-dev
libvirt-dev libvirt-daemon libvirt-daemon-driver-lxc libvirt-clients libxml2-dev
systemd-container
runc crun
clang-format
"
missing=
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # With recommends: the suite was developed and passes with them (LXC's and
    # libvirt's recommended helpers, apparmor...); a leaner set is untested.
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null
fi
