#!/bin/bash
# tests/integration/bench.sh - engine bench as a person uses it, checked for
# behaviour, never timing: `engine bench -n 2 -e native --format json` gives
# valid JSON with every workload, a floor row and a native row with values,
# csv and table work, --svg writes an SVG, and no container is left behind.
. "$(dirname "$0")/../lib.sh"
engine_setup
command -v jq >/dev/null 2>&1 || skip_all "jq not installed"
"$ENGINE" drivers 2>&1 | grep -Eq '^native +[0-9.]+ +yes' || skip_all "native driver not available"

out=$("$ENGINE" bench -n 2 -e native --parallel 2 --format json --svg "$TEST_TMP/b.svg" 2>"$TEST_TMP/err")
rc=$?
check_eq "bench exits 0" "0" "$rc"
check "output is valid JSON" jq -e . <<<"$out"
check_eq "runs is 2" "2" "$(jq -r .runs <<<"$out")"
check_eq "parallel is 2" "2" "$(jq -r .parallel <<<"$out")"
for w in start-exit create-running stats stop rm parallel memory min-memory; do
    check "workload $w present" jq -e --arg w "$w" '.workloads[] | select(.name == $w)' <<<"$out"
done
for k in driver n median p90 min max ratio_floor ratio_native errors; do
    check "rows have key $k" jq -e --arg k "$k" \
        '[.workloads[].rows[] | has($k)] | all' <<<"$out"
done
check "start-exit has a floor row with a median" jq -e \
    '.workloads[] | select(.name == "start-exit") | .rows[] | select(.driver == "floor") | .median > 0' <<<"$out"
check "start-exit native: 2 samples, ratio to floor and to native" jq -e \
    '.workloads[] | select(.name == "start-exit") | .rows[] | select(.driver == "native") |
     .n == 2 and .median > 0 and .ratio_floor > 0 and .ratio_native == 1' <<<"$out"
check "memory of native is measured" jq -e \
    '.workloads[] | select(.name == "memory") | .rows[] | select(.driver == "native") | .median > 0' <<<"$out"
check "no errors in the native rows" jq -e \
    '[.workloads[].rows[] | select(.driver == "native") | .errors] | add == 0' <<<"$out"
check "progress went to stderr" grep -q "bench: run 2/2" "$TEST_TMP/err"
check "SVG written" grep -q "<svg" "$TEST_TMP/b.svg"
check "SVG names the floor and native" sh -c "grep -q '>floor<' '$TEST_TMP/b.svg' && grep -q '>native<' '$TEST_TMP/b.svg'"
csv=$("$ENGINE" bench -n 1 -e native --parallel 1 --format csv 2>/dev/null)
check_eq "csv header" "workload,unit,driver,n,median,p90,min,max,ratio_floor,ratio_native,errors" \
    "$(head -n 1 <<<"$csv")"
check "csv has a floor row" grep -q '^start-exit,ms,floor,1,' <<<"$csv"
table=$("$ENGINE" bench -n 1 -e native --parallel 1 2>/dev/null)
check "table has the header" grep -q 'WORKLOAD .*MEDIAN .*xFLOOR .*xNATIVE' <<<"$table"
"$ENGINE" bench -e nosuchdriver >/dev/null 2>&1
check_eq "an unknown driver is refused (125)" "125" "$?"
check_eq "no container left" "" "$("$ENGINE" ps -a -q 2>/dev/null)"
check_eq "no floor layer left" "" "$(ls -d "$TEST_TMP"/lib/bench-floor-* 2>/dev/null)"
check_eq "no mount left" "" "$(leftover_mounts)"
done_testing
