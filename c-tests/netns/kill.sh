#!/bin/bash
# Node crash: four executives, every member multicasting; node 4 (executive
# and member) gets SIGKILL. The other three form a ring of three, their CPG
# members see node 4's member leave with reason NODEDOWN, and all of them
# agree on what was delivered (bed_cpg_verify).
#   c-tests/netns/kill.sh BUILD_DIR
set -euo pipefail
BED_BUILD=${1:-target/release}
BED_NAME=netns-kill
. "$(dirname "$0")/bed.sh"

bed_init 4
for i in 1 2 3 4; do bed_start "$i"; done
bed_wait_ring "1 2 3 4" 20
for i in 1 2 3 4; do bed_cpg_start "$i"; done
bed_cpg_wait "1 2 3 4" 10
bed_send_start "1 2 3 4"
sleep 1.5

bed_log "node 4 killed (SIGKILL)"
[ $BED_CPG = 1 ] && victim=$(bed_cpg_id 4)
bed_kill 4
bed_wait_ring "1 2 3" 10
bed_cpg_wait "1 2 3" 10
sleep 1
bed_send_stop "1 2 3"
bed_cpg_settle "1 2 3" 10

if [ $BED_CPG = 1 ]; then
    for i in 1 2 3; do bed_cpg_expect "$i" L "$victim:3" "node 4 killed" > /dev/null; done
    bed_log "nodes 1-3 saw $victim leave with NODEDOWN"
    bed_cpg_verify "1 2 3"
fi
bed_log ok
