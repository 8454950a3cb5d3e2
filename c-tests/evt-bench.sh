#!/bin/bash
# The event benchmark (c-tests/evt_bench.c): 64 B and 4 KiB events to one and eight
# subscribers, against one executive, then three on loopback (publisher on node 1,
# subscribers on node 2). Prints figures; fails only if a run fails.
#   c-tests/evt-bench.sh BUILD_DIR [evt_bench options...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
BUILD=$1; shift
BENCH=$BUILD/c-tests/evt_bench
CLM=$BUILD/c-tests/clm_live
ais_cluster evt-bench "$BUILD"

echo "== one node"
ais_start 1 1
ais_on 1 "$CLM" wait 1 30 || ais_fail "node 1 never formed its ring"
for size in 64 4096; do
    for k in 1 8; do
        ais_on 1 "$BENCH" -s "$size" -k "$k" "$@" || ais_fail "evt_bench -s $size -k $k"
    done
done
ais_stop 1

echo "== three nodes (loopback): publisher on node 1, subscribers on node 2"
for i in 1 2 3; do ais_start "$i" 3; done
ais_on 1 "$CLM" wait 3 30 || ais_fail "three members never seen"
for size in 64 4096; do
    for k in 1 8; do
        "$BENCH" -p "$(ais_socket 1)" -q "$(ais_socket 2)" -s "$size" -k "$k" "$@" || ais_fail "evt_bench -s $size -k $k (three nodes)"
    done
done
