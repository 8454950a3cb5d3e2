#!/bin/bash
# Runs the timer benchmark (c-tests/tmr_bench.c) twice against the executive
# AIS_IPC_SOCKET names: idle, then while the CPG benchmark floods the same node
# with 1600-byte messages. Started through c-tests/one-node.sh:
#
#   c-tests/one-node.sh BUILD_DIR c-tests/tmr-bench.sh TMR_BENCH CPG_BENCH [ARGS...]
#
# ARGS go to TMR_BENCH (tmr_bench -h). The figures are printed, never judged.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 TMR_BENCH CPG_BENCH [ARGS...]" >&2; exit 2; }
TMR_BENCH=$1 CPG_BENCH=$2
shift 2

echo "tmr_bench, idle; load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$TMR_BENCH" "$@"

# The flood runs far longer than the benchmark and is stopped after it.
"$CPG_BENCH" -m flood -s 1600 -t 3600 -g tmr_bench_flood >/dev/null &
FLOOD=$!
trap 'kill -TERM $FLOOD 2>/dev/null || true; wait $FLOOD 2>/dev/null || true' EXIT
sleep 2
kill -0 $FLOOD 2>/dev/null || { echo "$0: cpg_bench did not start flooding" >&2; exit 1; }
echo "tmr_bench, while cpg_bench floods (1600 B); load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$TMR_BENCH" "$@"
kill -0 $FLOOD 2>/dev/null || { echo "$0: cpg_bench stopped before the benchmark ended" >&2; exit 1; }
