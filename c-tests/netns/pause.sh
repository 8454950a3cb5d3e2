#!/bin/bash
# A stalled node: four executives, every member multicasting; node 4's
# executive is stopped (SIGSTOP) until the others have formed a ring without
# it, then continued (SIGCONT). Nodes 1-3 see node 4's member leave
# (NODEDOWN) and come back (NODEUP), all four end in one ring and one group,
# and all of them agree on what was delivered (bed_cpg_verify).
#   c-tests/netns/pause.sh BUILD_DIR
set -euo pipefail
BED_BUILD=${1:-target/release}
BED_NAME=netns-pause
. "$(dirname "$0")/bed.sh"

bed_init 4
for i in 1 2 3 4; do bed_start "$i"; done
bed_wait_ring "1 2 3 4" 20
for i in 1 2 3 4; do bed_cpg_start "$i"; done
bed_cpg_wait "1 2 3 4" 10
bed_send_start "1 2 3 4"
sleep 1

bed_log "node 4 stopped (SIGSTOP)"
paused_at=$SECONDS
bed_pause 4
bed_wait_ring "1 2 3" 10
bed_cpg_wait "1 2 3" 10
sleep 1 # well past the token timeout ($BED_TOKEN ms)
bed_log "node 4 continued (SIGCONT) after about $((SECONDS - paused_at))s"
bed_resume 4
bed_wait_ring "1 2 3 4" 20
bed_cpg_wait "1 2 3 4" 10
sleep 1
bed_send_stop "1 2 3 4"
bed_cpg_settle "1 2 3 4" 10

if [ $BED_CPG = 1 ]; then
    id=$(bed_cpg_id 4)
    for i in 1 2 3; do
        gone=$(bed_cpg_expect "$i" L "$id:3" "node 4 stopped")
        back=$(bed_cpg_expect "$i" J "$id:4" "node 4 continued")
        [ "$gone" -lt "$back" ] || bed_fail "node $i saw $id come back (line $back) before it left (line $gone)"
    done
    bed_log "nodes 1-3 saw $id leave (NODEDOWN), then come back (NODEUP)"
    bed_cpg_verify "1 2 3 4"
fi
bed_log ok
