# Shared by the scripts that run executives on this machine's loopback
# addresses (sourced, not run).

# ais_config NODE MEMBERS PORT TOKEN_MS: the openais.conf of node NODE
# (127.0.0.NODE) in a udpu ring of 127.0.0.1..MEMBERS, without secauth.
ais_config() {
    local node=$1 members=$2 port=$3 token=$4 m
    printf 'totem {\n\tversion: 2\n\tsecauth: off\n\ttransport: udpu\n\ttoken: %s\n' "$token"
    printf '\tinterface {\n\t\tringnumber: 0\n\t\tbindnetaddr: 127.0.0.%s\n\t\tmcastport: %s\n' "$node" "$port"
    for m in $(seq 1 "$members"); do printf '\t\tmember {\n\t\t\tmemberaddr: 127.0.0.%s\n\t\t}\n' "$m"; done
    printf '\t}\n}\nlogging {\n\tto_stderr: yes\n\tto_syslog: no\n\ttimestamp: on\n}\n'
}

# A random even port, so that runs side by side rarely collide.
ais_port() {
    echo $(( 20000 + (RANDOM % 20000) * 2 ))
}

# A loopback cluster for the scripts that run C tests against it:
# ais_cluster NAME BUILD_DIR sets it up (a scratch directory, a port, cleanup on
# exit); then ais_start I MEMBERS, ais_stop I (SIGTERM, must exit 0),
# ais_on I COMMAND... (a client of node I) and ais_fail MESSAGE (prints the
# executives' logs and exits 1).
ais_cluster() {
    AIS_CLUSTER_NAME=$1
    AIS_BUILD=$2
    export LD_LIBRARY_PATH=$AIS_BUILD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    AIS_TMP=$(mktemp -d)
    AIS_PORT=$(ais_port)
    declare -gA AIS_PIDS=()
    trap ais_cluster_cleanup EXIT
}

ais_cluster_cleanup() {
    local p
    for p in "${AIS_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in "${AIS_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    rm -rf "$AIS_TMP"
}

ais_socket() { echo "@ais-$AIS_CLUSTER_NAME-$$-$1"; }

ais_start() { # node-index member-count
    local i=$1
    ais_config "$i" "$2" "$AIS_PORT" 500 > "$AIS_TMP/node$i.conf"
    mkdir -p "$AIS_TMP/run$i"
    AIS_IPC_SOCKET=$(ais_socket "$i") AIS_RUN_DIR=$AIS_TMP/run$i \
        "$AIS_BUILD/aisexec" -f -c "$AIS_TMP/node$i.conf" 2>>"$AIS_TMP/node$i.log" &
    AIS_PIDS[$i]=$!
}

ais_stop() { # node-index
    kill -TERM "${AIS_PIDS[$1]}"
    wait "${AIS_PIDS[$1]}" || { echo "node $1 did not exit 0"; return 1; }
    unset "AIS_PIDS[$1]"
}

ais_on() { # node-index command args...
    local i=$1
    shift
    AIS_IPC_SOCKET=$(ais_socket "$i") "$@"
}

ais_fail() {
    local f
    echo "$AIS_CLUSTER_NAME: FAIL: $*"
    for f in "$AIS_TMP"/node*.log; do echo "== $f"; tail -20 "$f"; done
    exit 1
}
