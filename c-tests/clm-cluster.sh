#!/bin/bash
# Runs the CLM C tests against live executives on this machine only:
# one aisexec on 127.0.0.1, then three on 127.0.0.1-3 (udpu), with one of
# them stopped and restarted while a client on another node tracks changes.
#   c-tests/clm-cluster.sh BUILD_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
BUILD=${1:-target/release}
CLIENT=$BUILD/c-tests/clm_live
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
    AIS_IPC_SOCKET=@ais-ctest-$$-$i AIS_RUN_DIR=$TMP/run$i \
        "$AISEXEC" -f -c "$TMP/node$i.conf" 2>>"$TMP/node$i.log" &
    PIDS[$i]=$!
}

stop() { # node-index
    kill -TERM "${PIDS[$1]}"
    wait "${PIDS[$1]}" || { echo "node $1 did not exit 0"; return 1; }
    unset "PIDS[$1]"
}

client() { # node-index args...
    local i=$1; shift
    AIS_IPC_SOCKET=@ais-ctest-$$-$i "$CLIENT" "$@"
}

fail() { echo "clm-cluster: FAIL: $*"; for f in "$TMP"/node*.log; do echo "== $f"; tail -20 "$f"; done; exit 1; }

echo "clm-cluster: one node"
start 1 1
client 1 api || fail "API test against one node"
stop 1 || fail "stopping node 1"

echo "clm-cluster: three nodes"
for i in 1 2 3; do start "$i" 3; done
client 1 wait 3 30 || fail "three members never seen from node 1"
client 2 api || fail "API test in a three-node cluster"
echo "clm-cluster: stopping node 3"
stop 3 || fail "stopping node 3"
client 1 wait 2 10 || fail "node 1 did not see node 3 leave"
echo "clm-cluster: restarting node 3"
start 3 3
client 1 wait 3 30 || fail "node 1 did not see node 3 come back"
echo "clm-cluster: ok"
