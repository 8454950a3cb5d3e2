#!/bin/bash
# wait_for_all (votequorum(5)): three nodes expecting three votes; two of
# them started are a majority but not quorate until all three have been
# seen together once; then losing one keeps quorum.
#   c-tests/netns/quorum-wait-for-all.sh BUILD_DIR
set -euo pipefail
BED_BUILD=${1:-target/release}
BED_NAME=netns-quorum-wait-for-all
BED_QUORUM=$'\tprovider: votequorum\n\texpected_votes: 3\n\twait_for_all: 1'
. "$(dirname "$0")/bed.sh"

bed_init 3
bed_start 1
bed_start 2
bed_wait_ring "1 2" 20
bed_wait_quorate "1 2" 2 5
grep -q 'WaitForAll' "$BED_DIR/quorum1.out" || bed_fail "no WaitForAll flag: $(cat "$BED_DIR/quorum1.out")"
bed_log "two of three at start: not quorate (waiting for all)"
bed_start 3
bed_wait_ring "1 2 3" 20
bed_wait_quorate "1 2 3" 0 5
bed_kill 3
bed_wait_ring "1 2" 10
bed_wait_quorate "1 2" 0 5
bed_log "all seen once: quorate, and still with two of three"
bed_log ok
