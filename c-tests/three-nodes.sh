#!/bin/bash
# Starts three aisexec on 127.0.0.1-3 (udpu, each its own IPC socket and run
# directory), waits for their ring, runs the given command against node 1,
# and stops them.
#   c-tests/three-nodes.sh BUILD_DIR COMMAND [ARGS...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
BUILD=$1; shift
TMP=$(mktemp -d)
PORT=$(ais_port)
export LD_LIBRARY_PATH=$BUILD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
PIDS=()
trap 'kill -TERM "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
for i in 1 2 3; do
    ais_config "$i" 3 "$PORT" 1000 > "$TMP/node$i.conf"
    mkdir -p "$TMP/run$i"
    AIS_IPC_SOCKET=@ais-three-$$-$i AIS_RUN_DIR=$TMP/run$i \
        "$BUILD/aisexec" -f -c "$TMP/node$i.conf" 2>"$TMP/node$i.log" &
    PIDS+=($!)
done
end=$((SECONDS + 30))
until AIS_IPC_SOCKET=@ais-three-$$-1 "$BUILD/ais-cfgtool" -s 2>/dev/null | grep -q 'members	= 3 '; do
    [ $SECONDS -lt $end ] || { echo "three-nodes: no ring of three within 30 s"; exit 1; }
    sleep 0.1
done
AIS_IPC_SOCKET=@ais-three-$$-1 "$@"
