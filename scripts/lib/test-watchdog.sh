# Sourced by scripts/test: runs the test command with a time limit and, when a test
# wedges, says which one instead of only "timed out".

# Prints the tests that started but never finished, according to Swift Testing's log.
unfinished_tests() {
    local log="$1"
    grep -o '◇ Test .* started\.$' "$log" | grep -vE '^◇ Test (case|run) ' | sed -e 's/^◇ Test //' -e 's/ started\.$//' | sort | uniq -c >"$log.started"
    grep -oE '[✔✘] Test .* (passed|failed|skipped)( after| with|\.).*' "$log" | grep -vE '^[✔✘] Test (case|run) ' |
        sed -E -e 's/^[✔✘] Test //' -e 's/( with [0-9]+ test cases?)? (passed|failed|skipped)( after| with|\.).*$//' | sort | uniq -c >"$log.ended"
    # A name counted more often at start than at the end is still running.
    awk -v ended_file="$log.ended" 'FILENAME == ended_file { ended[substr($0, 9)] = $1; next }
         { name = substr($0, 9); if ($1 > ended[name] + 0) print "  " name }' "$log.ended" "$log.started"
}

# Prints the process ids below PID, children first.
descendants() {
    local child
    for child in $(pgrep -P "$1"); do
        echo "$child"
        descendants "$child"
    done
}

# run_with_watchdog SECONDS LOG COMMAND...: runs COMMAND with its output also in LOG; past
# SECONDS it prints the threads of the test process (gdb) and the unfinished tests, then
# stops it. Returns COMMAND's status, or 124 after the time limit.
run_with_watchdog() {
    local limit="$1" log="$2"; shift 2
    set +e
    "$@" > >(tee "$log") 2>&1 &
    local pid=$! waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$limit" ]; do
        sleep 1
        waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "== the tests ran past ${limit} s: stopping them"
        local tests
        tests=$(descendants "$pid" | while read -r child; do
            grep -qa 'PackageTests.xctest' "/proc/$child/cmdline" 2>/dev/null && echo "$child"; done | tail -1)
        if [ -n "$tests" ] && command -v gdb >/dev/null; then
            echo "== where the test process's threads wait (frames in Mailgate code)"
            timeout 60 gdb -p "$tests" -batch -ex 'thread apply all bt 40' 2>/dev/null |
                grep -E '^Thread|Mailgate|mailgate' | sed -E 's/ \(.*\) at / at /' | cut -c1-220 | head -150
        fi
        descendants "$pid" | xargs -r kill -KILL 2>/dev/null
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        echo "== tests that started and never finished:"
        unfinished_tests "$log"
        set -e
        return 124
    fi
    wait "$pid"
    local status=$?
    set -e
    return $status
}
