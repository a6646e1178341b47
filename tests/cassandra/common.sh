# Shared by tests/cassandra/start and tests/cassandra/stop (sourced, not executed).

CASS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN="$CASS_DIR/run"
PY=/usr/bin/python3          # Debian's python3-cassandra is only importable here

# CASSANDRA_FIRST_IP=F (or --first-ip F on start and stop) puts node n on 127.0.0.(F+n-1), with
# its run directory under run/ip<F>/ unless F is 1, so a second cluster can live beside the default
# one without touching it. JMX ports follow the address (7099 + 100 x last octet).
FIRST_IP="${CASSANDRA_FIRST_IP:-1}"
set_first_ip() {
    [[ "$1" =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= 250)) || { echo "--first-ip must be 1..250" >&2; exit 2; }
    FIRST_IP=$1
    if ((FIRST_IP == 1)); then RUN="$CASS_DIR/run"; else RUN="$CASS_DIR/run/ip$FIRST_IP"; fi
}
set_first_ip "$FIRST_IP"

node_dir() { echo "$RUN/n$1"; }
node_ip()  { echo "127.0.0.$((FIRST_IP + $1 - 1))"; }
node_octet() { echo $((FIRST_IP + $1 - 1)); }

# Print the pid recorded for node $1 if that process is alive and is our Cassandra for
# that node; otherwise print nothing. Guards against a stale pid file whose pid was reused.
node_pid() {
    local pidf pid
    pidf="$(node_dir "$1")/pid"
    [[ -s "$pidf" ]] || return 0
    pid="$(<"$pidf")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    [[ -r "/proc/$pid/cmdline" ]] || return 0
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null \
            | grep -q -- "CassandraDaemon" \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null \
            | grep -q -- "$RUN/conf/n$1/cassandra.yaml"; then
        echo "$pid"
    fi
}

# Stop the given nodes: TERM to all at once, wait up to 30 s, then KILL what is left.
# Removes their pid files.
stop_nodes() {
    local n pid i alive
    local -A pids=()
    for n in "$@"; do
        pid="$(node_pid "$n")"
        if [[ -n "$pid" ]]; then
            pids[$n]=$pid
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    for ((i = 0; i < 300; i++)); do
        alive=0
        for n in "${!pids[@]}"; do kill -0 "${pids[$n]}" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for n in "${!pids[@]}"; do
        pid=${pids[$n]}
        if kill -0 "$pid" 2>/dev/null; then
            echo "cassandra: n$n (pid $pid) ignored TERM for 30 s, sending KILL"
            kill -KILL "$pid" 2>/dev/null || true
            for ((i = 0; i < 50; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
        fi
        echo "cassandra: stopped n$n (pid $pid)"
    done
    for n in "$@"; do rm -f "$(node_dir "$n")/pid"; done
}

# Delete node $1's data (keeps its logs).
wipe_node() {
    local d
    d="$(node_dir "$1")"
    rm -rf "$d/data" "$d/commitlog" "$d/hints" "$d/saved_caches" "$d/cdc_raw"
}
