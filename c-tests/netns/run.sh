#!/bin/bash
# Runs the multi-node tests in network namespaces (kill, pause, partition,
# wrongkey, ckpt-failover, ckpt-merge, quorum, or those named) against the executives in BUILD_DIR, one after the
# other. Where no network namespace can be made here (not root, no iproute2,
# no namespaces, bridges or veth pairs) it says why and succeeds.
#   c-tests/netns/run.sh BUILD_DIR [TEST...]
set -uo pipefail
BUILD=${1:-target/release}
shift || true
HERE=$(dirname "$0")
TESTS=${*:-kill pause partition wrongkey ckpt-failover ckpt-merge quorum quorum-two-node quorum-wait-for-all}

skip() { echo "netns-check: SKIPPED ($*)"; exit 0; }

# probe: a throwaway namespace with a bridge and a veth pair in it.
probe() {
    local ns=aisprobe$$ ok=1
    ip netns add "$ns" 2>/dev/null || return 1
    ip -n "$ns" link add br0 type bridge 2>/dev/null &&
        ip -n "$ns" link add v0 type veth peer name v1 2>/dev/null || ok=0
    ip netns del "$ns" 2>/dev/null
    [ $ok = 1 ] || return 2
}

[ "$(id -u)" = 0 ] || skip "not root"
command -v ip > /dev/null || skip "iproute2 (ip) not installed"
command -v timeout > /dev/null || skip "coreutils' timeout not installed"
probe
case $? in
1) skip "ip netns add fails here" ;;
2) skip "no bridge or veth devices in a network namespace" ;;
esac

start=$SECONDS
failed=""
ran=0
for t in $TESTS; do
    [ -x "$HERE/$t.sh" ] || { echo "netns-check: no test $t"; failed="$failed $t"; continue; }
    t0=$SECONDS
    ran=$((ran + 1))
    if "$HERE/$t.sh" "$BUILD"; then
        echo "netns-check: $t passed ($((SECONDS - t0))s)"
    else
        echo "netns-check: $t FAILED ($((SECONDS - t0))s)"
        failed="$failed $t"
    fi
done
if [ -n "$failed" ]; then
    echo "netns-check: FAILED:$failed"
    exit 1
fi
echo "netns-check: ok ($ran tests, $((SECONDS - start))s)"
