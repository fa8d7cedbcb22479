#!/bin/bash
# scripts/run.sh - engine's main job on a fresh Debian 12 machine, as root:
# install what is missing, build, install under /usr/local, start the daemon
# with the default driver, run a container from the built-in busybox image and
# show its stats. The daemon keeps running afterwards (stop: kill $(cat
# /run/engine/engine.pid)); the container is removed.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "### build and install"
./autogen.sh >/dev/null
# autoconf's configure runs 'rm -f core' (for core dumps); our core/ dir makes it talk
./configure -q --prefix=/usr/local --sysconfdir=/etc 2> >(grep -v "cannot remove 'core'" >&2)
make -j"$(nproc)" >/dev/null
make install >/dev/null
ldconfig
export PATH=/usr/local/bin:$PATH

echo "### engine drivers"
engine drivers

echo "### the daemon (default driver: native)"
if ! curl -sf --unix-socket /run/engine/engine.sock http://engine/v1/version >/dev/null 2>&1; then
    engine -d --detach --pidfile /run/engine/engine.pid
fi
for _ in $(seq 50); do
    curl -sf --unix-socket /run/engine/engine.sock http://engine/v1/version >/dev/null && break
    sleep 0.1
done
curl -s --unix-socket /run/engine/engine.sock http://engine/v1/version; echo

echo "### a container from the built-in busybox image, through the daemon"
engine rm -f demo >/dev/null 2>&1 || true
engine run -d --name demo -m 64m --cpus 0.5 --pids 64 busybox \
    sh -c 'echo hello from $(hostname); while :; do :; done'
sleep 1
engine ps
engine logs demo
echo "### its stats"
engine stats demo
engine rm -f demo >/dev/null
echo "### done: the daemon is still running (engine ps, engine run busybox echo hi)"
