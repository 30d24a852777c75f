#!/usr/bin/env bash
# Make PostgreSQL's server binaries (initdb, pg_ctl, postgres) available to the test suite, which
# starts a private server from them in a temporary folder (tests/conftest.py).
#
# Idempotent: does nothing when the binaries are there. Otherwise installs Debian's `postgresql`
# package with apt-get (as root, or through passwordless sudo) and stops the default cluster the
# package may start. Without root, sudo or apt-get it prints a note and exits 0: the PostgreSQL
# tests are then skipped, except when CI is set, where they fail (and so does this script when
# an installation it tried failed).
set -euo pipefail

have_server() {
    local dir
    for dir in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/*/bin \
        "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
            echo "ensure-postgres: PostgreSQL server binaries in $dir"
            return 0
        fi
    done
    return 1
}

give_up() {
    echo "ensure-postgres: $1; the PostgreSQL tests will be skipped (install the server, e.g." \
        "'apt-get install postgresql', to run them)" >&2
    if [ -n "${CI:-}" ] && [ "${2:-}" = "failed" ]; then
        exit 1
    fi
    exit 0
}

if have_server; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    give_up "PostgreSQL is not installed and installing it needs root (no passwordless sudo)"
fi
if ! command -v apt-get >/dev/null 2>&1; then
    give_up "PostgreSQL is not installed and there is no apt-get to install it with"
fi

echo "ensure-postgres: installing PostgreSQL with apt-get"
${as_root[@]+"${as_root[@]}"} apt-get update -qq || give_up "apt-get update failed" failed
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql \
    >/dev/null || give_up "apt-get install postgresql failed" failed

# The package creates a default cluster and may start it; the tests run their own server.
if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters --no-header 2>/dev/null | while read -r version name _port status _rest; do
        case "$status" in
            online*) ${as_root[@]+"${as_root[@]}"} pg_ctlcluster "$version" "$name" stop || true ;;
        esac
    done
fi

have_server || give_up "apt-get installed postgresql but its server binaries are not found" failed
