# Shared by scripts/dev, scripts/test and scripts/bench: installs what a fresh machine lacks.
# Sourced, not run. Only Debian packages (apt-get) and PyPI packages (into .mailgate/venv).

_apt_updated=0

# Installs each Debian package that is not installed yet.
ensure_debian_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    if [ $_apt_updated -eq 0 ]; then
        $sudo apt-get update -qq >/dev/null
        _apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What building Mailgate needs beyond the Swift toolchain: the headers of the C libraries it
# links (libcurl for SMTP and HTTPS, libidn2 for domain names, zlib) and pkg-config to find them.
ensure_swift_build_packages() {
    ensure_debian_packages libcurl4-openssl-dev libidn2-dev zlib1g-dev pkg-config
}

# Creates .mailgate/venv if needed and installs the given PyPI requirements into it.
ensure_python_venv() {
    local venv="$1"; shift
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" 2>/dev/null || { ensure_debian_packages python3-venv; python3 -m venv "$venv"; }
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}

# The directory holding PostgreSQL's server binaries (initdb, pg_ctl, postgres).
postgres_bin_dir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

# Makes sure PostgreSQL's server is installed.
ensure_postgres() {
    postgres_bin_dir >/dev/null || ensure_debian_packages postgresql
    id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql postgres
}

# Installs protoc with its well-known types (google/protobuf/*.proto ship in libprotobuf-dev,
# which protobuf-compiler only recommends) and protoc-c with the protobuf-c headers.
ensure_protoc() {
    ensure_debian_packages protobuf-compiler libprotobuf-dev protobuf-c-compiler libprotobuf-c-dev
}
