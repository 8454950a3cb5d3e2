#!/bin/bash
# Checkpoint failover: a writer on node 1 appends numbered records to a
# checkpoint as fast as it can while a reader on node 2 follows; node 1 is
# killed (SIGKILL, writer and executive) at a random moment. Every record the
# writer saw acknowledged must then be readable on nodes 2 and 3, in order,
# with nothing invented; then a fresh node 4 joins and must read the same.
# Repeated ROUNDS times (default 3) with other kill times.
#   c-tests/netns/ckpt-failover.sh BUILD_DIR [ROUNDS]
set -euo pipefail
BED_BUILD=${1:-target/release}
ROUNDS=${2:-3}
HERE=$(dirname "$0")
PROG=$BED_BUILD/c-tests/ckpt_failover
[ -x "$PROG" ] || { echo "netns-ckpt-failover: $PROG not built"; exit 1; }

round() { # ROUND
    BED_NAME="netns-ckpt-failover round $1"
    . "$HERE/bed.sh"
    bed_init 4
    for i in 1 2 3; do bed_start "$i"; done
    bed_wait_ring "1 2 3" 20
    local name=failover-$$-$1 ack=$BED_DIR/acked kill_ms
    in_ns() { local i=$1; shift; ip netns exec "$(bed_ns "$i")" env LD_LIBRARY_PATH="$BED_BUILD" "$@"; }
    in_ns 1 "$PROG" writer "$name" "$ack" 2> "$BED_DIR/writer.err" &
    # The reader opens the checkpoint once the writer has created it.
    local end=$((SECONDS + 10))
    until [ -s "$ack" ]; do
        [ $SECONDS -lt $end ] || bed_fail "the writer acknowledged nothing in 10s: $(cat "$BED_DIR/writer.err")"
        sleep 0.05
    done
    in_ns 2 "$PROG" follow "$name" 4 > "$BED_DIR/follow.out" 2>&1 &
    local follower=$!
    kill_ms=$((300 + RANDOM % 2000))
    sleep "$((kill_ms / 1000)).$(printf %03d $((kill_ms % 1000)))"
    bed_kill 1
    bed_log "node 1 killed after ${kill_ms} ms, $(wc -l < "$ack") records acknowledged"
    bed_wait_ring "2 3" 10
    wait "$follower" || bed_fail "the reader on node 2 saw something wrong: $(cat "$BED_DIR/follow.out")"
    for i in 2 3; do
        in_ns "$i" "$PROG" check "$name" "$ack" || bed_fail "node $i lost acknowledged records"
    done
    bed_start 4
    bed_wait_ring "2 3 4" 20
    in_ns 4 "$PROG" check "$name" "$ack" || bed_fail "node 4, joining later, does not have them"
    bed_log "ok"
}

for r in $(seq 1 "$ROUNDS"); do
    (round "$r")
done
