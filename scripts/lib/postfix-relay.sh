# Sourced by the benchmarks: a private Postfix instance (its own configuration, queue and ports)
# that relays everything it accepts to one SMTP peer, Mailgate's queue-and-relay peer.
# Needs root (Postfix drops to its `postfix` user) and Debian's postfix package.

# start_postfix_relay DIR SMTPD_PORT RELAY_PORT CONCURRENCY: starts Postfix with its configuration and
# queue in DIR, accepting on 127.0.0.1:SMTPD_PORT and relaying to [127.0.0.1]:RELAY_PORT with at
# most CONCURRENCY connections. Delivery is held (`defer_transports`) until release_postfix_relay,
# so the queue fills first and the relay is measured on its own.
start_postfix_relay() {
    local dir="$1" port="$2" relay_port="$3" concurrency="$4"
    mkdir -p "$dir/conf" "$dir/queue" "$dir/data"
    cp /etc/postfix/master.cf "$dir/conf/master.cf"
    # smtpd on the benchmark port instead of :25.
    sed -i "s/^smtp \( *inet .*smtpd\)$/127.0.0.1:$port\1/" "$dir/conf/master.cf"
    # Defaults for everything not named (Postfix 3.x, compatibility level 3.6).
    cat >"$dir/conf/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.bench.invalid
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$relay_port
smtp_tls_security_level = none
default_destination_concurrency_limit = $concurrency
initial_destination_concurrency = $concurrency
smtpd_client_connection_count_limit = 0
smtpd_client_message_rate_limit = 0
default_process_limit = 100
defer_transports = smtp relay
maillog_file_prefixes = $dir
maillog_file = $dir/maillog
syslog_name = postfix-bench
CONF
    # No chroot: the instance's queue directory has none of the files a chroot needs.
    postconf -c "$dir/conf" -F '*/*/chroot = n'
    chown -R postfix:postfix "$dir/data"
    postfix -c "$dir/conf" set-permissions >/dev/null 2>&1 || true
    postfix -c "$dir/conf" check
    postfix -c "$dir/conf" start >/dev/null 2>&1
}

# release_postfix_relay DIR: lets the held queue go out (clears defer_transports and flushes).
release_postfix_relay() {
    local dir="$1"
    postconf -c "$dir/conf" -e "defer_transports ="
    postfix -c "$dir/conf" reload >/dev/null 2>&1
    postqueue -c "$dir/conf" -f
}

# postfix_queue_size DIR: messages still in Postfix's queue (incoming, active, deferred, hold).
postfix_queue_size() {
    local dir="$1"
    find "$dir/queue/incoming" "$dir/queue/active" "$dir/queue/deferred" "$dir/queue/hold" "$dir/queue/maildrop" \
        -type f 2>/dev/null | wc -l
}

# stop_postfix_relay DIR: stops the instance (ignored when it never started).
stop_postfix_relay() {
    local dir="$1"
    [ -f "$dir/conf/main.cf" ] && postfix -c "$dir/conf" stop >/dev/null 2>&1 || true
}
