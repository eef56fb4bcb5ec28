# Starts and stops a throw-away PostgreSQL cluster. Sourced by scripts/dev, scripts/test, scripts/bench.
# Usage: start_postgres DIR PORT  -> sets PG_URL (a postgres:// URL over TCP on 127.0.0.1)
#        stop_postgres DIR
#        make_postgres_tls DIR   -> a test CA (ca.pem) and a server certificate for the
#                                   name localhost only (no IP address), signed by it
#                                   (server.pem, server-key.pem);
#                                   PG_TLS_DIR=DIR start_postgres … serves TLS with them

start_postgres() {
    local dir="$1" port="$2"
    ensure_postgres
    local bin; bin=$(postgres_bin_dir)
    local run=()
    if [ "$(id -u)" -eq 0 ]; then run=(runuser -u postgres --); fi
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        # The postgres user must be able to reach the folder (mktemp makes private parents).
        chown postgres "$dir"
        chmod o+x "$(dirname "$dir")"
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        "${run[@]}" "$bin/initdb" --auth=trust --username=postgres --encoding=UTF8 --no-instructions -D "$dir/data" >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; return 1; }
    fi
    local tls=""
    if [ -n "${PG_TLS_DIR:-}" ]; then
        # The key must belong to the server's user and be private to it.
        if [ "$(id -u)" -eq 0 ]; then chown postgres "$PG_TLS_DIR/server-key.pem"; fi
        chmod 600 "$PG_TLS_DIR/server-key.pem"
        tls="-c ssl=on -c ssl_cert_file=$PG_TLS_DIR/server.pem -c ssl_key_file=$PG_TLS_DIR/server-key.pem"
    fi
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=800 -c fsync=${PG_FSYNC:-on} $tls" start >/dev/null \
        || { tail -20 "$dir/postgres.log" >&2; return 1; }
    PG_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

stop_postgres() {
    local dir="$1"
    [ -f "$dir/data/postmaster.pid" ] || return 0
    local bin; bin=$(postgres_bin_dir)
    local run=()
    if [ "$(id -u)" -eq 0 ]; then run=(runuser -u postgres --); fi
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

make_postgres_tls() {
    local dir="$1"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chmod o+x "$dir" "$(dirname "$dir")"; fi
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Mailgate test PostgreSQL CA" \
        -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$dir/server-key.pem" -out "$dir/server.csr" >/dev/null 2>&1
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial -days 2 \
        -extfile <(printf 'subjectAltName=DNS:localhost\n') -out "$dir/server.pem" >/dev/null 2>&1
    chmod 644 "$dir/server.pem" "$dir/ca.pem"
}

# A free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Restarts the cluster in DIR the way an operator's restart does (fast: open connections
# are dropped), with the options it was started with.
restart_postgres() {
    local dir="$1"
    local bin; bin=$(postgres_bin_dir)
    local run=()
    if [ "$(id -u)" -eq 0 ]; then run=(runuser -u postgres --); fi
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -m fast -w -t 60 restart >/dev/null
}
