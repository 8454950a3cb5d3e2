#!/bin/bash
# A network partition: five executives, every member multicasting; the network
# is cut into {1,2,3} and {4,5}, then healed. Each side forms its own ring and
# sees the other side's members leave (NODEDOWN); after the heal all five merge
# and each side sees the other's members join (NODEUP). All members agree on
# what was delivered (bed_cpg_verify): each side on what it delivered apart.
#   c-tests/netns/partition.sh BUILD_DIR
set -euo pipefail
BED_BUILD=${1:-target/release}
BED_NAME=netns-partition
. "$(dirname "$0")/bed.sh"

bed_init 5
for i in 1 2 3 4 5; do bed_start "$i"; done
bed_wait_ring "1 2 3 4 5" 20
for i in 1 2 3 4 5; do bed_cpg_start "$i"; done
bed_cpg_wait "1 2 3 4 5" 10
bed_send_start "1 2 3 4 5"
sleep 1

bed_log "network cut into {1,2,3} and {4,5}"
bed_partition "4 5"
bed_wait_ring "1 2 3" 10
bed_wait_ring "4 5" 10
bed_cpg_wait "1 2 3" 10
bed_cpg_wait "4 5" 10
sleep 1
bed_log "network healed"
bed_heal
bed_wait_ring "1 2 3 4 5" 20
bed_cpg_wait "1 2 3 4 5" 10
sleep 1
bed_send_stop "1 2 3 4 5"
bed_cpg_settle "1 2 3 4 5" 10

# expect_apart_and_back "SEEN_BY" "NODES": SEEN_BY saw each of NODES leave, then join.
expect_apart_and_back() {
    local i j id gone back
    for j in $2; do
        id=$(bed_cpg_id "$j")
        for i in $1; do
            gone=$(bed_cpg_expect "$i" L "$id:3" "partition")
            back=$(bed_cpg_expect "$i" J "$id:4" "heal")
            [ "$gone" -lt "$back" ] || bed_fail "node $i saw $id join (line $back) before it left (line $gone)"
        done
    done
}
if [ $BED_CPG = 1 ]; then
    expect_apart_and_back "1 2 3" "4 5"
    expect_apart_and_back "4 5" "1 2 3"
    bed_log "each side saw the other leave (NODEDOWN), then join (NODEUP)"
    bed_cpg_verify "1 2 3 4 5"
fi
bed_log ok
