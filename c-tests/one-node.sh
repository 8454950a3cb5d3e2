#!/bin/bash
# Starts one aisexec on 127.0.0.1 (udpu, its own IPC socket and run
# directory), runs the given command against it, and stops it.
#   c-tests/one-node.sh BUILD_DIR COMMAND [ARGS...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
BUILD=$1; shift
TMP=$(mktemp -d)
PORT=$(ais_port)
export LD_LIBRARY_PATH=$BUILD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export AIS_IPC_SOCKET=@ais-one-$$
ais_config 1 1 "$PORT" 1000 > "$TMP/node.conf"
AIS_RUN_DIR=$TMP "$BUILD/aisexec" -f -c "$TMP/node.conf" 2>"$TMP/node.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$TMP"' EXIT
"$@"
