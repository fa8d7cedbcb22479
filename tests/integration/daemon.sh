#!/bin/bash
# tests/integration/daemon.sh - engine -d: the v1 API over a Unix socket with
# curl and through the CLI (-H unix://...), bad requests, streams and a client
# that goes away, restart after kill -9 with running containers, a stale
# socket, a second daemon, 50 concurrent clients; then the same lifecycle with
# -e lxc when that driver is available.
. "$(dirname "$0")/../lib.sh"
engine_setup
command -v curl >/dev/null || skip_all "curl not installed"
command -v jq >/dev/null || skip_all "jq not installed"

SOCK=$TEST_TMP/engine.sock
DAEMON_PID=
BODY=$TEST_TMP/body

# req METHOD PATH [curl args...]: prints the HTTP status, the body goes to $BODY.
req() {
    local m=$1 p=$2
    shift 2
    curl -s -m 60 --unix-socket "$SOCK" -o "$BODY" -w '%{http_code}' -X "$m" "$@" "http://engine$p"
}
get() { curl -s -m 60 --unix-socket "$SOCK" "http://engine$1"; }
post_json() { req POST "$1" -H 'Content-Type: application/json' --data-binary "$2"; }
status_of() { get "/v1/containers/$1" | jq -r '.State.Status'; }
# until_true TRIES CMD...: retry every 0.2s (behaviour, not timing: generous)
until_true() {
    local n=$1
    shift
    while [ "$n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.2
        n=$((n - 1))
    done
    return 1
}
answers() { get /v1/version 2>/dev/null | grep -q ApiVersion; }

start_daemon() {
    "$ENGINE" -d "$@" --socket "$SOCK" --log-level debug >>"$TEST_TMP/daemon.log" 2>&1 &
    DAEMON_PID=$!
    until_true 100 answers
}
stop_daemon() {
    [ -n "$DAEMON_PID" ] || return 0
    kill -TERM "$DAEMON_PID" 2>/dev/null
    wait "$DAEMON_PID" 2>/dev/null
    DAEMON_PID=
}
on_exit() {
    stop_daemon
    [ -n "${EVENTS_PID:-}" ] && kill "$EVENTS_PID" 2>/dev/null
    [ -n "${FAILED_LOG:-}" ] && sed 's/^/# daemon: /' "$TEST_TMP/daemon.log" | tail -40
    engine_teardown
}
trap on_exit EXIT

# ---- start, info ----
if start_daemon -e native; then ok "daemon serves $SOCK"; else
    not_ok "daemon serves $SOCK"; FAILED_LOG=1; done_testing; fi
check_eq "socket mode is 0660" "660" "$(stat -c %a "$SOCK")"
check_eq "GET /v1/version" "200" "$(req GET /v1/version)"
check_eq "GET /v1/info names the default driver" "native" "$(get /v1/info | jq -r .DefaultDriver)"
check_eq "GET /v1/info names the state dir" "$TEST_TMP/run" "$(get /v1/info | jq -r .StateDir)"
check_eq "GET /v1/drivers lists native" "true" \
    "$(get /v1/drivers | jq '[.[] | select(.name == "native")] | length == 1')"

curl -sN --unix-socket "$SOCK" http://engine/v1/events >"$TEST_TMP/events" 2>/dev/null &
EVENTS_PID=$!
sleep 0.5

# ---- lifecycle with curl ----
code=$(post_json /v1/containers '{"Name":"web","Image":"busybox","Cmd":["sh","-c","echo hello-daemon; sleep 1000"],"Memory":"64m","Cpus":0.5,"Pids":64,"Env":["A=b"]}')
check_eq "POST /v1/containers -> 201" "201" "$code"
ID=$(jq -r .Id "$BODY")
check "create answers a 64-hex Id" grep -Eq '^[0-9a-f]{64}$' <<<"$ID"
check_eq "created container is 'created'" "created" "$(status_of web)"
check_eq "memory limit from \"64m\"" "67108864" "$(get /v1/containers/web | jq .Limits.Memory)"
check_eq "POST start -> 204" "204" "$(req POST /v1/containers/web/start)"
check_eq "inspect says running" "running" "$(status_of "$ID")"
check_eq "GET /v1/containers lists it" "web" \
    "$(get /v1/containers | jq -r '.[] | select(.Id == "'"$ID"'") | .Name')"
check_eq "GET stats -> 200" "200" "$(req GET /v1/containers/web/stats)"
check "stats carry cpu_ns with a source" jq -e '.cpu_ns.source != "n/a"' "$BODY"
check "logs show the output" until_true 50 sh -c "curl -s -m 10 --unix-socket '$SOCK' http://e/v1/containers/web/logs | grep -q hello-daemon"
check_eq "POST pause -> 204" "204" "$(req POST /v1/containers/web/pause)"
check_eq "inspect says paused" "paused" "$(status_of web)"
check_eq "POST unpause -> 204" "204" "$(req POST /v1/containers/web/unpause)"
check_eq "inspect says running again" "running" "$(status_of web)"
check_eq "POST stop?t=1 -> 204" "204" "$(req POST '/v1/containers/web/stop?t=1')"
check_eq "inspect says exited" "exited" "$(status_of web)"
check_eq "POST wait -> 200" "200" "$(req POST /v1/containers/web/wait)"
check "wait gives a StatusCode" jq -e '.StatusCode | type == "number"' "$BODY"
check_eq "DELETE -> 204" "204" "$(req DELETE /v1/containers/web)"
check_eq "inspect after delete -> 404" "404" "$(req GET "/v1/containers/$ID")"
check "no state left for the removed container" test ! -e "$TEST_TMP/run/$ID"

# kill with a signal name, force delete of a running container
# (a pid-namespace init ignores signals it has no handler for: trap TERM)
post_json /v1/containers '{"Name":"k1","Image":"busybox","Cmd":["sh","-c","trap \"exit 0\" TERM; sleep 1000 & wait"]}' >/dev/null
req POST /v1/containers/k1/start >/dev/null
check_eq "POST kill?signal=TERM -> 204" "204" "$(req POST '/v1/containers/k1/kill?signal=TERM')"
check "killed container exits" until_true 100 sh -c "[ \"\$(curl -s --unix-socket '$SOCK' http://e/v1/containers/k1 | jq -r .State.Status)\" = exited ]"
req POST /v1/containers/k1/start >/dev/null
check_eq "DELETE running without force -> 409" "409" "$(req DELETE /v1/containers/k1)"
check_eq "DELETE ?force=1 a running container -> 204" "204" "$(req DELETE '/v1/containers/k1?force=1')"

# events of "web": create, start, pause, unpause, die, destroy in that order
sleep 0.5
ev=$(jq -r 'select(.Id == "'"$ID"'") | .Action' "$TEST_TMP/events" | paste -sd, -)
check_eq "events of web in order" "create,start,pause,unpause,die,destroy" "$ev"

# ---- bad requests ----
check_eq "malformed JSON -> 400" "400" "$(post_json /v1/containers '{"Image": "busybox",')"
check "malformed JSON answer has a message" jq -e '.message | test("Malformed")' "$BODY"
check_eq "unknown field -> 400" "400" "$(post_json /v1/containers '{"Image":"busybox","Bogus":1}')"
check "unknown field is named" jq -e '.message | test("Bogus")' "$BODY"
check_eq "wrong type -> 400" "400" "$(post_json /v1/containers '{"Image":"busybox","Cmd":"echo"}')"
check "wrong type names the field" jq -e '.message | test("Cmd")' "$BODY"
check_eq "wrong type for Memory -> 400" "400" "$(post_json /v1/containers '{"Image":"busybox","Memory":true}')"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$TEST_TMP/big"
check_eq "oversized body -> 413" "413" "$(req POST /v1/containers -H 'Content-Type: application/json' --data-binary @"$TEST_TMP/big")"
check "413 answer has a message" jq -e '.message' "$BODY"
check_eq "unknown endpoint -> 404" "404" "$(req GET /v1/nope)"
check "404 answer has a message" jq -e '.message' "$BODY"
check_eq "unversioned path -> 404" "404" "$(req GET /containers)"
check_eq "wrong method -> 405" "405" "$(req PUT /v1/containers)"
check "405 answer has a message" jq -e '.message' "$BODY"
check_eq "wrong method on start -> 405" "405" "$(req GET /v1/containers/x/start)"
check_eq "unknown container -> 404" "404" "$(req GET /v1/containers/no-such-thing)"
check "unknown container message names it" jq -e '.message | test("no-such-thing")' "$BODY"
check_eq "start unknown container -> 404" "404" "$(req POST /v1/containers/no-such-thing/start)"
post_json /v1/containers '{"Name":"dup","Image":"busybox"}' >/dev/null
check_eq "name conflict -> 409" "409" "$(post_json /v1/containers '{"Name":"dup","Image":"busybox"}')"
check "409 answer has a message" jq -e '.message | test("dup")' "$BODY"
check_eq "invalid name -> 400" "400" "$(post_json /v1/containers '{"Name":"../x","Image":"busybox"}')"
check_eq "unknown driver -> 4xx" "4" "$(post_json /v1/containers '{"Image":"busybox","Driver":"nosuch"}' | cut -c1)"
req DELETE /v1/containers/dup >/dev/null
check "daemon still answers after bad requests" answers

# ---- streams and clients that go away ----
post_json /v1/containers '{"Name":"st","Image":"busybox","Cmd":["sleep","1000"]}' >/dev/null
req POST /v1/containers/st/start >/dev/null
curl -sN -m 3 --unix-socket "$SOCK" 'http://e/v1/containers/st/stats?stream=1' >"$TEST_TMP/stream"
check "stats stream sends JSON lines" jq -e '.cpu_ns' "$TEST_TMP/stream"
check "stats stream sends more than one line" test "$(wc -l <"$TEST_TMP/stream")" -ge 2
for i in 1 2 3 4 5; do
    curl -sN -m 1 --unix-socket "$SOCK" 'http://e/v1/containers/st/stats?stream=1' >/dev/null &
    curl -sN -m 1 --unix-socket "$SOCK" 'http://e/v1/containers/st/logs?follow=1' >/dev/null &
done
wait_jobs() { local j; for j in $(jobs -p); do [ "$j" = "$EVENTS_PID" ] || [ "$j" = "$DAEMON_PID" ] || wait "$j"; done; }
wait_jobs
check "daemon alive after clients left streams" kill -0 "$DAEMON_PID"
check_eq "stats still served after clients left" "200" "$(req GET /v1/containers/st/stats)"
check "events stream still connected" kill -0 "$EVENTS_PID"

# ---- through the CLI with -H ----
H="unix://$SOCK"
cid=$("$ENGINE" -H "$H" run -d --name cli1 busybox sleep 1000 2>"$TEST_TMP/err")
check "engine -H run -d prints the id" grep -Eq '^[0-9a-f]{12,64}$' <<<"$cid"
check_eq "daemon knows the CLI's container" "running" "$(status_of cli1)"
check "engine -H ps lists it" sh -c "'$ENGINE' -H '$H' ps | grep -q cli1"
check "engine -H stats --no-stream" "$ENGINE" -H "$H" stats --no-stream cli1
check "engine -H stop" "$ENGINE" -H "$H" stop -t 1 cli1
check_eq "stopped through the daemon" "exited" "$(status_of cli1)"
check "engine -H rm" "$ENGINE" -H "$H" rm cli1
check_eq "removed through the daemon" "404" "$(req GET /v1/containers/cli1)"
out=$("$ENGINE" -H "$H" run --rm busybox echo via-daemon 2>&1)
check_eq "engine -H run (attached) prints the output" "via-daemon" "$out"
bad=0
for i in 1 2 3 4 5 6 7 8 9 10; do
    out=$("$ENGINE" -H "$H" run --rm busybox sh -c 'echo out-$0; exit 3' x 2>&1)
    [ "$?:$out" = "3:out-x" ] || { bad=$((bad + 1)); diag "run --rm $i: $?:$out"; }
done
check_eq "engine -H run --rm: output and exit code 3, 10 times" "0" "$bad"
check "engine -H to a dead socket fails" sh -c "! '$ENGINE' -H unix://$TEST_TMP/none.sock ps 2>/dev/null"

# ---- second daemon, SIGHUP ----
"$ENGINE" -d -e native --socket "$SOCK" >"$TEST_TMP/second" 2>&1
check "second daemon on the same socket is refused" test $? -ne 0
check "refusal names the pid" grep -q "Another engine daemon (pid $DAEMON_PID) is serving $SOCK" "$TEST_TMP/second"
check "first daemon still serves" answers
kill -HUP "$DAEMON_PID"
sleep 0.5
check "SIGHUP reloads and the daemon still serves" answers
check "reload logged" grep -q "Reloaded configuration" "$TEST_TMP/daemon.log"

# ---- kill -9 with running containers, restart ----
RUNNING=()
for i in 1 2 3 4 5; do
    post_json /v1/containers '{"Name":"r'"$i"'","Image":"busybox","Cmd":["sh","-c","echo up-'"$i"'; sleep 1000"]}' >/dev/null
    req POST "/v1/containers/r$i/start" >/dev/null
    RUNNING+=("r$i")
done
post_json /v1/containers '{"Name":"ex","Image":"busybox","Cmd":["sh","-c","trap \"exit 7\" TERM; sleep 1000 & wait"]}' >/dev/null
req POST /v1/containers/ex/start >/dev/null
n=$(get /v1/containers | jq '[.[] | select(.Name | test("^r[0-9]$"))] | length')
check_eq "5 containers running before the crash" "5" "$n"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
check "socket file left behind by kill -9" test -S "$SOCK"
# "ex" exits while no daemon runs: kill its main process.
expid=$(jq -r .State.Pid "$TEST_TMP/run/$(ls "$TEST_TMP/run" | while read -r d; do
    [ -f "$TEST_TMP/run/$d/state.json" ] && jq -e '.Name == "ex"' "$TEST_TMP/run/$d/state.json" >/dev/null && echo "$d"; done)/state.json")
kill -TERM "$expid" 2>/dev/null
# A create interrupted by the crash: a record still "creating".
stuck=$("$ENGINE" create --name stuck busybox true 2>/dev/null)
stuck_dir=$(ls -d "$TEST_TMP/run/$stuck"* 2>/dev/null | head -1)
if [ -n "$stuck_dir" ]; then
    jq '.State.Status = "creating"' "$stuck_dir/state.json" >"$TEST_TMP/s.json" && mv "$TEST_TMP/s.json" "$stuck_dir/state.json"
fi
if start_daemon -e native; then ok "daemon restarts over the stale socket"; else
    not_ok "daemon restarts over the stale socket"; FAILED_LOG=1; done_testing; fi
for c in "${RUNNING[@]}"; do
    check_eq "$c is running after the restart" "running" "$(status_of "$c")"
done
check_eq "ex exited while the daemon was down" "exited" "$(status_of ex)"
code=$(get /v1/containers/ex | jq .State.ExitCode)
check_eq "ex shows its exit code" "7" "$code"
check_eq "list shows the 5 running" "5" \
    "$(get /v1/containers | jq '[.[] | select(.Name | test("^r[0-9]$"))] | length')"
[ -n "$stuck_dir" ] && check "interrupted create cleaned up" test ! -e "$stuck_dir/state.json"
check_eq "stats of a re-adopted container" "200" "$(req GET /v1/containers/r1/stats)"
check "logs of a re-adopted container" sh -c "curl -s -m 10 --unix-socket '$SOCK' http://e/v1/containers/r2/logs | grep -q up-2"
check_eq "stop a re-adopted container" "204" "$(req POST '/v1/containers/r3/stop?t=1')"
check_eq "it stopped" "exited" "$(status_of r3)"

# ---- 50 concurrent clients ----
mkdir -p "$TEST_TMP/conc"
for i in $(seq 1 50); do
    (
        code=$(curl -s -m 120 --unix-socket "$SOCK" -o "$TEST_TMP/conc/$i.json" -w '%{http_code}' \
            -X POST -H 'Content-Type: application/json' \
            --data-binary '{"Name":"c'"$i"'","Image":"busybox","Cmd":["sleep","1000"]}' \
            http://e/v1/containers)
        [ "$code" = 201 ] || { echo "create $code" >"$TEST_TMP/conc/$i.fail"; exit; }
        id=$(jq -r .Id "$TEST_TMP/conc/$i.json")
        echo "$id" >"$TEST_TMP/conc/$i.id"
        code=$(curl -s -m 120 --unix-socket "$SOCK" -o "$TEST_TMP/conc/$i.start" -w '%{http_code}' -X POST "http://e/v1/containers/$id/start")
        [ "$code" = 204 ] || echo "start $code $(cat "$TEST_TMP/conc/$i.start")" >"$TEST_TMP/conc/$i.fail"
        code=$(curl -s -m 120 --unix-socket "$SOCK" -o "$TEST_TMP/conc/$i.del" -w '%{http_code}' -X DELETE "http://e/v1/containers/$id?force=1")
        [ "$code" = 204 ] || echo "delete $code $(cat "$TEST_TMP/conc/$i.del")" >>"$TEST_TMP/conc/$i.fail"
    ) &
done
wait_jobs
check_eq "50 concurrent create/start/rm all succeeded" "" "$(cat "$TEST_TMP"/conc/*.fail 2>/dev/null | sort | uniq -c)"
check_eq "50 distinct ids" "50" "$(cat "$TEST_TMP"/conc/*.id 2>/dev/null | sort -u | wc -l)"
left=0 mnt=0 cg=0
for f in "$TEST_TMP"/conc/*.id; do
    id=$(cat "$f")
    [ -e "$TEST_TMP/run/$id" ] && left=$((left + 1))
    grep -q "$id" /proc/self/mountinfo && mnt=$((mnt + 1))
    [ -n "$(find /sys/fs/cgroup/ -maxdepth 4 -type d -name "*${id:0:12}*" 2>/dev/null | head -1)" ] && cg=$((cg + 1))
done
check_eq "no state dirs left by the 50" "0" "$left"
check_eq "no mounts left by the 50" "0" "$mnt"
check_eq "no cgroups left by the 50" "0" "$cg"
check_eq "none of the 50 listed" "0" "$(get '/v1/containers?all=1' | jq '[.[] | select(.Name | test("^c[0-9]+$"))] | length')"

# ---- SIGTERM: the daemon goes, the containers stay ----
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
check_eq "SIGTERM: daemon exits 0" "0" "$?"
DAEMON_PID=
check "SIGTERM: socket removed" test ! -e "$SOCK"
check "containers keep running without the daemon" sh -c "'$ENGINE' ps | grep -q r1"
kill "$EVENTS_PID" 2>/dev/null
EVENTS_PID=
for c in r1 r2 r4 r5 r3 ex st; do "$ENGINE" rm -f "$c" >/dev/null 2>&1; done

# ---- default socket: <state dir>/engine.sock, where the CLI looks on its own ----
"$ENGINE" -d -e native --log-level debug >"$TEST_TMP/default.log" 2>&1 &
DEF_PID=$!
if until_true 100 test -S "$TEST_TMP/run/engine.sock"; then
    ok "without --socket the daemon serves <state dir>/engine.sock"
    "$ENGINE" ps -a >/dev/null 2>&1
    check "plain 'engine ps' goes through that daemon" grep -q "GET /v1/containers" "$TEST_TMP/default.log"
else
    not_ok "without --socket the daemon serves <state dir>/engine.sock"
fi
kill -TERM "$DEF_PID"
wait "$DEF_PID"
check "default-socket daemon stops and removes its socket" test ! -e "$TEST_TMP/run/engine.sock"

# ---- the same lifecycle with -e lxc ----
lxc_state=$("$ENGINE" drivers 2>/dev/null | awk '$1 == "lxc" {print $3}')
if [ "$lxc_state" != "yes" ]; then
    skip "lxc daemon lifecycle: lxc driver unavailable ($("$ENGINE" drivers 2>&1 | grep '^lxc' | sed 's/  */ /g'))"
else
    if start_daemon -e lxc; then
        check_eq "lxc: daemon default driver" "lxc" "$(get /v1/info | jq -r .DefaultDriver)"
        check_eq "lxc: create" "201" "$(post_json /v1/containers '{"Name":"lx","Image":"busybox","Cmd":["sh","-c","echo from-lxc; sleep 1000"],"Memory":"64m"}')"
        check_eq "lxc: container uses lxc" "lxc" "$(get /v1/containers/lx | jq -r .Driver)"
        check_eq "lxc: start" "204" "$(req POST /v1/containers/lx/start)"
        check_eq "lxc: running" "running" "$(status_of lx)"
        check_eq "lxc: stats" "200" "$(req GET /v1/containers/lx/stats)"
        check "lxc: logs" until_true 50 sh -c "curl -s -m 10 --unix-socket '$SOCK' http://e/v1/containers/lx/logs | grep -q from-lxc"
        check_eq "lxc: a request may name another driver" "native" \
            "$(post_json /v1/containers '{"Name":"nat","Image":"busybox","Driver":"native"}' >/dev/null; get /v1/containers/nat | jq -r .Driver)"
        check_eq "lxc: stop" "204" "$(req POST '/v1/containers/lx/stop?t=1')"
        check_eq "lxc: exited" "exited" "$(status_of lx)"
        check_eq "lxc: delete" "204" "$(req DELETE /v1/containers/lx)"
        req DELETE /v1/containers/nat >/dev/null
        check_eq "lxc: gone" "404" "$(req GET /v1/containers/lx)"
    else
        not_ok "lxc: daemon serves"
        FAILED_LOG=1
    fi
    stop_daemon
fi
check_eq "no mounts left" "" "$(leftover_mounts)"
done_testing
