#!/bin/bash
# Starts one aisexec on 127.0.0.1 (udpu, its own IPC socket and run
# directory), runs the given command against it, and stops it.
#   c-tests/one-node.sh BUILD_DIR COMMAND [ARGS...]
set -euo pipefail
BUILD=$1; shift
TMP=$(mktemp -d)
PORT=$(( 20000 + (RANDOM % 20000) * 2 ))
export LD_LIBRARY_PATH=$BUILD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export AIS_IPC_SOCKET=@ais-one-$$
printf 'totem {\n\tversion: 2\n\tsecauth: off\n\ttransport: udpu\n\tinterface {\n\t\tringnumber: 0\n\t\tbindnetaddr: 127.0.0.1\n\t\tmcastport: %s\n\t\tmember {\n\t\t\tmemberaddr: 127.0.0.1\n\t\t}\n\t}\n}\nlogging {\n\tto_stderr: yes\n\tto_syslog: no\n}\n' "$PORT" > "$TMP/node.conf"
AIS_RUN_DIR=$TMP "$BUILD/aisexec" -f -c "$TMP/node.conf" 2>"$TMP/node.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$TMP"' EXIT
"$@"
