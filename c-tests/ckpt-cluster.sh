#!/bin/bash
# Runs the CKPT C test against three executives on 127.0.0.1-3 (udpu): the API test
# on one node of the cluster, data written on one node read on the others, and a node
# stopped while a checkpoint is written, then restarted: it must get the checkpoint.
#   c-tests/ckpt-cluster.sh BUILD_DIR
# Needs clm_live (mk/clm.mk) to wait for the membership.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
BUILD=${1:-target/release}
CLIENT=$BUILD/c-tests/ckpt_live
CLM=$BUILD/c-tests/clm_live
ais_cluster ckpt-cluster "$BUILD"

echo "ckpt-cluster: three nodes"
for i in 1 2 3; do ais_start "$i" 3; done
ais_on 1 "$CLM" wait 3 30 || ais_fail "three members never seen from node 1"
ais_on 2 "$CLIENT" || ais_fail "API test in a three-node cluster"
ais_on 1 "$CLIENT" write safCkpt=cluster "written on node 1" || ais_fail "write on node 1"
for i in 2 3; do
    ais_on "$i" "$CLIENT" read safCkpt=cluster "written on node 1" || ais_fail "node $i does not read node 1's write"
done
ais_on 3 "$CLIENT" write safCkpt=cluster "then on node 3" || ais_fail "write on node 3"
ais_on 1 "$CLIENT" read safCkpt=cluster "then on node 3" || ais_fail "node 1 does not read node 3's write"

echo "ckpt-cluster: stopping node 2, writing, restarting it"
ais_stop 2 || ais_fail "stopping node 2"
ais_on 1 "$CLM" wait 2 10 || ais_fail "node 1 did not see node 2 leave"
ais_on 1 "$CLIENT" write safCkpt=cluster "while node 2 was away" || ais_fail "write with node 2 away"
ais_on 3 "$CLIENT" write safCkpt=later "created while node 2 was away" || ais_fail "create with node 2 away"
ais_start 2 3
ais_on 1 "$CLM" wait 3 30 || ais_fail "node 1 did not see node 2 come back"
ais_on 2 "$CLIENT" read safCkpt=cluster "while node 2 was away" || ais_fail "node 2 missed a write made while it was away"
ais_on 2 "$CLIENT" read safCkpt=later "created while node 2 was away" || ais_fail "node 2 missed a checkpoint created while it was away"
echo "ckpt-cluster: ok"
