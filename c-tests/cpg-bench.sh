#!/bin/bash
# Runs the CPG benchmark (c-tests/cpg_bench.c) against executives this
# script starts and stops.
#
#   c-tests/cpg-bench.sh ais BUILD_DIR BENCH [ARGS...]
#       One aisexec from BUILD_DIR on 127.0.0.1 (udpu, secauth off, an IPC
#       socket of its own); BENCH loads libcpg from BUILD_DIR first.
#   c-tests/cpg-bench.sh ais2 BUILD_DIR secauth-off|secauth-on BENCH [ARGS...]
#       Two aisexecs from BUILD_DIR in the network namespaces of the test bed
#       (c-tests/netns/bed.sh), udpu, with or without secauth; BENCH runs
#       beside the first. (One node never puts a datagram on the wire, so
#       this is the figure that includes the network.)
#   c-tests/cpg-bench.sh corosync udpu|knet|knet-crypto BENCH [ARGS...]
#       One corosync 3 from the system on 127.0.0.1, in the foreground with a
#       private config and no quorum provider: udpu, knet with crypto off, or
#       knet with aes256/sha256 and a key from corosync-keygen (corosync
#       encrypts only on knet). On one node knet hands a node's own packets
#       back through its loopback link, unencrypted, so knet-crypto costs
#       nothing here: use corosync2 for the price of crypto.
#   c-tests/cpg-bench.sh corosync2 udpu|knet|knet-crypto BENCH [ARGS...]
#       Two corosyncs, each in a network namespace of its own joined by a veth
#       pair (10.250.0.1 and .2); BENCH runs beside the first.
#
# BENCH for corosync should be linked against the system libcpg. The corosync
# modes need root and corosync installed; ais2 and corosync2 need root and ip(8).
# ARGS go to the benchmark (cpg_bench -h). The figures are printed, never judged.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

# corosync_config TRANSPORT(udpu|knet|knet-crypto) DIR PORT ADDR...: a corosync.conf.
corosync_config() {
    local mode=$1 dir=$2 port=$3 transport=$1 cipher=none hash=none a n=0
    shift 3
    if [ "$mode" = knet-crypto ]; then transport=knet cipher=aes256 hash=sha256; fi
    printf 'totem {\n\tversion: 2\n\tcluster_name: bench\n\ttransport: %s\n' "$transport"
    printf '\tcrypto_cipher: %s\n\tcrypto_hash: %s\n' "$cipher" "$hash"
    if [ "$cipher" != none ]; then printf '\tkeyfile: %s/authkey\n' "$dir"; fi
    printf '\tinterface {\n\t\tlinknumber: 0\n\t\tmcastport: %s\n\t}\n}\nnodelist {\n' "$port"
    for a in "$@"; do
        n=$((n + 1))
        printf '\tnode {\n\t\tring0_addr: %s\n\t\tnodeid: %s\n\t\tname: bench%s\n\t}\n' "$a" $n $n
    done
    printf '}\nlogging {\n\tto_stderr: yes\n\tto_logfile: no\n\tto_syslog: no\n\ttimestamp: on\n}\n'
}

# wait_ready LOG PID MEMBERS: until corosync says it serves with MEMBERS nodes.
wait_ready() {
    local _
    for _ in $(seq 150); do
        grep -q "Sync members\[$3\]" "$1" && grep -q 'ready to provide service' "$1" && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    echo "$0: corosync did not come up with $3 node(s):" >&2
    cat "$1" >&2
    return 1
}

usage() {
    echo "usage: $0 ais BUILD_DIR BENCH [ARGS...]" >&2
    echo "       $0 ais2 BUILD_DIR secauth-off|secauth-on BENCH [ARGS...]" >&2
    echo "       $0 corosync|corosync2 udpu|knet|knet-crypto BENCH [ARGS...]" >&2
    exit 2
}

[ $# -ge 3 ] || usage
case $1 in
ais)
    shift
    exec "$HERE/one-node.sh" "$@"
    ;;
ais2)
    [ $# -ge 4 ] || usage
    case $3 in secauth-off | secauth-on) ;; *) usage ;; esac
    BED_BUILD=$2 BED_NAME=cpg-bench SECAUTH=${3#secauth-}
    shift 3
    . "$HERE/netns/bed.sh"
    bed_init 2
    sed -i "s/secauth: on/secauth: $SECAUTH/" "$BED_DIR/node1.conf" "$BED_DIR/node2.conf"
    bed_start 1
    bed_start 2
    bed_wait_ring "1 2" 30
    echo "aisexec, two nodes in network namespaces, secauth $SECAUTH; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    ip netns exec "$(bed_ns 1)" env LD_LIBRARY_PATH="$BED_BUILD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"
    exit
    ;;
corosync | corosync2) ;;
*) usage ;;
esac

WHAT=$1 MODE=$2
shift 2
case $MODE in udpu | knet | knet-crypto) ;; *) usage ;; esac
command -v corosync >/dev/null || { echo "$0: corosync is not installed" >&2; exit 2; }
. "$HERE/lib.sh"
TMP=$(mktemp -d)
PORT=$(ais_port)
PIDS=() NETNS=()
cleanup() {
    local p n
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
if [ "$MODE" = knet-crypto ]; then corosync-keygen -k "$TMP/authkey" >/dev/null; fi
VERSION=$(corosync -v | sed -n "s/.*version '\(.*\)'.*/\1/p")

if [ "$WHAT" = corosync ]; then
    mkdir -p /var/run/corosync /var/lib/corosync /var/log/corosync
    corosync_config "$MODE" "$TMP" "$PORT" 127.0.0.1 > "$TMP/corosync.conf"
    printf 'system {\n\tstate_dir: %s\n}\n' "$TMP" >> "$TMP/corosync.conf"
    corosync -f -c "$TMP/corosync.conf" >"$TMP/corosync.log" 2>&1 &
    PIDS+=($!)
    wait_ready "$TMP/corosync.log" $! 1
    echo "corosync $VERSION, one node, $MODE; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    "$@"
else
    # Each corosync in a network namespace (its own IPC sockets, which live in the
    # abstract namespace) and a mount namespace with a /run of its own (its lock file).
    command -v ip >/dev/null || { echo "$0: ip(8) is not installed" >&2; exit 2; }
    for n in 1 2; do
        NETNS+=("cpgbench$$-$n")
        ip netns add "cpgbench$$-$n"
    done
    ip link add "cpgb$$a" type veth peer name "cpgb$$b"
    ip link set "cpgb$$a" netns "${NETNS[0]}"
    ip link set "cpgb$$b" netns "${NETNS[1]}"
    ip -n "${NETNS[0]}" addr add 10.250.0.1/24 dev "cpgb$$a"
    ip -n "${NETNS[1]}" addr add 10.250.0.2/24 dev "cpgb$$b"
    ip -n "${NETNS[0]}" link set "cpgb$$a" up
    ip -n "${NETNS[1]}" link set "cpgb$$b" up
    for n in 1 2; do
        mkdir -p "$TMP/$n/run/corosync" "$TMP/$n/state"
        ip -n "${NETNS[n - 1]}" link set lo up
        corosync_config "$MODE" "$TMP" "$PORT" 10.250.0.1 10.250.0.2 > "$TMP/$n.conf"
        printf 'system {\n\tstate_dir: %s/%s/state\n}\n' "$TMP" $n >> "$TMP/$n.conf"
        ip netns exec "${NETNS[n - 1]}" unshare -m sh -c \
            "mount --bind '$TMP/$n/run' /run && exec corosync -f -c '$TMP/$n.conf'" >"$TMP/$n.log" 2>&1 &
        PIDS+=($!)
    done
    wait_ready "$TMP/1.log" "${PIDS[0]}" 2
    echo "corosync $VERSION, two nodes over a veth pair, $MODE; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    ip netns exec "${NETNS[0]}" "$@"
fi
