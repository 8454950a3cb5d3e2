#!/bin/bash
# A node with the wrong key: nodes 1-3 share the cluster key and multicast;
# node 4 is started with another key (and multicasts too). Its datagrams are
# dropped for a bad digest: it never enters the ring of 1-3 (ais-cfgtool) nor
# their group (CPG), the ring is not re-formed because of it, and nodes 1-3
# keep delivering. Node 4 stays alone in a ring of its own.
#   c-tests/netns/wrongkey.sh BUILD_DIR
set -euo pipefail
BED_BUILD=${1:-target/release}
BED_NAME=netns-wrongkey
. "$(dirname "$0")/bed.sh"

bed_init 4
for i in 1 2 3; do bed_start "$i"; done
bed_wait_ring "1 2 3" 20
for i in 1 2 3; do bed_cpg_start "$i"; done
bed_cpg_wait "1 2 3" 10
bed_send_start "1 2 3"
rings=$(bed_counter 1 rings_formed)
[ $BED_CPG = 1 ] && before=$(grep -c '^D' "$(bed_cpg_log 1)")

bed_log "node 4 started with the wrong key"
bed_start 4 "$BED_DIR/wrongkey"
bed_wait_ring "4" 10
bed_cpg_start 4
bed_cpg_wait "4" 10
bed_send_start 4
# Several token timeouts and merge attempts; the rings must not change meanwhile.
for t in $(seq 1 15); do
    for i in 1 2 3; do
        m=$(bed_ring "$i")
        [ "$m" = "1 2 3" ] || bed_fail "node $i's ring is ($m) with node 4 running with the wrong key"
    done
    m=$(bed_ring 4)
    [ "$m" = "4" ] || bed_fail "node 4 (wrong key) is in a ring of ($m)"
    sleep 0.2
done
for i in 1 2 3; do
    d=$(bed_counter "$i" dropped_bad_digest)
    [ "${d:-0}" -gt 0 ] || bed_fail "node $i dropped no datagram for a bad digest"
done
d=$(bed_counter 4 dropped_bad_digest)
[ "${d:-0}" -gt 0 ] || bed_fail "node 4 dropped no datagram for a bad digest"
[ "$(bed_counter 1 rings_formed)" = "$rings" ] ||
    bed_fail "node 1 formed $(( $(bed_counter 1 rings_formed) - rings )) more rings while node 4 ran with the wrong key"
bed_log "rings unchanged: (1 2 3) and (4); bad-digest drops on every node"

bed_send_stop "1 2 3 4"
bed_cpg_settle "1 2 3" 10
bed_cpg_settle "4" 10
if [ $BED_CPG = 1 ]; then
    for i in 1 2 3; do
        ! grep -Eq '^(C.* 4:|D 4 )' "$(bed_cpg_log "$i")" || bed_fail "node $i's member saw node 4"
    done
    ! grep -Eq '^(C.* [123]:|D [123] )' "$(bed_cpg_log 4)" || bed_fail "node 4's member saw nodes 1-3"
    after=$(grep -c '^D' "$(bed_cpg_log 1)")
    [ $((after - before)) -gt 300 ] || bed_fail "node 1 delivered only $((after - before)) messages meanwhile"
    bed_log "CPG: node 4 never in the group of 1-3; node 1 delivered $((after - before)) messages meanwhile"
    bed_cpg_verify "1 2 3"
    bed_cpg_verify "4"
fi
bed_log ok
