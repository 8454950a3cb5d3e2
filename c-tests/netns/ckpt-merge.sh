#!/bin/bash
# Checkpoints changed on both sides of a partition (the rule of saCkpt(3),
# "Partitions"): four nodes share checkpoint "merged"; the network is cut into
# {1,2} and {3,4}; each side overwrites it, and side {3,4} also creates
# "right-only". After the heal every node must read the copy of the side
# whose old ring had the lowest representative (node 1's side), and
# "right-only", held by one side only, must be kept.
#   c-tests/netns/ckpt-merge.sh BUILD_DIR
set -euo pipefail
BED_BUILD=${1:-target/release}
BED_NAME=netns-ckpt-merge
. "$(dirname "$0")/bed.sh"
PROG=$BED_BUILD/c-tests/ckpt_live
[ -x "$PROG" ] || { echo "$BED_NAME: $PROG not built"; exit 1; }
ck() { # NODE write|read NAME TEXT
    local i=$1
    shift
    ip netns exec "$(bed_ns "$i")" env LD_LIBRARY_PATH="$BED_BUILD" "$PROG" "$@" >> "$BED_DIR/ckpt$i.log" 2>&1 ||
        bed_fail "node $i: ckpt_live $* failed: $(tail -3 "$BED_DIR/ckpt$i.log")"
}

bed_init 4
for i in 1 2 3 4; do bed_start "$i"; done
bed_wait_ring "1 2 3 4" 20
ck 1 write merged before
for i in 1 2 3 4; do ck "$i" read merged before; done

bed_partition "3 4"
bed_wait_ring "1 2" 10
bed_wait_ring "3 4" 10
ck 1 write merged left-side
ck 3 write merged right-side
ck 4 write right-only here
ck 2 read merged left-side
ck 4 read merged right-side
bed_log "partitioned: {1,2} wrote left-side, {3,4} wrote right-side and right-only"

bed_heal
bed_wait_ring "1 2 3 4" 20
for i in 1 2 3 4; do
    ck "$i" read merged left-side
    ck "$i" read right-only here
done
bed_log "healed: every node reads node 1's side's copy, and the one-sided checkpoint is kept"
bed_log ok
