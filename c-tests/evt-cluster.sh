#!/bin/bash
# Runs the EVT C test against three executives on 127.0.0.1-3 (udpu): the API test on
# one node of the cluster; subscribers on every node and publishers on two, every
# subscriber receiving the same events in the same order; then a retained event
# published on node 1, node 1 killed with -9 while node 3 is away, node 3 started again:
# the retained event reaches it.
#   c-tests/evt-cluster.sh BUILD_DIR
# Needs clm_live (mk/clm.mk) to wait for the membership.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
BUILD=${1:-target/release}
CLIENT=$BUILD/c-tests/evt_live
CLM=$BUILD/c-tests/clm_live
EACH=300
ais_cluster evt-cluster "$BUILD"

echo "evt-cluster: three nodes"
for i in 1 2 3; do ais_start "$i" 3; done
ais_on 1 "$CLM" wait 3 30 || ais_fail "three members never seen from node 1"
ais_on 2 "$CLIENT" >"$AIS_TMP/api.log" || { cat "$AIS_TMP/api.log"; ais_fail "API test in a three-node cluster"; }

echo "evt-cluster: subscribers on every node, publishers on nodes 1 and 3"
SUBS=()
for i in 1 2 3; do
    ais_on "$i" "$CLIENT" sub order $((2 * EACH)) "$AIS_TMP/ready$i" >"$AIS_TMP/sub$i.out" &
    SUBS+=($!)
done
for i in 1 2 3; do
    for _ in $(seq 100); do [ -e "$AIS_TMP/ready$i" ] && break; sleep 0.1; done
    [ -e "$AIS_TMP/ready$i" ] || ais_fail "subscriber on node $i never subscribed"
done
ais_on 1 "$CLIENT" pub order one "$EACH" & P1=$!
ais_on 3 "$CLIENT" pub order three "$EACH" & P3=$!
wait "$P1" || ais_fail "publisher on node 1"
wait "$P3" || ais_fail "publisher on node 3"
for i in 1 2 3; do
    wait "${SUBS[$((i - 1))]}" || ais_fail "subscriber on node $i got $(wc -l <"$AIS_TMP/sub$i.out") of $((2 * EACH))"
done
for i in 2 3; do
    cmp -s "$AIS_TMP/sub1.out" "$AIS_TMP/sub$i.out" || ais_fail "node $i saw another order than node 1"
done
# Both publishers' events, each publisher's in its own order.
for p in one three; do
    grep "^$p-" "$AIS_TMP/sub1.out" | sort -t- -k2 -n -c || ais_fail "$p's events out of order"
done
[ "$(grep -c '^one-' "$AIS_TMP/sub1.out")" = "$EACH" ] || ais_fail "node 1's events missing"
echo "evt-cluster: $((2 * EACH)) events in one order on three nodes"

echo "evt-cluster: a retained event outlives its publisher's node and reaches a node started later"
ais_stop 3 || ais_fail "stopping node 3"
ais_on 2 "$CLM" wait 2 10 || ais_fail "node 2 did not see node 3 leave"
ais_on 1 "$CLIENT" keep kept "retained on node 1" 300 || ais_fail "publishing the retained event"
kill -KILL "${AIS_PIDS[1]}"
wait "${AIS_PIDS[1]}" 2>/dev/null || true
unset "AIS_PIDS[1]"
ais_on 2 "$CLM" wait 1 10 || ais_fail "node 2 did not see node 1 die"
ais_start 3 3
ais_on 3 "$CLM" wait 2 30 || ais_fail "node 3 did not join node 2"
ais_on 3 "$CLIENT" kept kept "retained on node 1" || ais_fail "node 3 did not receive the retained event"
ais_on 2 "$CLIENT" kept kept "retained on node 1" || ais_fail "node 2 lost the retained event"
echo "evt-cluster: ok"
