#!/usr/bin/env bash
# The Next.js admin web (admin-web/): dependencies, build, unit tests, browser, server.
#
#   scripts/admin-web.sh deps     # npm ci, only when package-lock.json changed (stamp file)
#   scripts/admin-web.sh build    # deps + `next build`, only when a source file changed (stamp file)
#   scripts/admin-web.sh test     # build + the unit tests (vitest)
#   scripts/admin-web.sh browser  # make sure headless Chromium (Debian's) is installed
#   scripts/admin-web.sh start    # serve the production build on 127.0.0.1:${ADMIN_WEB_PORT:-3000}
#
# Every step is idempotent and skips what is already done. Nothing is downloaded but npm
# packages and Debian packages: no browser build of Playwright's, no fonts from a CDN.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP="$ROOT/admin-web"
export NEXT_TELEMETRY_DISABLED=1

log() { printf '[admin-web] %s\n' "$*" >&2; }
die() {
    printf '[admin-web] ERROR: %s\n' "$*" >&2
    exit 1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $* (run as root or install sudo)"
    fi
}

APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "please install: $* (only Debian/Ubuntu is automated)"
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        as_root apt-get update -qq >&2
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

ensure_node() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        apt_install nodejs npm
    fi
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' ||
        die "Node.js >= 18.18 is needed (found $(node --version))"
}

sha() { sha256sum | cut -c1-16; }

# One npm ci / next build at a time in this checkout (two test runs, or `make run` beside
# `make test`, would otherwise write node_modules/ and .next/ at once). Taken once per script
# run; the stamps are checked again after waiting.
LOCKED=0
lock() {
    [ "$LOCKED" -eq 1 ] && return 0
    exec 9>"$APP/.build.lock"
    if command -v flock >/dev/null 2>&1; then
        flock 9
    fi
    LOCKED=1
}

deps() {
    ensure_node
    local hash stamp
    hash="$(cat "$APP/package.json" "$APP/package-lock.json" | sha)"
    stamp="$APP/node_modules/.installed-$hash"
    if [ -f "$stamp" ]; then
        return 0
    fi
    lock
    [ -f "$stamp" ] && return 0
    log "npm ci (package-lock.json changed or node_modules missing)"
    (cd "$APP" && npm ci --no-audit --no-fund --loglevel=error >&2)
    rm -f "$APP"/node_modules/.installed-*
    touch "$stamp"
}

# A hash of every source file of the app (not node_modules, .next, screenshots).
source_hash() {
    (
        cd "$APP"
        find . \( -path ./node_modules -o -path ./.next -o -path ./e2e -o -path ./tests \) -prune -o \
            -type f \( -name '*.ts' -o -name '*.tsx' -o -name '*.css' -o -name '*.mjs' -o -name '*.json' -o -name '*.js' \) \
            ! -name 'next-env.d.ts' ! -name '*.tsbuildinfo' -print |
            LC_ALL=C sort | xargs sha256sum
    ) | sha
}

build() {
    deps
    local hash stamp
    lock
    hash="$(source_hash)"
    stamp="$APP/.next/.source-$hash"
    if [ -f "$stamp" ] && [ -f "$APP/.next/BUILD_ID" ]; then
        log "build is up to date"
        return 0
    fi
    log "next build"
    local started=$SECONDS
    (cd "$APP" && npx --no-install next build >&2)
    rm -f "$APP"/.next/.source-*
    touch "$stamp"
    log "built in $((SECONDS - started)) s"
}

unit() {
    deps
    log "vitest (unit tests)"
    (cd "$APP" && npx --no-install vitest run >&2)
}

browser() {
    if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
        return 0
    fi
    # Debian's Chromium, driven by playwright-core with executablePath; the fonts make text
    # render on a minimal image.
    apt_install chromium fonts-dejavu-core
}

start() {
    build
    local port="${ADMIN_WEB_PORT:-3000}"
    export BACKEND_URL="${BACKEND_URL:-http://127.0.0.1:${WEB_PORT:-8000}}"
    log "serving http://127.0.0.1:$port (backend $BACKEND_URL)"
    cd "$APP"
    [ "$LOCKED" -eq 1 ] && exec 9>&- # the server must not hold the build lock
    exec node node_modules/next/dist/bin/next start -H 127.0.0.1 -p "$port"
}

case "${1:-}" in
    deps) deps ;;
    build) build ;;
    test)
        build
        unit
        ;;
    unit) unit ;;
    browser) browser ;;
    start) start ;;
    *)
        echo "usage: $0 deps|build|test|unit|browser|start" >&2
        exit 2
        ;;
esac
