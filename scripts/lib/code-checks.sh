# Sourced by scripts/test: the checks that keep the project's own code clean. CI runs them
# on a fresh clone, so every file is compiled and every warning shows in the build log.

# The project's own Swift folders, without the generated protobuf code.
own_swift_folders() {
    ls -d Sources/*/ Tests/ | grep -v '^Sources/MailgateProto/'
}

# Fails when `swift format lint` finds anything in the project's own code
# (`swift format format -i -r $(own_swift_folders)` fixes most of it).
check_format() {
    # shellcheck disable=SC2046
    swift format lint --strict --recursive --parallel $(own_swift_folders)
}

# check_no_warnings LOG: fails when the build log has a warning from Sources/ or Tests/
# (warnings from dependencies are theirs). Only a full build prints every one.
check_no_warnings() {
    local log="$1" found
    found=$(grep -E "^$(pwd)/(Sources|Tests)/[^:]+:[0-9]+:[0-9]+: warning:" "$log" | sort -u || true)
    [ -z "$found" ] && return 0
    echo "== the build warns about the project's own code ($(echo "$found" | wc -l) distinct warnings):" >&2
    echo "$found" >&2
    return 1
}
