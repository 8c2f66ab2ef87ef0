#!/bin/sh
# demo.sh BIN_DIR - the demo `make demo` runs: make keys for the server, a
# client "shop" and an operator "ops" with `ferry keygen`, start
# inventory-server on a fresh ipc:// address trusting them, take the client's
# tour of it (one call is refused for want of a role), ask the server with
# `ferry stats` which clients are old (the tour's v1 call is); then stop the
# server while a client keeps calling (it answers with the method's
# fallback), start it again (the same client recovers), and stop it. Then
# demo-migration.sh: a shop moves the inventory module out of process
# through a dispatcher, stage by stage.
set -eu

bin=${1:-build/bin}
for prog in ferry inventory-server inventory-client; do
    if [ ! -x "$bin/$prog" ]; then
        echo "demo: $bin/$prog is missing; build first (make demo does)" >&2
        exit 1
    fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/ferry-demo.XXXXXX")
server_pid=""
follower=""
# Stops whatever the demo still runs and removes its directory, however the
# script ends. INT and TERM exit (running the EXIT trap) rather than carry on.
cleanup() {
    for pid in $follower $server_pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

url="ipc://$dir/inventory.sock"

# Request identity: a key pair for the server, one for the client "shop",
# one for an operator "ops" who may read the server's statistics, and a
# keyring on the server that trusts "shop" with the role "shop" and "ops"
# with the role "ferry.admin".
echo "demo: making keys"
"$bin/ferry" keygen inventory -o "$dir" | sed 's/^/  /'
"$bin/ferry" keygen shop --roles shop -o "$dir" | tee "$dir/shop.out" | sed 's/^/  /'
"$bin/ferry" keygen ops --roles ferry.admin -o "$dir" >"$dir/ops.out"
{
    echo "# clients inventory-server trusts"
    tail -n 1 "$dir/shop.out"
    tail -n 1 "$dir/ops.out"
} >"$dir/keyring"

# Starts the server and waits (at most 10 s) until it says it listens.
start_server() {
    FERRY_KEY="$dir/inventory.key" FERRY_KEYRING="$dir/keyring" \
        "$bin/inventory-server" --listen "$url" --admin >"$dir/server.log" 2>&1 &
    server_pid=$!
    tries=0
    until grep -q "listening on" "$dir/server.log" 2>/dev/null; do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "demo: inventory-server exited:" >&2
            cat "$dir/server.log" >&2
            exit 1
        fi
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ]; then
            echo "demo: inventory-server did not start within 10 s" >&2
            exit 1
        fi
        sleep 0.1
    done
    sed 's/^/[server] /' "$dir/server.log"
}

stop_server() {
    kill -TERM "$server_pid"
    wait "$server_pid" || { echo "demo: inventory-server failed to stop cleanly" >&2; exit 1; }
    server_pid=""
    grep -v -e 'listening on' -e 'identity on' "$dir/server.log" | sed 's/^/[server] /'
}

# The client signs in as "shop" and pins the server's public key.
client() {
    FERRY_KEY="$dir/shop.key" FERRY_SERVER_KEY="$dir/inventory.pub" \
        "$bin/inventory-client" --connect "$url" "$@"
}

start_server
echo
client

# Who still calls old versions? The rows ferry stats marks, signed in as "ops".
echo
echo "demo: ferry stats, the clients still on old versions (the tour's v1 call)"
"$bin/ferry" stats --key "$dir/ops.key" --server-key "$dir/inventory.pub" "$url" >"$dir/stats.out"
grep -e '^METHOD' -e 'old major' -e 'deprecated' "$dir/stats.out" | sed 's/^/  /'

echo
echo "demo: a client keeps listing items; the server goes away and comes back"
FERRY_PROOF=signed client --follow 30 &
follower=$!
sleep 1
echo "demo: stopping the server"
stop_server
sleep 2
echo "demo: starting it again"
start_server
if ! wait "$follower"; then
    follower=""
    echo "demo: the client did not see the service come back" >&2
    exit 1
fi
follower=""
stop_server

# The migration of the inventory module out of a program, stage by stage.
"$(dirname "$0")/demo-migration.sh" "$bin"
echo "demo: done"
