#!/bin/bash
# MSG against three executives on 127.0.0.1-3 (udpu): a queue opened on node 1 receives
# from senders on nodes 2 and 3, highest priority first; then node 1's executive is
# killed with SIGKILL and a client of node 2 opens the queue and finds every message
# acknowledged meanwhile, in order.
#   c-tests/msg-cluster.sh BUILD_DIR CLIENT              (CLIENT: msg_failover)
#   c-tests/msg-cluster.sh BUILD_DIR --bench BENCH [ARGS] (receiver on 1, sender on 2)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
BUILD=${1:-target/release}
ais_cluster msg-cluster "$BUILD"
for i in 1 2 3; do ais_start "$i" 3; done

if [ "${2:-}" = --bench ]; then
    BENCH=$3; shift 3
    sleep 3
    echo "msg-cluster: benchmark, receiver on node 1, sender on node 2"
    ais_on 1 "$BENCH" recv "$@" &
    RECV=$!
    sleep 1
    ais_on 2 "$BENCH" send "$@" || ais_fail "bench sender"
    wait $RECV || ais_fail "bench receiver"
    exit 0
fi

CLIENT=$2
D=$AIS_TMP/q
mkdir -p "$D"
echo "msg-cluster: the queue on node 1, senders on nodes 2 and 3"
# (Not through ais_on: $! must be the holder itself, killed at the end.)
AIS_IPC_SOCKET=$(ais_socket 1) "$CLIENT" hold safMq=cluster "$D" 10 &
HOLDER=$!
trap 'kill -KILL $HOLDER 2>/dev/null || true; ais_cluster_cleanup' EXIT
for _ in $(seq 300); do [ -e "$D/opened" ] && break; sleep 0.1; done
[ -e "$D/opened" ] || ais_fail "node 1 never opened the queue"
ais_on 2 "$CLIENT" send safMq=cluster 3 low 5 >/dev/null || ais_fail "sends from node 2"
ais_on 3 "$CLIENT" send safMq=cluster 0 high 5 >/dev/null || ais_fail "sends from node 3"
touch "$D/go"
for _ in $(seq 300); do [ -e "$D/got" ] && [ "$(wc -l < "$D/got")" -ge 10 ] && break; sleep 0.1; done
printf '%s\n' high-0 high-1 high-2 high-3 high-4 low-0 low-1 low-2 low-3 low-4 > "$D/want"
diff "$D/want" "$D/got" || ais_fail "node 1 did not get the messages highest priority first"

echo "msg-cluster: messages acknowledged, then node 1 killed with SIGKILL"
ais_on 2 "$CLIENT" send safMq=cluster 1 kept 20 > "$D/acked" || ais_fail "sends before the kill"
ais_on 3 "$CLIENT" send safMq=cluster 2 also 5 >> "$D/acked" || ais_fail "sends before the kill"
kill -KILL "${AIS_PIDS[1]}"
unset "AIS_PIDS[1]"
ais_on 2 "$CLIENT" drain safMq=cluster 30 > "$D/drained" || ais_fail "opening the queue on node 2"
diff "$D/acked" "$D/drained" || ais_fail "the survivor's queue lacks acknowledged messages"
echo "msg-cluster: ok"
