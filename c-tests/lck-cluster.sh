#!/bin/bash
# The lock service across three executives on 127.0.0.1-3 (udpu): EX contention from
# two nodes; the holder's node killed with -9 and the waiter on another node granted;
# an orphan lock surviving its holder and purged; a cross-node deadlock detected.
#   c-tests/lck-cluster.sh BUILD_DIR
# Needs clm_live (mk/clm.mk) to wait for the membership.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
BUILD=${1:-target/release}
LCK=$BUILD/c-tests/lck_live
CLM=$BUILD/c-tests/clm_live
ais_cluster lck-cluster "$BUILD"

# Waits until a background holder's output says it holds its lock.
held() { # file name
    local end=$((SECONDS + 30))
    until grep -q "held $2" "$1" 2>/dev/null; do
        [ $SECONDS -lt $end ] || ais_fail "the lock on $2 was never held"
        sleep 0.1
    done
}

for i in 1 2 3; do ais_start "$i" 3; done
ais_on 1 "$CLM" wait 3 30 || ais_fail "three members never seen from node 1"

echo "lck-cluster: EX contention from two nodes"
ais_on 1 "$LCK" hold res-a 0 3 > "$AIS_TMP/a.out" &
HOLDER=$!
held "$AIS_TMP/a.out" res-a
ais_on 2 "$LCK" expect res-a noqueue 5 not_queued || ais_fail "node 2 was not refused the held lock"
ais_on 2 "$LCK" expect res-a 0 30 granted || ais_fail "node 2 was not granted the lock node 1 gave up"
wait $HOLDER || ais_fail "the holder on node 1"

echo "lck-cluster: the holder's node killed with -9, the waiter on node 2 granted"
# Started without the ais_on function, so that $! is the holder itself.
AIS_IPC_SOCKET=$(ais_socket 1) "$LCK" hold res-b 0 600 > "$AIS_TMP/b.out" &
HOLDER=$!
held "$AIS_TMP/b.out" res-b
ais_on 2 "$LCK" expect res-b 0 60 granted > "$AIS_TMP/b2.out" &
WAITER=$!
sleep 1
grep -q . "$AIS_TMP/b2.out" && ais_fail "node 2 was granted while node 1 held the lock"
kill -KILL "${AIS_PIDS[1]}"
wait "${AIS_PIDS[1]}" 2>/dev/null || true
unset "AIS_PIDS[1]"
kill -KILL $HOLDER 2>/dev/null || true
wait $HOLDER 2>/dev/null || true
wait $WAITER || ais_fail "the waiter on node 2 was not granted after node 1 died"

echo "lck-cluster: an orphan lock survives its holder until purged"
ais_on 2 "$LCK" hold res-c orphan 0 > /dev/null || ais_fail "orphan lock on node 2"
ais_on 3 "$LCK" expect res-c noqueue 5 orphaned || ais_fail "node 3 did not see the orphan lock"
ais_on 3 "$LCK" purge res-c || ais_fail "purge on node 3"
ais_on 3 "$LCK" expect res-c noqueue 5 granted || ais_fail "the purged resource was not free"

echo "lck-cluster: a cross-node deadlock detected"
ais_on 2 "$LCK" cross res-x res-y 2 granted &
FIRST=$!
sleep 1
ais_on 3 "$LCK" cross res-y res-x 2 deadlock || ais_fail "node 3's request closing the cycle was not DEADLOCK"
wait $FIRST || ais_fail "node 2 was not granted once node 3 gave up"
echo "lck-cluster: ok"
