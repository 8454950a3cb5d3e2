#!/bin/bash
# SAFTest's cluster commands against a local cluster of three executives, without
# SAFTest itself (which CI cannot fetch):
# - DISPLAY_CLUSTER's XML, read by the rules of SAFTest's reader through the xmlparser
#   shim, describes every node exactly as saClmClusterNodeGet (B.01.01, through
#   libSaClm) reports it: id, name, member, boot time, initial view, address;
# - after STOP_NODE the node is listed and not a member, and saClmClusterNodeGet no
#   longer finds it; after START_NODE it is a member again, in a later view.
#   saftest/test/display-check.sh BUILD_DIR CLM_NODES
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-target/release}" && pwd)
CLM_NODES=$2
name=saftest-check

if ! command -v ruby >/dev/null; then
    echo "$name: SKIPPED: ruby is not installed (.ci/run installs it; apt-get install ruby)"
    exit 0
fi

RUBYLIB=$here/../ruby RUBYOPT=-rsaftest_compat ruby -W0 "$here/shims.rb" || { echo "$name: FAIL: ruby shims"; exit 1; }

export SAFTEST_AIS_DIR
SAFTEST_AIS_DIR=$(mktemp -d)
cluster() { "$here/../local-cluster.sh" "$@"; }
fail() {
    local f
    echo "$name: FAIL: $*"
    for f in "$SAFTEST_AIS_DIR"/node*.log; do echo "== $f"; tail -20 "$f"; done
    exit 1
}
trap 'cluster stop; rm -rf "$SAFTEST_AIS_DIR"' EXIT
export LD_LIBRARY_PATH=$BUILD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

cluster init 3 "$BUILD"
cluster start || fail "the cluster did not form"
mapfile -t names < <(cluster names)
ids="2130706433 2130706434 2130706435"

# The display, as SAFTest reads it, one line per node.
displayed() {
    cluster display | RUBYLIB=$here/../ruby ruby "$here/read-cluster.rb"
}
# What CLM says of the same ids, asked on node I.
reported() {
    AIS_IPC_SOCKET=$(cluster socket "${names[$(($1 - 1))]}") "$CLM_NODES" $ids
}

shown=$(displayed) || fail "the display's XML does not read as SAFTest reads it"
[ "$(wc -l <<<"$shown")" = 3 ] || fail "three nodes expected, the display shows: $shown"
for i in 1 2 3; do
    clm=$(reported "$i") || fail "saClmClusterNodeGet on node $i"
    [ "$clm" = "$shown" ] || fail "the display differs from what CLM reports on node $i:
display:
$shown
CLM on node $i:
$clm"
done
echo "$name: the display matches CLM on every node:"
sed 's/^/    /' <<<"$shown"

# After COMMAND (STOP_NODE or START_NODE) on node 3, the display shows nodes 1 and 2
# as members and node 3 as MEMBER3; sets $now to what it shows.
after_command() {
    local command=$1 member3=$2 members
    echo "$name: $command $n3"
    cluster "$command" "$n3" || fail "$command $n3"
    now=$(displayed) || fail "display after $command $n3"
    members=$(awk '{print $2 "=" $3}' <<<"$now" | tr '\n' ' ')
    [ "$members" = "${names[0]}=TRUE ${names[1]}=TRUE $n3=$member3 " ] ||
        fail "after $command $n3 the display shows $members"
}

read -r _ n3 _ _ view3 _ <<<"$(sed -n 3p <<<"$shown")"
after_command stop-node FALSE
after=$now
clm=$(reported 1) || fail "saClmClusterNodeGet on node 1 after the stop"
[ "$(sed -n 3p <<<"$clm")" = "2130706435 absent" ] || fail "CLM still finds $n3: $clm"
[ "$(sed -n 1,2p <<<"$clm")" = "$(sed -n 1,2p <<<"$after")" ] ||
    fail "the members' records differ from CLM after the stop: $after / $clm"

after_command start-node TRUE
again=$now
read -r _ _ _ _ view3b _ <<<"$(sed -n 3p <<<"$again")"
[ "$view3b" -gt "$view3" ] || fail "$n3 rejoined in view $view3b, not after its first view $view3"
clm=$(reported 2) || fail "saClmClusterNodeGet on node 2 after the restart"
[ "$clm" = "$again" ] || fail "the display differs from CLM after the restart: $again / $clm"
echo "$name: $n3 left and came back (initial view $view3 then $view3b); ok"
