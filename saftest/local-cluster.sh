#!/bin/bash
# A cluster of N executives on this machine (127.0.0.1..N, udpu), kept running
# between invocations, for SAFTest's cluster commands (saftest/README.md):
#
#   local-cluster.sh [-d DIR] init N BUILD_DIR   configure N nodes (no executive started)
#   local-cluster.sh [-d DIR] start              start every node, wait for the ring
#   local-cluster.sh [-d DIR] start-node NAME    START_NODE: start one node, wait until it is a member
#   local-cluster.sh [-d DIR] stop-node NAME     STOP_NODE: stop one node (SIGTERM), wait until the others see it leave
#   local-cluster.sh [-d DIR] display            DISPLAY_CLUSTER: the SAFCluster XML, from the first running node
#   local-cluster.sh [-d DIR] socket NAME        the IPC socket of node NAME (for AIS_IPC_SOCKET)
#   local-cluster.sh [-d DIR] names              the node names, node 1 first
#   local-cluster.sh [-d DIR] commands           the cluster commands file for this cluster
#   local-cluster.sh [-d DIR] stop               stop every node
#
# DIR (default $SAFTEST_AIS_DIR, else /tmp/ais-saftest) holds each node's
# configuration, run directory, log and pid file. Node 1 is named after this
# host, so that SAFTest, whose drivers talk to node 1, finds it as its local
# node; node I is named HOST-I.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../c-tests/lib.sh"

DIR=${SAFTEST_AIS_DIR:-/tmp/ais-saftest}
if [ "${1:-}" = -d ]; then DIR=$2; shift 2; fi
cmd=${1:-}
[ -n "$cmd" ] || { sed -n '2,/^set /p' "$0" | sed '$d'; exit 2; }
shift

die() { echo "local-cluster: $*" >&2; exit 1; }
conf() { cat "$DIR/$1" 2>/dev/null || die "$DIR is not a configured cluster (run init first)"; }

# The node index of NAME (as `names` prints them).
index_of() {
    local i=1 n
    for n in $(conf names); do
        [ "$n" = "$1" ] && { echo "$i"; return; }
        i=$((i + 1))
    done
    die "no node is named '$1' (nodes: $(conf names | tr '\n' ' '))"
}

socket_of() { echo "@ais-saftest-$(conf tag)-$1"; }
pid_of() { cat "$DIR/node$1.pid" 2>/dev/null || true; }
running() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# What node I's CLM says, as SAFTest's display command prints it.
display_from() {
    AIS_IPC_SOCKET=$(socket_of "$1") "$(conf build)/ais-clmtool" display -c "$DIR/node$1.conf"
}

# How many members node I reports.
members_seen() {
    display_from "$1" 2>/dev/null | grep -c '<member>TRUE</member>' || true
}

# Waits until every running node reports exactly the running nodes as members.
settle() {
    local end=$((SECONDS + ${1:-30})) want i ok
    while :; do
        want=0
        for i in $(seq 1 "$(conf count)"); do running "$i" && want=$((want + 1)); done
        ok=1
        for i in $(seq 1 "$(conf count)"); do
            running "$i" || continue
            [ "$(members_seen "$i")" = "$want" ] || { ok=0; break; }
        done
        [ $ok = 1 ] && return 0
        [ $SECONDS -lt $end ] || die "the running nodes did not agree on $want members within ${1:-30} s (logs in $DIR)"
        sleep 0.2
    done
}

start_one() {
    local i=$1
    running "$i" && return 0
    mkdir -p "$DIR/run$i"
    # setsid: the executive outlives this script and the test that asked for it.
    AIS_IPC_SOCKET=$(socket_of "$i") AIS_RUN_DIR=$DIR/run$i \
        setsid "$(conf build)/aisexec" -f -c "$DIR/node$i.conf" </dev/null >>"$DIR/node$i.log" 2>&1 &
    echo $! >"$DIR/node$i.pid"
}

stop_one() {
    local i=$1 p end=$((SECONDS + 20))
    p=$(pid_of "$i")
    [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || { rm -f "$DIR/node$i.pid"; return 0; }
    while kill -0 "$p" 2>/dev/null; do
        [ $SECONDS -lt $end ] || { kill -KILL "$p" 2>/dev/null; break; }
        sleep 0.1
    done
    rm -f "$DIR/node$i.pid"
}

case $cmd in
init)
    [ $# = 2 ] || die "usage: init N BUILD_DIR"
    n=$1
    build=$(cd "$2" && pwd)
    [ "$n" -ge 1 ] && [ "$n" -le 254 ] || die "N must be 1 to 254"
    [ -x "$build/aisexec" ] && [ -x "$build/ais-clmtool" ] || die "$build has no aisexec and ais-clmtool"
    mkdir -p "$DIR"
    for i in $(seq 1 "$n"); do running "$i" && die "node $i is running: stop the cluster first"; done
    host=$(hostname)
    : >"$DIR/names"
    for i in $(seq 1 "$n"); do
        if [ "$i" = 1 ]; then echo "$host"; else echo "$host-$i"; fi >>"$DIR/names"
    done
    echo "$n" >"$DIR/count"
    echo "$build" >"$DIR/build"
    echo "$$" >"$DIR/tag"
    port=$(ais_port)
    for i in $(seq 1 "$n"); do
        {
            ais_config "$i" "$n" "$port" 1000
            printf 'nodes {\n'
            j=1
            for name in $(cat "$DIR/names"); do
                printf '\tnode {\n\t\tnodeid: %s\n\t\tname: %s\n\t\tring0_addr: 127.0.0.%s\n\t}\n' \
                    $((2130706432 + j)) "$name" "$j"
                j=$((j + 1))
            done
            printf '}\n'
        } >"$DIR/node$i.conf"
    done
    ;;
start)
    for i in $(seq 1 "$(conf count)"); do start_one "$i"; done
    settle 30
    ;;
start-node)
    [ $# = 1 ] || die "usage: start-node NAME"
    i=$(index_of "$1")
    start_one "$i"
    settle 30
    ;;
stop-node)
    [ $# = 1 ] || die "usage: stop-node NAME"
    i=$(index_of "$1")
    stop_one "$i"
    settle 30
    ;;
display)
    for i in $(seq 1 "$(conf count)"); do
        if running "$i"; then display_from "$i"; exit; fi
    done
    die "no node is running"
    ;;
socket)
    [ $# = 1 ] || die "usage: socket NAME"
    i=$(index_of "$1")
    socket_of "$i"
    ;;
names)
    conf names
    ;;
commands)
    conf count >/dev/null
    self="$here/local-cluster.sh -d $DIR"
    printf '# SAFTest cluster commands for the local cluster in %s\n' "$DIR"
    printf 'DISPLAY_CLUSTER=%s display\nSTART_NODE=%s start-node\nSTOP_NODE=%s stop-node\n' "$self" "$self" "$self"
    ;;
stop)
    for i in $(seq 1 "$(conf count)"); do stop_one "$i"; done
    ;;
*)
    die "unknown command '$cmd'"
    ;;
esac
