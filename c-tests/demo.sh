#!/bin/bash
# The demo: three executives on 127.0.0.1-3 (nothing leaves this machine), a
# C program on node 1 printing the cluster membership as CLM reports it,
# node 3 stopped and started again.
#   c-tests/demo.sh BUILD_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
BUILD=${1:-target/release}
export LD_LIBRARY_PATH=$BUILD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
TMP=$(mktemp -d)
PORT=$(ais_port)
declare -A PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
start() {
    local i=$1
    ais_config "$i" 3 "$PORT" 1000 > "$TMP/node$i.conf"
    mkdir -p "$TMP/run$i"
    AIS_IPC_SOCKET=@ais-demo-$$-$i AIS_RUN_DIR=$TMP/run$i \
        "$BUILD/aisexec" -f -c "$TMP/node$i.conf" 2>"$TMP/node$i.log" &
    PIDS[$i]=$!
    echo "demo: started aisexec on 127.0.0.$i (pid ${PIDS[$i]})"
}
for i in 1 2 3; do start "$i"; done
echo "demo: CLM membership as a C program on node 1 sees it:"
AIS_IPC_SOCKET=@ais-demo-$$-1 "$BUILD/c-tests/clm_live" watch 9 &
WATCH=$!
sleep 3
echo "demo: stopping node 3 (SIGTERM: it leaves the ring cleanly)"
kill -TERM "${PIDS[3]}"; wait "${PIDS[3]}" || true; unset "PIDS[3]"
sleep 3
echo "demo: starting node 3 again"
start 3
wait $WATCH
echo "demo: done. aisexec logged on node 1:"
grep -A4 "CONFIGURATION CHANGE\|New Configuration" "$TMP/node1.log" | tail -12 || true
