#!/usr/bin/env bash
# A multi-node Ray cluster on this one machine, on loopback addresses (127.0.0.2 head, 127.0.0.3...
# workers), to try `python -m ottorch.run TASK --address ...` without real machines.
#
#   scripts/local_cluster.sh start N [PORT]   head + N worker nodes, 1 CPU each (default PORT 6390)
#   scripts/local_cluster.sh stop             stop exactly the processes `start` launched
#   scripts/local_cluster.sh status
#
# Never calls `ray stop`, which would kill every Ray process of the user on the machine.
set -euo pipefail

RAY="${RAY:-$(command -v ray || true)}"
STATE="${OTTORCH_CLUSTER_DIR:-${TMPDIR:-/tmp}/ottc-$(id -u)}"   # short: Ray's socket paths are capped
PORT_FILE="$STATE/address"

die() { echo "local_cluster: $*" >&2; exit 1; }

descendants() {  # every process below the given pids (Ray daemonises its children)
    local pid
    for pid in "$@"; do
        echo "$pid"
        descendants $(ps -o pid= --ppid "$pid" 2>/dev/null || true)
    done
}

ours() {  # pids of the processes of this cluster: they all name its temp dir, plus their children
    local roots
    roots=$(pgrep -f -- "$STATE/ray" || true)
    [ -n "$roots" ] && descendants $roots | sort -u
}

start() {
    local workers="${1:-2}" port="${2:-6390}"
    [ -n "$RAY" ] || die "the 'ray' command is not installed (pip install 'ottorch[ray]')"
    [[ "$workers" =~ ^[0-9]+$ ]] || die "N must be a number of worker nodes, got '$workers'"
    [ -z "$(ours)" ] || die "a cluster from this script is already running ($STATE); stop it first"
    mkdir -p "$STATE/ray"
    # Token authentication stays on: every node (and the driver) reads the user's ~/.ray/auth_token.
    export RAY_AUTH_MODE=token
    "$RAY" get-auth-token --generate >/dev/null
    "$RAY" start --head --node-ip-address=127.0.0.2 --port="$port" --num-cpus=1 \
        --include-dashboard=false --temp-dir="$STATE/ray" --disable-usage-stats >"$STATE/head.log" 2>&1 \
        || { cat "$STATE/head.log" >&2; die "the head node did not start"; }
    for i in $(seq 1 "$workers"); do
        "$RAY" start --address="127.0.0.2:$port" --node-ip-address="127.0.0.$((i + 2))" --num-cpus=1 \
            --temp-dir="$STATE/ray" --disable-usage-stats >"$STATE/worker$i.log" 2>&1 \
            || { cat "$STATE/worker$i.log" >&2; die "worker node $i did not start"; }
    done
    echo "127.0.0.2:$port" >"$PORT_FILE"
    echo "cluster up: head 127.0.0.2:$port and $workers worker node(s); try"
    echo "  RAY_AUTH_MODE=token python -m ottorch.run iris --address 127.0.0.2:$port"
}

stop() {
    local pids
    pids=$(ours)
    if [ -z "$pids" ]; then
        echo "no cluster from this script is running"
    else
        kill -TERM $pids 2>/dev/null || true
        for _ in $(seq 1 50); do
            pids=$(for p in $pids; do kill -0 "$p" 2>/dev/null && echo "$p"; done)
            [ -z "$pids" ] && break
            sleep 0.2
        done
        [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true   # Ray's agents may ignore SIGTERM
        echo "cluster stopped"
    fi
    rm -rf "$STATE"
}

status() {
    local pids
    pids=$(ours)
    if [ -z "$pids" ]; then echo "not running"; else echo "running at $(cat "$PORT_FILE" 2>/dev/null): $(echo $pids | wc -w) processes"; fi
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start N [PORT] | stop | status" >&2; exit 2 ;;
esac
