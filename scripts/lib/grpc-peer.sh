# Sourced by scripts/bench: the grpc-swift-2 peer (../shared/peers/grpc-bench, or
# MAILGATE_GRPC_PEER), built in .mailgate/grpc-bench because the shared folder is read-only.

# build_grpc_peer ROOT: copies the peer into ROOT/.mailgate/grpc-bench (when its sources changed)
# and builds it in release mode; prints the folder with the bench-server and bench-client binaries.
build_grpc_peer() {
    local root="$1"
    local source="${MAILGATE_GRPC_PEER:-$root/../shared/peers/grpc-bench}"
    local copy="$root/.mailgate/grpc-bench"
    if [ ! -f "$source/Package.swift" ]; then
        echo "the grpc-swift-2 peer is not at $source (set MAILGATE_GRPC_PEER)" >&2
        return 1
    fi
    if ! diff -rq --exclude=.build --exclude=logs --exclude=Package.resolved "$source" "$copy" >/dev/null 2>&1; then
        rm -rf "$copy"
        mkdir -p "$copy"
        cp -r "$source/." "$copy/"
        rm -rf "$copy/.build" "$copy/logs"
        chmod -R u+w "$copy"
    fi
    swift build -c release --package-path "$copy" >&2
    echo "$copy/.build/release"
}

# run_grpc_peer BIN_DIR CONNECTIONS CONCURRENCY SECONDS: one measurement against a fresh peer
# server; prints the client's RESULT line (rps=…, p99_us=…) with server_idle_rss_kB=… added.
run_grpc_peer() {
    local bin="$1" connections="$2" concurrency="$3" seconds="$4"
    local port log server result idle_rss
    port=$(free_port)
    log=$(mktemp /tmp/grpc-peer.XXXXXX)
    "$bin/bench-server" --port "$port" >"$log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do grep -q "^bench-server pid=" "$log" && break; sleep 0.1; done
    sleep 0.5
    idle_rss=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
    result=$("$bin/bench-client" --port "$port" --concurrency "$concurrency" --connections "$connections" \
        --warmup 1 --duration "$seconds" --server-pid "$server" --label "c$concurrency-n$connections" | grep '^RESULT' || true)
    kill -TERM "$server" 2>/dev/null
    wait "$server" 2>/dev/null || true
    rm -f "$log"
    [ -n "$result" ] || { echo "the grpc-swift-2 peer gave no result" >&2; return 1; }
    echo "$result server_idle_rss_kB=$idle_rss"
}
