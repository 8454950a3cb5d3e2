#!/bin/bash
# The CPG benchmark across two executives, each in a network namespace of its
# own (the test bed of c-tests/netns/bed.sh: veth pairs to a bridge in a hub
# namespace, nothing leaves the machine), once with secauth off and once on,
# so the cost of the wire security shows as a ratio measured in one run.
#
#   c-tests/cpg-bench-netns.sh BUILD_DIR [cpg_bench ARGS...]
#
# Needs root and iproute2. Figures are printed, never judged.
set -euo pipefail
BUILD=${1:?usage: cpg-bench-netns.sh BUILD_DIR [ARGS...]}
shift
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH=$BUILD/c-tests/cpg_bench
[ -x "$BENCH" ] || { echo "cpg-bench-netns: $BENCH not built (make bench-cpg builds it)"; exit 1; }

run() { # secauth on|off, then the benchmark's arguments
    local mode=$1
    shift
    (
        BED_BUILD=$BUILD BED_NAME="cpg-bench-netns secauth $mode"
        . "$HERE/netns/bed.sh"
        bed_init 2
        for i in 1 2; do
            [ "$mode" = off ] && sed -i 's/secauth: on/secauth: off/' "$BED_DIR/node$i.conf"
            bed_start "$i"
        done
        bed_wait_ring "1 2" 20
        echo "== two nodes in network namespaces, secauth $mode"
        ip netns exec "$(bed_ns 1)" env LD_LIBRARY_PATH="$(cd "$BUILD" && pwd)" "$BENCH" "$@"
    )
}

run off "$@"
run on "$@"
