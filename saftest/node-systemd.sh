#!/bin/bash
# START_NODE / STOP_NODE for a real cluster whose nodes run aisexec under systemd
# (saftest/commands-systemd.conf, saftest/README.md):
#
#   node-systemd.sh start|stop NODE
#
# Starts or stops the unit on NODE over ssh as root (SAFTest runs as root and
# reaches every node that way), then waits until this node's CLM agrees: NODE a
# member after start, not one after stop. SAFTEST_UNIT names the unit (default
# aisexec), SAFTEST_WAIT the seconds to wait (default 60).
set -euo pipefail
[ $# = 2 ] && { [ "$1" = start ] || [ "$1" = stop ]; } || { echo "usage: node-systemd.sh start|stop NODE" >&2; exit 2; }
verb=$1 node=$2
unit=${SAFTEST_UNIT:-aisexec}
want=$([ "$verb" = start ] && echo TRUE || echo FALSE)
ssh -o BatchMode=yes "root@$node" systemctl "$verb" "$unit"
end=$((SECONDS + ${SAFTEST_WAIT:-60}))
# The node's <member> in the display (the line after its <name>).
until ais-clmtool display 2>/dev/null | grep -A1 "<name>$node</name>" | grep -q "<member>$want</member>"; do
    [ $SECONDS -lt $end ] || { echo "node-systemd: $node did not become member=$want within ${SAFTEST_WAIT:-60} s" >&2; exit 1; }
    sleep 0.5
done
