#!/usr/bin/env bash
# Make sure the PostgreSQL and Redis servers named by DATABASE_URL / REDIS_URL
# are reachable for local development and tests.
#
#   scripts/services.sh up      # reuse running servers, or start private ones
#   scripts/services.sh down    # stop only the private instances started by `up`
#   scripts/services.sh status
#
# `up` never touches a server that already answers on the configured address:
# it only creates the database if it is missing. When nothing answers on a
# local address, it installs Debian's packages if needed and runs *private*
# instances whose data lives in .data/ (inside the checkout), so a developer's
# machine-wide services are never reconfigured. Running `up` twice is a no-op.
#
# Only bash and coreutils are needed (no python, no virtualenv), because this
# runs before the virtualenv exists on a fresh machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
. "$ROOT/scripts/env.sh"

DATA_DIR="$ROOT/.data"
REDIS_DIR="$DATA_DIR/redis"

log() { printf '[services] %s\n' "$*" >&2; }
die() {
    printf '[services] ERROR: %s\n' "$*" >&2
    exit 1
}

IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1

# ---------------------------------------------------------------------------
# URL parsing (pure bash; python may not be installed yet on a fresh machine)
# ---------------------------------------------------------------------------

urldecode() {
    local s="${1//\\/\\\\}"
    printf '%b' "${s//%/\\x}"
}

# parse_url URL -> sets U_SCHEME U_USER U_PASS U_HOST U_PORT U_PATH
parse_url() {
    local url="$1" rest hostport auth=""
    [[ "$url" == *://* ]] || die "not a URL: $url"
    U_SCHEME="${url%%://*}"
    rest="${url#*://}"
    rest="${rest%%\?*}"
    rest="${rest%%#*}"
    if [[ "$rest" == */* ]]; then
        hostport="${rest%%/*}"
        U_PATH="${rest#*/}"
    else
        hostport="$rest"
        U_PATH=""
    fi
    if [[ "$hostport" == *@* ]]; then
        # Split at the last '@': an unencoded '@' in a password is common enough.
        auth="${hostport%@*}"
        hostport="${hostport##*@}"
    fi
    U_USER="$(urldecode "${auth%%:*}")"
    U_PASS=""
    [[ "$auth" == *:* ]] && U_PASS="$(urldecode "${auth#*:}")"
    if [[ "$hostport" == \[* ]]; then # [ipv6]:port
        U_HOST="${hostport#[}"
        U_HOST="${U_HOST%%]*}"
        U_PORT=""
        [[ "$hostport" == *\]:* ]] && U_PORT="${hostport##*]:}"
    else
        U_HOST="${hostport%%:*}"
        U_PORT=""
        [[ "$hostport" == *:* ]] && U_PORT="${hostport##*:}"
    fi
    U_PATH="$(urldecode "$U_PATH")"
}

parse_url "$DATABASE_URL"
case "$U_SCHEME" in
    postgres | postgresql | pgsql | postgis) ;;
    *) die "DATABASE_URL must be a postgres:// URL (got scheme '$U_SCHEME')" ;;
esac
PG_HOST="${U_HOST:-127.0.0.1}"
PG_PORT="${U_PORT:-5432}"
PG_USER="${U_USER:-$(id -un)}" # libpq's default when the URL has no user
PG_PASS="$U_PASS"
PG_DB="${U_PATH:-$PG_USER}"

parse_url "$REDIS_URL"
case "$U_SCHEME" in
    redis) ;;
    *) die "REDIS_URL must be a redis:// URL for local development (got scheme '$U_SCHEME')" ;;
esac
REDIS_HOST="${U_HOST:-127.0.0.1}"
REDIS_PORT="${U_PORT:-6379}"
REDIS_PASS="$U_PASS"

is_local() {
    case "$1" in 127.0.0.1 | localhost | ::1) return 0 ;; *) return 1 ;; esac
}

# Can we open a TCP connection? (bash's /dev/tcp, so no netcat is needed)
tcp_open() {
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# ---------------------------------------------------------------------------
# Package installation (only ever reached when a binary is missing)
# ---------------------------------------------------------------------------

APT_UPDATED=0
POLICY_RC_CREATED=0

as_root() {
    if [ "$IS_ROOT" -eq 1 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $* (run as root or install sudo)"
    fi
}

cleanup_policy_rc() {
    if [ "$POLICY_RC_CREATED" -eq 1 ]; then
        as_root rm -f /usr/sbin/policy-rc.d || true
        POLICY_RC_CREATED=0
    fi
}
trap cleanup_policy_rc EXIT

apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        die "missing $*; install it with your package manager (only Debian/Ubuntu is automated)"
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        as_root apt-get update -qq >&2
        APT_UPDATED=1
    fi
    # Debian enables and starts the machine-wide postgres/redis as soon as the
    # packages are installed. They would squat the default ports that our
    # private instances want (and the packaged postgres demands a password over
    # TCP). A policy-rc.d that exits 101 is the Debian way to say "don't start
    # services during this install"; respect one if it already exists.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
        as_root chmod 755 /usr/sbin/policy-rc.d
        POLICY_RC_CREATED=1
    fi
    log "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
    cleanup_policy_rc
}

# We only get here when the package was not installed before, so the
# machine-wide unit is ours to keep from starting at boot and taking the port.
disable_system_unit() {
    local unit="$1"
    command -v systemctl >/dev/null 2>&1 || return 0
    as_root systemctl disable "$unit" >/dev/null 2>&1 || true
    if [ -d /run/systemd/system ]; then
        as_root systemctl stop "$unit" >/dev/null 2>&1 || true
    fi
    log "disabled the machine-wide $unit unit that apt just installed (this project runs its own"
    log "instance in .data/); re-enable with: systemctl enable --now $unit"
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

pg_answers() {
    local rc i
    if command -v pg_isready >/dev/null 2>&1 && pg_isready --version >/dev/null 2>&1; then
        # 0 = accepting, 1 = rejecting (starting up / shutting down), 2 = no answer.
        for i in $(seq 1 10); do
            rc=0
            pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3 || rc=$?
            [ "$rc" -eq 1 ] || break
            sleep 1
        done
        [ "$rc" -eq 0 ]
        return
    fi
    # No client tools (e.g. a database in Docker): "something accepts TCP on
    # this port" is the best we can tell without them.
    tcp_open "$PG_HOST" "$PG_PORT"
}

pg_bindir() {
    local data="${1:-}" d
    # A cluster must be run by the major version that created it.
    if [ -n "$data" ] && [ -f "$data/PG_VERSION" ]; then
        d="/usr/lib/postgresql/$(cat "$data/PG_VERSION")/bin"
        [ -x "$d/postgres" ] && { echo "$d"; return 0; }
    fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && { echo "$d"; return 0; }
    done
    return 1
}

# initdb/postgres refuse to run as root, so as root they run as the `postgres`
# OS user (created by the Debian package); from `/` because that user may not
# be allowed into the caller's working directory.
as_pg() {
    if [ "$IS_ROOT" -eq 1 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Where the private cluster lives. Normally .data/pg, but when running as root
# from a checkout the `postgres` user cannot enter (e.g. under /root, mode 700),
# the cluster goes under postgres' home instead and .data/pg becomes a symlink.
pg_private_base() {
    local alt
    alt="/var/lib/postgresql/algotrade-dev/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
    if [ -L "$DATA_DIR/pg" ]; then
        dirname "$(readlink -f "$DATA_DIR/pg")"
    elif [ "$IS_ROOT" -eq 1 ] && ! (cd / && runuser -u postgres -- test -x "$DATA_DIR") 2>/dev/null; then
        echo "$alt"
    else
        echo "$DATA_DIR"
    fi
}

# psql against the maintenance database, as the URL's user.
pg_sql() {
    local sql="$1"
    if command -v psql >/dev/null 2>&1 && psql --version >/dev/null 2>&1; then
        PGPASSWORD="$PG_PASS" PGCONNECT_TIMEOUT=5 psql -X -q -A -t -v ON_ERROR_STOP=1 \
            -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -c "$sql"
    elif [ -x "$ROOT/.venv/bin/python" ] && "$ROOT/.venv/bin/python" -c 'import psycopg' 2>/dev/null; then
        "$ROOT/.venv/bin/python" - "$sql" <<'PY'
import os, sys
import psycopg
from urllib.parse import urlsplit, unquote

u = urlsplit(os.environ["DATABASE_URL"])
with psycopg.connect(host=u.hostname or "127.0.0.1", port=u.port or 5432,
                     user=unquote(u.username or "") or None,
                     password=unquote(u.password or "") or None,
                     dbname="postgres", autocommit=True, connect_timeout=5) as conn:
    cur = conn.execute(sys.argv[1])
    if cur.description:
        for row in cur.fetchall():
            print("|".join(str(v) for v in row))
PY
    else
        apt_install postgresql-client
        hash -r
        pg_sql "$sql"
    fi
}

pg_ensure_database() {
    local lit="${PG_DB//\'/\'\'}" ident="${PG_DB//\"/\"\"}" exists
    if ! exists="$(pg_sql "SELECT 1 FROM pg_database WHERE datname = '$lit'" 2>&1)"; then
        printf '%s\n' "$exists" >&2
        die "PostgreSQL at $PG_HOST:$PG_PORT is running but refused user '$PG_USER'.
  Put working credentials in DATABASE_URL (e.g. in .env), or point DATABASE_URL at a
  free local port (e.g. postgres://postgres@127.0.0.1:55432/algotrade) to get a
  private instance in .data/."
    fi
    if [ "$exists" = "1" ]; then
        log "postgres: $PG_HOST:$PG_PORT is up, database '$PG_DB' exists"
    else
        pg_sql "CREATE DATABASE \"$ident\"" >/dev/null
        log "postgres: created database '$PG_DB' on $PG_HOST:$PG_PORT"
    fi
}

pg_start_private() {
    local bindir base data run
    if ! bindir="$(pg_bindir)"; then
        apt_install postgresql
        hash -r
        disable_system_unit postgresql.service
        bindir="$(pg_bindir)" || die "postgresql installed but no server binaries under /usr/lib/postgresql"
    fi
    if [ "$IS_ROOT" -eq 1 ]; then
        id postgres >/dev/null 2>&1 || die "the 'postgres' OS user is missing (it comes with Debian's postgresql package)"
        mkdir -p "$DATA_DIR"
        # postgres must be able to traverse into .data/ to reach its cluster.
        chmod 755 "$DATA_DIR"
    fi

    base="$(pg_private_base)"
    data="$base/pg"
    run="$base/pg-run"
    if [ "$base" != "$DATA_DIR" ]; then
        log "postgres: the 'postgres' user cannot enter $ROOT; keeping the cluster in $data"
        as_root mkdir -p "$data"
        mkdir -p "$DATA_DIR"
        [ -L "$DATA_DIR/pg" ] || ln -sfn "$data" "$DATA_DIR/pg"
    fi
    mkdir -p "$data" "$run"
    if [ "$IS_ROOT" -eq 1 ]; then
        chown postgres:postgres "$data" "$run"
    fi
    chmod 700 "$data"

    if [ ! -f "$data/PG_VERSION" ]; then
        log "postgres: initdb $data (superuser '$PG_USER', trust auth for local connections)"
        as_pg "$bindir/initdb" -D "$data" -U "$PG_USER" --auth=trust --encoding=UTF8 --no-locale >/dev/null
        # Our settings live in a separate file so they can be rewritten on every
        # `up` (e.g. after DATABASE_URL's port changes) without editing postgresql.conf.
        printf "\ninclude_if_exists = 'algotrade-dev.conf'\n" | as_pg tee -a "$data/postgresql.conf" >/dev/null
    fi
    bindir="$(pg_bindir "$data")" ||
        die "cluster in $data was created by PostgreSQL $(cat "$data/PG_VERSION"), which is not installed"

    local listen="$PG_HOST"
    # The celery thread pools hold one connection per thread (32 + 8 + 2 by
    # default) on top of web, beat and parallel test databases, hence 200.
    as_pg tee "$data/algotrade-dev.conf" >/dev/null <<EOF
# Written by scripts/services.sh on every 'up'; edits are overwritten.
listen_addresses = '$listen'
port = $PG_PORT
unix_socket_directories = '$run'
max_connections = 200
EOF

    if as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        # Running but not answering on the URL's address: the URL changed.
        log "postgres: private instance running with old settings; restarting"
        as_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    fi
    log "postgres: starting private instance on $PG_HOST:$PG_PORT (data: $data)"
    if ! as_pg "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >/dev/null; then
        tail -n 20 "$data/server.log" >&2 || true
        die "private postgres failed to start (log: $data/server.log)"
    fi
}

pg_up() {
    if pg_answers; then
        pg_ensure_database
        return
    fi
    is_local "$PG_HOST" ||
        die "PostgreSQL at $PG_HOST:$PG_PORT does not answer, and private instances are only started for local addresses"
    pg_start_private
    pg_ensure_database
}

pg_private_data() {
    local d
    for d in "$DATA_DIR/pg" "/var/lib/postgresql/algotrade-dev/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)/pg"; do
        if [ -f "$d/PG_VERSION" ]; then
            readlink -f "$d"
            return 0
        fi
    done
    return 1
}

pg_down() {
    local data bindir
    data="$(pg_private_data)" || { log "postgres: no private instance"; return 0; }
    bindir="$(pg_bindir "$data")" || { log "postgres: no server binaries for $data"; return 0; }
    if as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        as_pg "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
        log "postgres: stopped private instance ($data)"
    else
        log "postgres: private instance not running"
    fi
}

# ---------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------

# Speak RESP over /dev/tcp so no redis-cli is needed. Any reply (including
# -NOAUTH when a password is set) means a Redis server is answering.
redis_answers() {
    timeout 3 bash -c '
        exec 3<>"/dev/tcp/$1/$2" || exit 1
        printf "PING\r\n" >&3
        IFS= read -r -t 2 reply <&3 || exit 1
        case "$reply" in "+PONG"* | "-NOAUTH"* | "-ERR"*) exit 0 ;; *) exit 1 ;; esac
    ' _ "$REDIS_HOST" "$REDIS_PORT" 2>/dev/null
}

# PID of the private redis-server, if it is running (guards against PID reuse).
redis_private_pid() {
    local pid
    [ -f "$REDIS_DIR/redis.pid" ] || return 1
    pid="$(cat "$REDIS_DIR/redis.pid" 2>/dev/null)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'redis-server' || return 1
    echo "$pid"
}

redis_stop_private() {
    local pid i
    pid="$(redis_private_pid)" || return 1
    kill -TERM "$pid"
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && die "redis-server (pid $pid) did not stop"
    rm -f "$REDIS_DIR/redis.pid"
    return 0
}

redis_up() {
    if redis_answers; then
        log "redis: $REDIS_HOST:$REDIS_PORT is up"
        return
    fi
    is_local "$REDIS_HOST" ||
        die "Redis at $REDIS_HOST:$REDIS_PORT does not answer, and private instances are only started for local addresses"
    if ! command -v redis-server >/dev/null 2>&1; then
        apt_install redis-server
        hash -r
        disable_system_unit redis-server.service
    fi
    if redis_stop_private; then
        log "redis: stopped private instance that was running with old settings"
    fi
    mkdir -p "$REDIS_DIR"
    local bind="127.0.0.1"
    [ "$REDIS_HOST" = "::1" ] && bind="::1"
    local args=(
        --daemonize yes --port "$REDIS_PORT" --bind "$bind"
        --dir "$REDIS_DIR"
        # Celery queues live here: persist them and never evict keys.
        --appendonly yes --appendfsync everysec --maxmemory-policy noeviction
        --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log"
    )
    [ -n "$REDIS_PASS" ] && args+=(--requirepass "$REDIS_PASS")
    log "redis: starting private instance on $REDIS_HOST:$REDIS_PORT (data: $REDIS_DIR)"
    redis-server "${args[@]}"
    local i
    for i in $(seq 1 100); do
        redis_answers && return 0
        sleep 0.1
    done
    tail -n 20 "$REDIS_DIR/redis.log" >&2 || true
    die "private redis failed to start (log: $REDIS_DIR/redis.log)"
}

redis_down() {
    if redis_stop_private; then
        log "redis: stopped private instance"
    else
        log "redis: private instance not running"
    fi
}

# ---------------------------------------------------------------------------

status() {
    local data bindir pid
    if pg_answers; then log "postgres: $PG_HOST:$PG_PORT answers"; else log "postgres: $PG_HOST:$PG_PORT does NOT answer"; fi
    if data="$(pg_private_data)" && bindir="$(pg_bindir "$data")" &&
        as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        log "postgres: private instance running ($data)"
    fi
    if redis_answers; then log "redis: $REDIS_HOST:$REDIS_PORT answers"; else log "redis: $REDIS_HOST:$REDIS_PORT does NOT answer"; fi
    if pid="$(redis_private_pid)"; then
        log "redis: private instance running (pid $pid, $REDIS_DIR)"
    fi
}

case "${1:-}" in
    up)
        pg_up
        redis_up
        ;;
    down)
        pg_down
        redis_down
        ;;
    status) status ;;
    *)
        echo "usage: $0 up|down|status" >&2
        exit 2
        ;;
esac
