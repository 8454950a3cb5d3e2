#!/bin/bash
# Runs the CLM C tests against live executives on this machine only:
# one aisexec on 127.0.0.1, then three on 127.0.0.1-3 (udpu), with one of
# them stopped and restarted while a client on another node tracks changes.
#   c-tests/clm-cluster.sh BUILD_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
BUILD=${1:-target/release}
CLIENT=$BUILD/c-tests/clm_live
ais_cluster clm-cluster "$BUILD"

echo "clm-cluster: one node"
ais_start 1 1
ais_on 1 "$CLIENT" api || ais_fail "API test against one node"
ais_stop 1 || ais_fail "stopping node 1"

echo "clm-cluster: three nodes"
for i in 1 2 3; do ais_start "$i" 3; done
ais_on 1 "$CLIENT" wait 3 30 || ais_fail "three members never seen from node 1"
ais_on 2 "$CLIENT" api || ais_fail "API test in a three-node cluster"
echo "clm-cluster: locking node 2 (127.0.0.2) from node 1"
ais_on 1 "$CLIENT" admin 2130706434 "$BUILD/ais-clmtool" || ais_fail "administrative operations"
echo "clm-cluster: stopping node 3"
ais_stop 3 || ais_fail "stopping node 3"
ais_on 1 "$CLIENT" wait 2 10 || ais_fail "node 1 did not see node 3 leave"
echo "clm-cluster: restarting node 3"
ais_start 3 3
ais_on 1 "$CLIENT" wait 3 30 || ais_fail "node 1 did not see node 3 come back"
# initialViewNumber is the view a node joined in, alike on every node: node 1
# started the cluster, node 2 joined no earlier, node 3 rejoined last.
IDS="2130706433 2130706434 2130706435"
seen=$(ais_on 1 "$CLIENT" views $IDS) || ais_fail "initial views from node 1"
for i in 2 3; do
    other=$(ais_on "$i" "$CLIENT" views $IDS) || ais_fail "initial views from node $i"
    [ "$other" = "$seen" ] || ais_fail "initial views differ: node 1 says $(echo $seen), node $i $(echo $other)"
done
read -r v1 v2 v3 <<<"$(awk '{print $2}' <<<"$seen" | tr '\n' ' ')"
[ "$v1" -le "$v2" ] && [ "$v2" -lt "$v3" ] || ais_fail "initial views not in joining order: $(echo $seen)"
echo "clm-cluster: initial views, alike on every node: $(echo $seen)"
echo "clm-cluster: ok"
