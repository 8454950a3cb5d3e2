# A test bed of AIS executives in network namespaces (sourced, not run).
#
# bed_init N builds, for this shell ($$):
#   aisbed<$$>h       a hub namespace holding two bridges, br0 and br1
#   aisbed<$$>n<I>    one namespace per node I = 1..N, whose interface bed0
#                     (10.213.1.I/24) is one end of a veth pair; the other end,
#                     p<I>, is a port of br0 in the hub
# so the nodes reach each other and nothing else: the root namespace's
# interfaces and routes are never touched. A partition moves ports to br1.
# Everything (processes, namespaces, files) is removed when the shell exits.
#
# Needs root, iproute2 (ip) and coreutils' timeout. The caller sets BED_BUILD
# (the directory holding aisexec, ais-cfgtool, ais-keygen, libcpg.so.4 and
# c-tests/cpg_check) and BED_NAME (a label for messages); with BED_KEEP set the
# logs are kept (their directory is named at exit). BED_QUORUM, when set
# before bed_init, is the body of every node's quorum { } section.

BED_BUILD=${BED_BUILD:-target/release}
BED_NAME=${BED_NAME:-netns}
BED_TOKEN=${BED_TOKEN:-500}
BED_PREFIX=aisbed
BED_NS=$BED_PREFIX$$
BED_HUB=${BED_NS}h
BED_SUBNET=10.213.1
BED_GROUP=bed-$$
BED_N=0
BED_DIR=
BED_CPG=0
declare -a BED_AIS=() BED_CHK=()

bed_ns() { echo "${BED_NS}n$1"; }
bed_log() { echo "$BED_NAME: $*"; }

# bed_alive PID: the process exists and is not a zombie.
bed_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# Namespaces and directories left by an earlier run whose shell no longer
# exists (one killed before its trap could run): their processes are ended and
# they are deleted.
bed_reap_stale() {
    local ns pid dir
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
        case $ns in "$BED_PREFIX"[0-9]*) ;; *) continue ;; esac
        pid=${ns#"$BED_PREFIX"}
        pid=${pid%%[hn]*}
        case $pid in '' | *[!0-9]*) continue ;; esac
        ! bed_alive "$pid" || continue
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    for dir in "${TMPDIR:-/tmp}/$BED_PREFIX"[0-9]*.*; do
        [ -d "$dir" ] || continue
        pid=${dir##*/"$BED_PREFIX"}
        pid=${pid%%.*}
        case $pid in '' | *[!0-9]*) continue ;; esac
        bed_alive "$pid" || rm -rf "$dir"
    done
    return 0
}

bed_cleanup() {
    trap - EXIT INT TERM
    set +e
    # Quietly: the shell would report each job it ends here as "Killed".
    bed_cleanup_quiet 3>&2 2>/dev/null
    return 0
}

bed_cleanup_quiet() {
    local ns i pids
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
        case $ns in "$BED_NS"h | "$BED_NS"n*) ;; *) continue ;; esac
        pids=$(ip netns pids "$ns" 2>/dev/null)
        # SIGKILL also ends stopped processes.
        [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    done
    for i in "${BED_AIS[@]}" "${BED_CHK[@]}"; do wait "$i" 2>/dev/null; done
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
        case $ns in "$BED_NS"h | "$BED_NS"n*) ip netns del "$ns" ;; esac
    done
    if [ -n "${BED_KEEP:-}" ]; then
        echo "$BED_NAME: logs kept in $BED_DIR" >&3
    elif [ -n "$BED_DIR" ]; then
        rm -rf "$BED_DIR"
    fi
}

# bed_fail MESSAGE: report, show what the nodes logged and how they see the ring, exit 1.
bed_fail() {
    local i
    echo "$BED_NAME: FAIL: $*"
    for i in $(seq 1 "$BED_N"); do
        echo "== node $i: aisexec log (tail)"
        tail -n 25 "$BED_DIR/node$i.log" 2>/dev/null
        if [ -f "$BED_DIR/cpg$i.log" ]; then
            echo "== node $i: CPG configuration changes and last lines"
            grep -E '^[CSBXI]' "$BED_DIR/cpg$i.log" | tail -n 12
            tail -n 3 "$BED_DIR/cpg$i.log"
        fi
        echo "== node $i: ais-cfgtool -s"
        bed_cfg "$i" 2>&1 | head -n 5
    done
    exit 1
}

# bed_init N: the namespaces, links, keys and configurations of nodes 1..N.
bed_init() {
    local n=$1 i ns
    BED_N=$n
    [ "$(id -u)" = 0 ] || { echo "$BED_NAME: needs root"; exit 1; }
    for i in aisexec ais-cfgtool ais-keygen; do
        [ -x "$BED_BUILD/$i" ] || { echo "$BED_NAME: $BED_BUILD/$i not built"; exit 1; }
    done
    unset AIS_IPC_SOCKET OPENAIS_TOTEM_AUTHKEY_FILE OPENAIS_MAIN_CONFIG_FILE
    bed_reap_stale
    trap bed_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    BED_DIR=$(mktemp -d "${TMPDIR:-/tmp}/$BED_PREFIX$$.XXXXXX")
    ip netns add "$BED_HUB"
    ip -n "$BED_HUB" link add br0 type bridge
    ip -n "$BED_HUB" link add br1 type bridge
    ip -n "$BED_HUB" link set br0 up
    ip -n "$BED_HUB" link set br1 up
    for i in $(seq 1 "$n"); do
        ns=$(bed_ns "$i")
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        ip -n "$BED_HUB" link add "p$i" type veth peer name bed0 netns "$ns"
        ip -n "$BED_HUB" link set "p$i" master br0
        ip -n "$BED_HUB" link set "p$i" up
        ip -n "$ns" addr add "$BED_SUBNET.$i/24" dev bed0
        ip -n "$ns" link set bed0 up
        mkdir -p "$BED_DIR/run$i"
        bed_config "$i" > "$BED_DIR/node$i.conf"
    done
    "$BED_BUILD/ais-keygen" -k "$BED_DIR/authkey" > /dev/null
    "$BED_BUILD/ais-keygen" -k "$BED_DIR/wrongkey" > /dev/null
    if [ -x "$BED_BUILD/c-tests/cpg_check" ] && [ -e "$BED_BUILD/libcpg.so.4" ]; then
        BED_CPG=1
    else
        bed_log "CPG checks skipped: no $BED_BUILD/libcpg.so.4 or $BED_BUILD/c-tests/cpg_check"
    fi
}

# bed_config I: node I's configuration, a udpu ring of nodes 1..BED_N with secauth.
bed_config() {
    local i=$1 m
    printf 'totem {\n\tversion: 2\n\tsecauth: on\n\ttransport: udpu\n\tnodeid: %s\n\ttoken: %s\n' "$i" "$BED_TOKEN"
    printf '\tinterface {\n\t\tringnumber: 0\n\t\tbindnetaddr: %s.%s\n\t\tmcastport: 5405\n' "$BED_SUBNET" "$i"
    for m in $(seq 1 "$BED_N"); do printf '\t\tmember {\n\t\t\tmemberaddr: %s.%s\n\t\t}\n' "$BED_SUBNET" "$m"; done
    printf '\t}\n}\nlogging {\n\tto_stderr: yes\n\tto_syslog: no\n\ttimestamp: on\n}\n'
    [ -z "${BED_QUORUM:-}" ] || printf 'quorum {\n%s\n}\n' "$BED_QUORUM"
}

# bed_quorate I: ais-quorumtool -s's exit status on node I (0 quorate, 2 not).
bed_quorate() {
    local rc=0
    timeout 3 ip netns exec "$(bed_ns "$1")" "$BED_BUILD/ais-quorumtool" -s > "$BED_DIR/quorum$1.out" 2>&1 || rc=$?
    return $rc
}

# bed_wait_quorate "NODES" 0|2 SECONDS: ais-quorumtool -s exits with that status on each of NODES.
bed_wait_quorate() {
    local want=$2 i rc ok end=$((SECONDS + $3))
    while :; do
        ok=1
        for i in $1; do
            rc=0
            bed_quorate "$i" || rc=$?
            [ "$rc" = "$want" ] || { ok=0; break; }
        done
        [ $ok = 1 ] && return 0
        [ $SECONDS -ge $end ] && bed_fail "ais-quorumtool -s on node $i exits $rc, not $want: $(cat "$BED_DIR/quorum$i.out")"
        sleep 0.1
    done
}

# bed_start I [KEYFILE]: start node I's executive in its namespace (the shared key by default).
bed_start() {
    local i=$1 key=${2:-$BED_DIR/authkey}
    ip netns exec "$(bed_ns "$i")" env OPENAIS_TOTEM_AUTHKEY_FILE="$key" AIS_RUN_DIR="$BED_DIR/run$i" \
        "$BED_BUILD/aisexec" -f -c "$BED_DIR/node$i.conf" >> "$BED_DIR/node$i.log" 2>&1 &
    BED_AIS[$i]=$!
}

# bed_cfg I: ais-cfgtool -s on node I (bounded: a stopped executive never answers).
bed_cfg() {
    timeout 3 ip netns exec "$(bed_ns "$1")" "$BED_BUILD/ais-cfgtool" -s
}

# bed_ring I: node I's members ("1 2 3") when its ring is operational, else nothing.
bed_ring() {
    bed_cfg "$1" 2>/dev/null | awk -F'= ' '
        $1 ~ /^[ \t]*state/ { state = $2 }
        $1 ~ /^[ \t]*members/ { m = $2; sub(/^[0-9]+ \(/, "", m); sub(/\)$/, "", m) }
        END { if (state == "operational") print m }'
}

# bed_counter I NAME: one of node I's ais-cfgtool counters.
bed_counter() {
    bed_cfg "$1" 2>/dev/null | awk -F'= ' -v k="$2" '{ n = $1; gsub(/[ \t]/, "", n) } n == k { print $2 }'
}

# bed_wait_ring "NODES" SECONDS: every node in NODES is operational with exactly NODES as members.
bed_wait_ring() {
    local want=$1 secs=$2 i ok end=$((SECONDS + $2))
    while :; do
        ok=1
        for i in $want; do
            [ "$(bed_ring "$i")" = "$want" ] || { ok=0; break; }
        done
        [ $ok = 1 ] && return 0
        [ $SECONDS -ge $end ] && bed_fail "no ring of ($want) within ${secs}s (node $i sees '$(bed_ring "$i")')"
        sleep 0.1
    done
}

# bed_kill I: node I crashes: every process in its namespace gets SIGKILL.
bed_kill() {
    local pids
    pids=$(ip netns pids "$(bed_ns "$1")")
    {
        [ -n "$pids" ] && kill -KILL $pids
        wait "${BED_AIS[$1]}" || true
        [ -n "${BED_CHK[$1]:-}" ] && { wait "${BED_CHK[$1]}" || true; }
    } 2>/dev/null
    return 0
}

bed_pause() { kill -STOP "${BED_AIS[$1]}"; }
bed_resume() { kill -CONT "${BED_AIS[$1]}"; }

# bed_partition "NODES": cut NODES off from the rest (their hub ports move to br1).
bed_partition() {
    local i
    for i in $1; do ip -n "$BED_HUB" link set "p$i" master br1; done
}

# bed_heal: every port back on br0.
bed_heal() {
    local i
    for i in $(seq 1 "$BED_N"); do ip -n "$BED_HUB" link set "p$i" master br0; done
}

# --- CPG -------------------------------------------------------------------
# Each node runs at most one cpg_check, logging to $BED_DIR/cpg<I>.log.

bed_cpg_log() { echo "$BED_DIR/cpg$1.log"; }

# bed_cpg_start I: node I's member of the test group, a sender every 5 ms once told to.
bed_cpg_start() {
    local i=$1
    [ $BED_CPG = 1 ] || return 0
    ip netns exec "$(bed_ns "$i")" env LD_LIBRARY_PATH="$BED_BUILD" \
        "$BED_BUILD/c-tests/cpg_check" "$BED_GROUP" "$(bed_cpg_log "$i")" 5 \
        2>> "$BED_DIR/cpg$i.err" &
    BED_CHK[$i]=$!
}

bed_cpg_signal() { # SIGNAL NODES
    local i
    [ $BED_CPG = 1 ] || return 0
    for i in $2; do kill "-$1" "${BED_CHK[$i]}"; done
}
bed_send_start() { bed_cpg_signal USR1 "$1"; }
bed_send_stop() { bed_cpg_signal USR2 "$1"; }

# bed_cpg_members I: the node ids of the members in node I's last configuration change.
bed_cpg_members() {
    awk '/^C/ { m = ""; for (i = 2; i <= NF && $i != "L"; i++) { split($i, a, ":"); m = m (m == "" ? "" : " ") a[1] } }
         END { print m }' "$(bed_cpg_log "$1")" 2>/dev/null
}

# bed_cpg_wait "NODES" SECONDS: the last configuration change of every member
# on NODES lists exactly one process on each node of NODES.
bed_cpg_wait() {
    local want=$1 secs=$2 i ok end=$((SECONDS + $2))
    [ $BED_CPG = 1 ] || return 0
    while :; do
        ok=1
        for i in $want; do
            [ "$(bed_cpg_members "$i")" = "$want" ] || { ok=0; break; }
        done
        [ $ok = 1 ] && return 0
        [ $SECONDS -ge $end ] &&
            bed_fail "CPG members on node $i are '$(bed_cpg_members "$i")', not ($want), after ${secs}s"
        sleep 0.1
    done
}

# bed_cpg_id I: node I's member as "nodeid:pid".
bed_cpg_id() { awk '$1 == "I" { print $2 ":" $3; exit }' "$(bed_cpg_log "$1")"; }

# bed_cpg_sent I: the last sequence number node I's member sent (after it stopped).
bed_cpg_sent() { awk '$1 == "S" && $2 == "stop" { n = $3 } END { print n + 0 }' "$(bed_cpg_log "$1")"; }

# bed_cpg_settle "NODES" SECONDS: senders on NODES are stopped; wait until each
# of them has delivered the last message of every other.
bed_cpg_settle() {
    local nodes=$1 secs=$2 i j id last ok end=$((SECONDS + $2))
    [ $BED_CPG = 1 ] || return 0
    while :; do
        ok=1
        for j in $nodes; do
            id=$(bed_cpg_id "$j")
            last=$(bed_cpg_sent "$j")
            # Not stopped yet (no S stop line): wait for it.
            grep -q '^S stop' "$(bed_cpg_log "$j")" || { ok=0; break; }
            [ "$last" = 0 ] && continue
            for i in $nodes; do
                grep -qx "D ${id%%:*} ${id##*:} $last" "$(bed_cpg_log "$i")" || { ok=0; break 2; }
            done
        done
        [ $ok = 1 ] && return 0
        [ $SECONDS -ge $end ] && return 0 # bed_cpg_verify names what is missing
        sleep 0.2
    done
}

# bed_cpg_event I LIST TOKEN: the line number of the first configuration change
# in node I's log whose LIST (C, L or J) holds TOKEN ("n:p" for C, "n:p:reason"
# for L and J); nothing when there is none.
bed_cpg_event() {
    awk -v want="$2" -v tok="$3" '
        $1 == "C" { list = "C"
            for (i = 2; i <= NF; i++) {
                if ($i == "L" || $i == "J") { list = $i; continue }
                if (list == want && $i == tok) { print NR; exit }
            } }' "$(bed_cpg_log "$1")"
}

# bed_cpg_expect I LIST TOKEN WHAT: fail unless node I's log has that event; print its line.
bed_cpg_expect() {
    local at
    at=$(bed_cpg_event "$1" "$2" "$3")
    [ -n "$at" ] || bed_fail "node $1 saw no configuration change with $3 in its $2 list ($4)"
    echo "$at"
}

# bed_cpg_verify "NODES": the agreement checks over the logs of NODES (the members
# alive at the end, whose senders are stopped and settled):
#  - no malformed delivery (B) and no failed call (X);
#  - per log, a message is delivered at most once, only while its sender is a
#    member, and each sender's numbers increase; they skip only across a
#    configuration change in which the sender left;
#  - every member delivered each message it sent itself (1..last);
#  - for any two logs, the messages both delivered come in the same order and
#    each in a configuration with the same members (virtual synchrony);
#  - for any two members that went together from one configuration to the next
#    (or were together at the end), both delivered the same set of messages in it.
bed_cpg_verify() {
    local files="" i out
    [ $BED_CPG = 1 ] || return 0
    for i in $1; do files="$files $(bed_cpg_log "$i")"; done
    # shellcheck disable=SC2086
    out=$(awk -f "$(dirname "${BASH_SOURCE[0]}")/verify.awk" $files) || bed_fail "CPG agreement: $out"
    bed_log "$out"
}
