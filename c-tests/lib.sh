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
