#!/usr/bin/env bash
# Prepare this machine for Linli: Python venv, Debian packages, a running RabbitMQ
# (and PostgreSQL with --with-postgres). Idempotent, and quick when nothing is missing.
#
#   bash deploy/setup.sh [--with-postgres] [--with-browser] [--with-faketime] [--with-promtool] [--without-fonts]
#
# --with-browser installs Debian's chromium for the web UI's browser tests, --with-faketime
# Debian's faketime for the unit suite on a moved clock, --with-promtool Debian's prometheus for
# promtool, which checks deploy/observability's config and rules (`make test` asks for all three).
set -euo pipefail

WITH_POSTGRES=0
WITH_FONTS=1
WITH_BROWSER=0
WITH_FAKETIME=0
WITH_PROMTOOL=0
for arg in "$@"; do
    case "$arg" in
        --with-postgres) WITH_POSTGRES=1 ;;
        --with-fonts) WITH_FONTS=1 ;;
        --with-browser) WITH_BROWSER=1 ;;
        --with-faketime) WITH_FAKETIME=1 ;;
        --with-promtool) WITH_PROMTOOL=1 ;;
        --without-fonts | --no-fonts) WITH_FONTS=0 ;;
        -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "setup: unknown option $arg" >&2; exit 2 ;;
    esac
done

cd "$(dirname "$0")/.."
REPO_ROOT=$(pwd)
# The Erlang CLI tools and pip want a HOME; CI may not give one.
export HOME="${HOME:-/root}"
export DEBIAN_FRONTEND=noninteractive

say() { echo "setup: $*"; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run me as root (I install Debian packages and start servers)"

# --- Debian packages -------------------------------------------------------

wanted=(rabbitmq-server)
[ "$WITH_POSTGRES" = 1 ] && wanted+=(postgresql)
# `make backup` and `make restore` run pg_dump / pg_restore for a service configured on PostgreSQL.
for var in $(compgen -e); do
    if [[ $var == LINLI_*_DATABASE_URL && ${!var} == postgres* ]]; then wanted+=(postgresql-client); break; fi
done
[ "$WITH_FONTS" = 1 ] && wanted+=(fonts-noto-cjk)
[ "$WITH_BROWSER" = 1 ] && wanted+=(chromium)
[ "$WITH_FAKETIME" = 1 ] && wanted+=(faketime)
[ "$WITH_PROMTOOL" = 1 ] && wanted+=(prometheus)  # its server stays stopped (policy-rc.d below)
# The web UI's browser libraries come from npm packages (see "Web UI" below): npm is needed
# only while they are missing.
VENDOR_DIR=gateway/web/vendor
VENDOR_FILES=(chart.umd.min.js qrcode.js)
vendor_missing=0
for file in "${VENDOR_FILES[@]}"; do [ -s "$VENDOR_DIR/$file" ] || vendor_missing=1; done
if [ "$vendor_missing" = 1 ] && ! command -v npm >/dev/null 2>&1; then
    wanted+=(nodejs npm)
fi
# The linters of `make lint` that come from npm, each pinned in its own folder under .tools/
# (git-ignored): Biome lints and formats the web UI (biome.json), Redocly CLI lints the OpenAPI
# document (redocly.yaml). npm is needed only while one is missing or another version.
NPM_TOOLS=("@biomejs/biome@2.6.9 .tools/js" "@redocly/cli@2.77.0 .tools/redocly")
npm_tool_installed() {  # package@version folder
    local package=${1%@*} version=${1##*@}
    [ "$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$2/node_modules/$package/package.json" 2>/dev/null)" = "$version" ]
}
npm_tools_missing=()
for tool in "${NPM_TOOLS[@]}"; do
    # shellcheck disable=SC2086
    npm_tool_installed $tool || npm_tools_missing+=("$tool")
done
if [ "${#npm_tools_missing[@]}" -gt 0 ] && ! command -v npm >/dev/null 2>&1; then
    wanted+=(nodejs npm)
fi

missing=()
for pkg in "${wanted[@]}"; do
    dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    # Keep the packages' postinst from starting servers: we start them ourselves below,
    # the same way whether they were just installed or not.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Python venv -----------------------------------------------------------

if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    python3 -m venv .venv
fi

# setuptools' editable install of a flat layout maps the top-level packages that existed
# at install time, so their appearance also calls for a reinstall.
stamp_file=.venv/.linli-pyproject.sha256
stamp=$({ cat pyproject.toml; ls -d services/__init__.py gateway/__init__.py 2>/dev/null || true; } \
    | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp_file" 2>/dev/null || true)" != "$stamp" ]; then
    say "installing Python dependencies (pip install -e '.[dev]')"
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
    echo "$stamp" > "$stamp_file"
else
    say "Python dependencies up to date"
fi

# --- RabbitMQ --------------------------------------------------------------

# The node is rabbit@<short hostname>; Erlang distribution fails to start when that
# name does not resolve, which is common in fresh containers.
node_host=$(hostname -s 2>/dev/null || uname -n | cut -d. -f1)
if ! getent hosts "$node_host" >/dev/null; then
    say "adding $node_host to /etc/hosts (RabbitMQ's node name must resolve)"
    echo "127.0.0.1 $node_host" >> /etc/hosts
fi

rabbit_ping() { rabbitmq-diagnostics -q ping >/dev/null 2>&1; }

management_api_up() {
    "$REPO_ROOT/.venv/bin/python" - <<'EOF' 2>/dev/null
import base64, urllib.request
auth = base64.b64encode(b"guest:guest").decode()
req = urllib.request.Request("http://127.0.0.1:15672/api/overview",
                             headers={"Authorization": "Basic " + auth})
urllib.request.urlopen(req, timeout=2)
EOF
}

plugins_file=${RABBITMQ_ENABLED_PLUGINS_FILE:-/etc/rabbitmq/enabled_plugins}
rabbit_running=0
rabbit_ping && rabbit_running=1

# The management API (the tests' vhosts) and Prometheus metrics on :15692/metrics.
for plugin in rabbitmq_management rabbitmq_prometheus; do
    if ! grep -qs "$plugin" "$plugins_file"; then
        say "enabling $plugin"
        if [ "$rabbit_running" = 1 ]; then
            rabbitmq-plugins enable "$plugin" >/dev/null
        else
            rabbitmq-plugins enable --offline "$plugin" >/dev/null
        fi
    fi
done

if [ "$rabbit_running" = 0 ]; then
    say "starting RabbitMQ"
    rabbitmq-server -detached >/dev/null 2>&1 || true
fi

deadline=$((SECONDS + 60))
until rabbit_ping && management_api_up; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "setup: RabbitMQ did not come up within 60 s; last log lines:" >&2
        tail -n 30 /var/log/rabbitmq/*.log 2>/dev/null >&2 || true
        die "RabbitMQ is not running"
    fi
    sleep 1
done
say "RabbitMQ is up (amqp://127.0.0.1:5672, management http://127.0.0.1:15672)"

# --- PostgreSQL ------------------------------------------------------------

if [ "$WITH_POSTGRES" = 1 ]; then
    as_postgres() { (cd / && runuser -u postgres -- "$@"); }

    read -r pg_version pg_cluster _ pg_status _ < <(pg_lsclusters -h | awk '$2 == "main"' | head -n1) || true
    if [ -z "${pg_version:-}" ]; then
        pg_version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
        pg_cluster=main
        say "creating PostgreSQL $pg_version cluster $pg_cluster"
        pg_createcluster "$pg_version" "$pg_cluster" >/dev/null
        pg_status=down
    fi
    if [[ "$pg_status" != online* ]]; then
        say "starting PostgreSQL $pg_version/$pg_cluster"
        pg_ctlcluster "$pg_version" "$pg_cluster" start
    fi

    deadline=$((SECONDS + 60))
    until pg_isready -q -h 127.0.0.1; do
        [ "$SECONDS" -ge "$deadline" ] && die "PostgreSQL is not ready after 60 s (see /var/log/postgresql/)"
        sleep 1
    done

    as_postgres psql -q -v ON_ERROR_STOP=1 <<'EOF'
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'linli') THEN
        CREATE ROLE linli LOGIN CREATEDB PASSWORD 'linli';
    ELSE
        ALTER ROLE linli LOGIN CREATEDB PASSWORD 'linli';
    END IF;
END
$$;
-- The test suite drops its databases WITH (FORCE), which must end an autovacuum worker too.
GRANT pg_signal_backend TO linli;
EOF
    say "PostgreSQL is up (postgresql://linli:linli@127.0.0.1:5432/postgres)"
fi

# --- Web UI: browser libraries from npm -------------------------------------

# Fetched at install time (the machine may be offline when Linli runs) and served by the gateway
# from gateway/web/vendor (git-ignored). Pinned versions; the packed tarballs are cached.
if [ "$vendor_missing" = 1 ]; then
    npm_cache=${LINLI_NPM_CACHE:-$HOME/.cache/linli-npm}
    mkdir -p "$npm_cache" "$VENDOR_DIR"
    vendor_ok=1
    fetch_npm() {  # package@version, file inside the package, name in vendor/
        local tarball
        tarball=$(cd "$npm_cache" && ls "$(echo "${1%@*}" | tr -d '@' | tr '/' '-')-${1##*@}.tgz" 2>/dev/null) \
            || tarball=$(cd "$npm_cache" && npm pack --silent "$1" 2>/dev/null | tail -n1) || return 1
        [ -n "$tarball" ] && tar -xzf "$npm_cache/$tarball" -O "package/$2" > "$VENDOR_DIR/$3.tmp" \
            && [ -s "$VENDOR_DIR/$3.tmp" ] && mv "$VENDOR_DIR/$3.tmp" "$VENDOR_DIR/$3"
    }
    say "fetching the web UI's libraries from npm (chart.js, qrcode-generator)"
    fetch_npm chart.js@4.6.1 dist/chart.umd.min.js chart.umd.min.js || vendor_ok=0
    fetch_npm qrcode-generator@1.5.2 qrcode.js qrcode.js || vendor_ok=0
    rm -f "$VENDOR_DIR"/*.tmp
    if [ "$vendor_ok" = 0 ]; then
        say "WARNING: could not fetch the web UI's libraries; the console works without charts, pickup codes show without QR"
    fi
fi

# --- Linters from npm ---------------------------------------------------------

for tool in "${npm_tools_missing[@]}"; do
    read -r package folder <<< "$tool"
    say "installing $package into $folder (for make lint)"
    mkdir -p "$folder"
    npm install --silent --no-save --no-audit --no-fund --prefix "$folder" "$package" >/dev/null \
        || say "WARNING: could not install $package; make lint cannot run it"
done

say "ready"
