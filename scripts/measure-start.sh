#!/bin/bash
# scripts/measure-start.sh [RUNS] [DRIVER] - the figure issue 2 asks for: the
# median time of `engine run --rm busybox true` against the same start done by
# a bare `unshare -fpmiun --mount-proc true`, interleaved in one run so host
# noise hits both alike; and the monitor's RSS for a running container.
# Uses the engine on PATH (or $ENGINE).
set -eu
runs=${1:-50}
driver=${2:-native}
E=${ENGINE:-engine}
ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
e=$(mktemp) u=$(mktemp)
"$E" run --rm -e "$driver" busybox true # builds the image once, outside the timing
for _ in $(seq "$runs"); do
    t0=$(ns); "$E" run --rm -e "$driver" busybox true; t1=$(ns)
    unshare -fpmiun --mount-proc true; t2=$(ns)
    echo $(((t1 - t0) / 1000)) >>"$e"; echo $(((t2 - t1) / 1000)) >>"$u"
done
me=$(median <"$e"); mu=$(median <"$u")
printf 'engine run --rm -e %s busybox true: median %.2f ms over %d runs\n' "$driver" "$(echo "$me/1000" | bc -l)" "$runs"
printf 'unshare -fpmiun --mount-proc true:    median %.2f ms over %d runs\n' "$(echo "$mu/1000" | bc -l)" "$runs"
printf 'ratio: %.2fx\n' "$(echo "$me/$mu" | bc -l)"
rm -f "$e" "$u"
id=$("$E" run -d -e "$driver" busybox sleep 1000)
mon=$("$E" inspect "$id" | sed -n 's/.*"MonitorPid":\([0-9]*\).*/\1/p')
echo "monitor RSS (VmRSS of pid $mon): $(awk '/VmRSS/ {print $2, $3}' /proc/"$mon"/status)"
echo "monitor PSS: $(awk '/^Pss:/ {print $2, $3}' /proc/"$mon"/smaps_rollup)"
"$E" rm -f "$id" >/dev/null
