#!/bin/bash
# Runs the CPG benchmark (c-tests/cpg_bench.c) against one executive on
# 127.0.0.1 that this script starts and stops.
#
#   c-tests/cpg-bench.sh ais BUILD_DIR BENCH [ARGS...]
#       aisexec from BUILD_DIR (udpu, secauth off, an IPC socket of its own);
#       BENCH loads libcpg from BUILD_DIR first.
#   c-tests/cpg-bench.sh corosync udpu|knet|knet-crypto BENCH [ARGS...]
#       corosync 3 from the system, in the foreground with a private config
#       (one node, no quorum provider): udpu, or knet with crypto off, or knet
#       with aes256/sha256 and a key from corosync-keygen (corosync encrypts
#       only on knet). BENCH should be linked against the system libcpg.
#       Needs root (corosync's IPC and run directories) and no other corosync.
#
# ARGS go to the benchmark (cpg_bench -h). The figures are printed, never judged.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

corosync_config() {
    local transport=$1 cipher=$2 hash=$3 dir=$4 port=$5
    printf 'totem {\n\tversion: 2\n\tcluster_name: bench\n\ttransport: %s\n' "$transport"
    printf '\tcrypto_cipher: %s\n\tcrypto_hash: %s\n' "$cipher" "$hash"
    if [ "$cipher" != none ]; then printf '\tkeyfile: %s/authkey\n' "$dir"; fi
    printf '\tinterface {\n\t\tlinknumber: 0\n\t\tmcastport: %s\n\t}\n}\n' "$port"
    printf 'nodelist {\n\tnode {\n\t\tring0_addr: 127.0.0.1\n\t\tnodeid: 1\n\t\tname: bench1\n\t}\n}\n'
    printf 'system {\n\tstate_dir: %s\n}\n' "$dir"
    printf 'logging {\n\tto_stderr: yes\n\tto_logfile: no\n\tto_syslog: no\n\ttimestamp: on\n}\n'
}

case ${1:-} in
ais)
    [ $# -ge 3 ] || { echo "usage: $0 ais BUILD_DIR BENCH [ARGS...]" >&2; exit 2; }
    shift
    exec "$HERE/one-node.sh" "$@"
    ;;
corosync)
    [ $# -ge 3 ] || { echo "usage: $0 corosync udpu|knet|knet-crypto BENCH [ARGS...]" >&2; exit 2; }
    MODE=$2; shift 2
    command -v corosync >/dev/null || { echo "$0: corosync is not installed" >&2; exit 2; }
    . "$HERE/lib.sh"
    TMP=$(mktemp -d)
    PORT=$(ais_port)
    case $MODE in
    udpu) corosync_config udpu none none "$TMP" "$PORT" > "$TMP/corosync.conf" ;;
    knet) corosync_config knet none none "$TMP" "$PORT" > "$TMP/corosync.conf" ;;
    knet-crypto)
        corosync-keygen -k "$TMP/authkey" >/dev/null
        corosync_config knet aes256 sha256 "$TMP" "$PORT" > "$TMP/corosync.conf"
        ;;
    *) echo "$0: unknown corosync mode '$MODE'" >&2; rm -rf "$TMP"; exit 2 ;;
    esac
    mkdir -p /var/run/corosync /var/lib/corosync /var/log/corosync
    corosync -f -c "$TMP/corosync.conf" >"$TMP/corosync.log" 2>&1 &
    PID=$!
    trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$TMP"' EXIT
    for _ in $(seq 100); do
        grep -q 'ready to provide service' "$TMP/corosync.log" && break
        kill -0 $PID 2>/dev/null || { cat "$TMP/corosync.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "corosync $(corosync -v | sed -n "s/.*version '\(.*\)'.*/\1/p") ($MODE), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    "$@"
    ;;
*)
    echo "usage: $0 ais BUILD_DIR BENCH [ARGS...] | corosync udpu|knet|knet-crypto BENCH [ARGS...]" >&2
    exit 2
    ;;
esac
