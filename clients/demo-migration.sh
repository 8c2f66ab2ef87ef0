#!/bin/sh
# demo-migration.sh BIN_DIR - the migration part of `make demo`: the shop
# moves its inventory module from in-process calls to inventory-server one
# setting at a time (docs/migration.md), with the same call sites throughout:
# local -> shadow (0 mismatches) -> shadow against a deliberately different
# server build (mismatches caught) -> canary -> remote -> server stopped (the
# local fallback answers) -> server back (remote again) -> no dispatcher.
set -eu

bin=${1:-build/bin}
for prog in ferry shop inventory-server inventory-server-drift; do
    if [ ! -x "$bin/$prog" ]; then
        echo "demo: $bin/$prog is missing; build first (make demo does)" >&2
        exit 1
    fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/ferry-migration.XXXXXX")
server_pid=""
follower=""
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

export FERRY_INVENTORY_ADDR="ipc://$dir/inventory.sock"
# This demo is about the stages, not identity (make demo's first part shows
# that): without identity, the server must be told to serve the inventory's
# methods that require roles, or it refuses to start.
export FERRY_SERVE_ROLES_WITHOUT_IDENTITY=1

# Starts PROGRAM (inventory-server or its drift build) and waits (at most
# 10 s) until it listens.
start_server() {
    "$bin/$1" >"$dir/server.log" 2>&1 &
    server_pid=$!
    tries=0
    until grep -q "listening on" "$dir/server.log" 2>/dev/null; do
        if ! kill -0 "$server_pid" 2>/dev/null || [ "$tries" -gt 100 ]; then
            echo "demo: $1 did not start:" >&2
            cat "$dir/server.log" >&2
            exit 1
        fi
        tries=$((tries + 1))
        sleep 0.1
    done
}

stop_server() {
    kill -TERM "$server_pid"
    wait "$server_pid" || { echo "demo: the server failed to stop cleanly" >&2; exit 1; }
    server_pid=""
}

step() {
    echo
    echo "migration $1"
}

shop() {
    "$bin/shop" "$@" 2>&1 | sed 's/^/  /'
}

echo
echo "demo: moving the shop's inventory module out of process, stage by stage"
start_server inventory-server

step "1/7 local: every call runs in process (FERRY_DISPATCH_INVENTORY unset)"
shop

step "2/7 shadow: local answers, the server is called too and compared"
FERRY_DISPATCH_INVENTORY=shadow shop --stats-file "$dir/shadow.json"
echo "  \$ ferry dispatch --check shadow.json   # the gate before the next stage"
"$bin/ferry" dispatch --check "$dir/shadow.json" | sed 's/^/  /'

step "3/7 shadow against a different server build: the mismatches are caught"
stop_server
start_server inventory-server-drift
FERRY_DISPATCH_INVENTORY=shadow shop --stats-file "$dir/drift.json"
echo "  \$ ferry dispatch --check drift.json"
if "$bin/ferry" dispatch --check "$dir/drift.json" 2>&1 >/dev/null | sed 's/^/  /'; then :; fi
stop_server
start_server inventory-server

step "4/7 canary: a quarter of the calls go to the server, orders too"
FERRY_DISPATCH_INVENTORY=canary:25 shop --orders 8

step "5/7 remote, with the local module as fallback"
FERRY_DISPATCH_INVENTORY=remote+local-fallback shop --orders 8

step "6/7 the server stops and comes back while the shop keeps calling"
FERRY_DISPATCH_INVENTORY=remote+local-fallback "$bin/shop" --calls 0 --follow 9 &
follower=$!
sleep 2
echo "demo: stopping the server"
stop_server
sleep 2
echo "demo: starting it again"
start_server inventory-server
if ! wait "$follower"; then
    follower=""
    echo "demo: the shop did not get through the outage" >&2
    exit 1
fi
follower=""

step "7/7 no dispatcher: the client on the remote channel, the same call sites"
shop --direct --orders 2

stop_server
echo
echo "demo: migration done"
