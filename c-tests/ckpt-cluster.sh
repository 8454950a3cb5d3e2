#!/bin/bash
# Runs the CKPT C test against three executives on 127.0.0.1-3 (udpu): the API test
# on one node of the cluster, data written on one node read on the others, and a node
# stopped while a checkpoint is written, then restarted: it must get the checkpoint.
#   c-tests/ckpt-cluster.sh BUILD_DIR
# Needs clm_live (mk/clm.mk) to wait for the membership.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
BUILD=${1:-target/release}
CLIENT=$BUILD/c-tests/ckpt_live
CLM=$BUILD/c-tests/clm_live
AISEXEC=$BUILD/aisexec
export LD_LIBRARY_PATH=$BUILD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
TMP=$(mktemp -d)
PORT=$(ais_port)
declare -A PIDS=()

cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

start() { # node-index member-count
    local i=$1
    ais_config "$i" "$2" "$PORT" 500 > "$TMP/node$i.conf"
    mkdir -p "$TMP/run$i"
    AIS_IPC_SOCKET=@ais-ckpt-$$-$i AIS_RUN_DIR=$TMP/run$i \
        "$AISEXEC" -f -c "$TMP/node$i.conf" 2>>"$TMP/node$i.log" &
    PIDS[$i]=$!
}

stop() { # node-index
    kill -TERM "${PIDS[$1]}"
    wait "${PIDS[$1]}" || { echo "node $1 did not exit 0"; return 1; }
    unset "PIDS[$1]"
}

on() { # node-index program args...
    local i=$1; shift
    AIS_IPC_SOCKET=@ais-ckpt-$$-$i "$@"
}

fail() { echo "ckpt-cluster: FAIL: $*"; for f in "$TMP"/node*.log; do echo "== $f"; tail -20 "$f"; done; exit 1; }

echo "ckpt-cluster: three nodes"
for i in 1 2 3; do start "$i" 3; done
on 1 "$CLM" wait 3 30 || fail "three members never seen from node 1"
on 2 "$CLIENT" || fail "API test in a three-node cluster"
on 1 "$CLIENT" write safCkpt=cluster "written on node 1" || fail "write on node 1"
for i in 2 3; do
    on "$i" "$CLIENT" read safCkpt=cluster "written on node 1" || fail "node $i does not read node 1's write"
done
on 3 "$CLIENT" write safCkpt=cluster "then on node 3" || fail "write on node 3"
on 1 "$CLIENT" read safCkpt=cluster "then on node 3" || fail "node 1 does not read node 3's write"

echo "ckpt-cluster: stopping node 2, writing, restarting it"
stop 2 || fail "stopping node 2"
on 1 "$CLM" wait 2 10 || fail "node 1 did not see node 2 leave"
on 1 "$CLIENT" write safCkpt=cluster "while node 2 was away" || fail "write with node 2 away"
on 3 "$CLIENT" write safCkpt=later "created while node 2 was away" || fail "create with node 2 away"
start 2 3
on 1 "$CLM" wait 3 30 || fail "node 1 did not see node 2 come back"
on 2 "$CLIENT" read safCkpt=cluster "while node 2 was away" || fail "node 2 missed a write made while it was away"
on 2 "$CLIENT" read safCkpt=later "created while node 2 was away" || fail "node 2 missed a checkpoint created while it was away"
echo "ckpt-cluster: ok"
