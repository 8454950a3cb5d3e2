#!/bin/bash
# two_node (votequorum(5)): in a two-node cluster one node alone stays
# quorate when the other is killed, and keeps accepting checkpoint writes.
#   c-tests/netns/quorum-two-node.sh BUILD_DIR
set -euo pipefail
BED_BUILD=${1:-target/release}
BED_NAME=netns-quorum-two-node
BED_QUORUM=$'\tprovider: corosync_votequorum\n\texpected_votes: 2\n\ttwo_node: 1'
. "$(dirname "$0")/bed.sh"
LIVE=$BED_BUILD/c-tests/ckpt_live
ck() { # NODE write|read NAME TEXT
    local i=$1
    shift
    ip netns exec "$(bed_ns "$i")" env LD_LIBRARY_PATH="$BED_BUILD" "$LIVE" "$@" >> "$BED_DIR/ckpt$i.log" 2>&1 ||
        bed_fail "node $i: ckpt_live $* failed: $(tail -3 "$BED_DIR/ckpt$i.log")"
}

bed_init 2
bed_start 1
bed_start 2
bed_wait_ring "1 2" 20
bed_wait_quorate "1 2" 0 10
grep -q '2Node' "$BED_DIR/quorum1.out" || bed_fail "no 2Node flag: $(cat "$BED_DIR/quorum1.out")"
bed_kill 2
bed_wait_ring "1" 10
bed_wait_quorate "1" 0 5
ck 1 write alone survivor
ck 1 read alone survivor
bed_log "node 2 killed: node 1 alone is quorate and takes writes"
bed_log ok
