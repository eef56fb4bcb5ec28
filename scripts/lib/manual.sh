# Sourced by scripts/test and scripts/install (the Dockerfile does the same in its build stage).

# Builds swift-argument-parser's generate-manual, the tool its GenerateManual plugin runs (the
# plugin would first build this whole package in release mode), from the checkout SwiftPM
# resolved, into .build/generate-manual; prints the tool's path. $1: debug (default) or release.
build_generate_manual() {
    local configuration="${1:-debug}"
    local parser=.build/checkouts/swift-argument-parser
    [ -d "$parser" ] || swift package resolve >/dev/null
    swift build --package-path "$parser" --scratch-path .build/generate-manual -c "$configuration" \
        --product generate-manual >/dev/null
    echo "$(swift build --package-path "$parser" --scratch-path .build/generate-manual -c "$configuration" \
        --show-bin-path)/generate-manual"
}
