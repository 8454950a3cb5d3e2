#!/bin/bash
# The lock benchmark (c-tests/lck_bench.c): on one executive, then on node 1 of three
# on 127.0.0.1-3 with the hand-off partner on node 2. Figures, not a test.
#   c-tests/lck-bench.sh BUILD_DIR [lck_bench args...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
BUILD=$1; shift
BENCH=$BUILD/c-tests/lck_bench
echo "== one node"
"$(dirname "$0")/one-node.sh" "$BUILD" "$BENCH" "$@"
echo "== three nodes (the hand-off partner on node 2)"
ais_cluster lck-bench "$BUILD"
for i in 1 2 3; do ais_start "$i" 3; done
ais_on 1 "$BUILD/c-tests/clm_live" wait 3 30 >/dev/null || ais_fail "three members never seen"
LCK_BENCH_PEER_SOCKET=$(ais_socket 2) ais_on 1 "$BENCH" "$@"
