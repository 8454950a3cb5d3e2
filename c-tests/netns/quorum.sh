#!/bin/bash
# Quorum across a partition (openais.conf(5), QUORUM; votequorum(5)): five
# nodes with expected_votes 5 are cut into {1,2,3} and {4,5}. The three are
# quorate and keep accepting checkpoint writes; the two are not and refuse
# them (TRY_AGAIN on a B.01.01 handle, UNAVAILABLE on a B.02.03 one), so they
# acknowledge nothing. After the heal every node reads the three's data.
#   c-tests/netns/quorum.sh BUILD_DIR
set -euo pipefail
BED_BUILD=${1:-target/release}
BED_NAME=netns-quorum
BED_QUORUM=$'\tprovider: corosync_votequorum\n\texpected_votes: 5'
. "$(dirname "$0")/bed.sh"
LIVE=$BED_BUILD/c-tests/ckpt_live
WRITER=$BED_BUILD/c-tests/ckpt_quorum
for p in "$LIVE" "$WRITER" "$BED_BUILD/ais-quorumtool"; do [ -x "$p" ] || { echo "$BED_NAME: $p not built"; exit 1; }; done
ck() { # NODE read NAME TEXT
    local i=$1
    shift
    ip netns exec "$(bed_ns "$i")" env LD_LIBRARY_PATH="$BED_BUILD" "$LIVE" "$@" >> "$BED_DIR/ckpt$i.log" 2>&1 ||
        bed_fail "node $i: ckpt_live $* failed: $(tail -3 "$BED_DIR/ckpt$i.log")"
}
declare -a W=()
writer() { # NODE NAME TEXT VERSION WANT: opens now, writes once $BED_DIR/go exists
    local i=$1
    ip netns exec "$(bed_ns "$i")" env LD_LIBRARY_PATH="$BED_BUILD" \
        "$WRITER" "$2" "$3" "$4" "$BED_DIR/go$i" "$5" >> "$BED_DIR/writer$i.log" 2>&1 &
    W[$i]=$!
}

bed_init 5
for i in 1 2 3 4 5; do bed_start "$i"; done
bed_wait_ring "1 2 3 4 5" 20
bed_wait_quorate "1 2 3 4 5" 0 10
ck 1 write shared before
for i in 1 2 3 4 5; do ck "$i" read shared before; done
# Writers open their checkpoint while the whole cluster is quorate.
writer 1 shared three-side B.02.03 ok
writer 3 three-only here B.01.01 ok
writer 4 shared two-side B.01.01 refused
writer 5 shared two-side B.02.03 refused
for i in 1 3 4 5; do
    end=$((SECONDS + 15))
    until [ -e "$BED_DIR/go$i.ready" ]; do
        [ $SECONDS -lt $end ] || bed_fail "node $i: the writer did not open: $(cat "$BED_DIR/writer$i.log")"
        sleep 0.1
    done
done

bed_partition "4 5"
bed_wait_ring "1 2 3" 10
bed_wait_ring "4 5" 10
bed_wait_quorate "1 2 3" 0 5
bed_wait_quorate "4 5" 2 5
for i in 1 3 4 5; do touch "$BED_DIR/go$i"; done
for i in 1 3 4 5; do wait "${W[$i]}" || bed_fail "node $i: $(cat "$BED_DIR/writer$i.log")"; done
cat "$BED_DIR"/writer[1345].log | sed "s/^/$BED_NAME: /"
ck 2 read shared three-side
bed_log "partitioned: {1,2,3} quorate wrote, {4,5} not quorate refused every write"

bed_heal
bed_wait_ring "1 2 3 4 5" 20
bed_wait_quorate "1 2 3 4 5" 0 10
for i in 1 2 3 4 5; do
    ck "$i" read shared three-side
    ck "$i" read three-only here
done
bed_log "healed: every node reads the quorate side's data"
bed_log ok
