#!/usr/bin/env bash
# The mobile app's part of `make test` and the web build the browser e2e test serves.
#
#   bash scripts/mobile.sh deps     npm ci in mobile/, only when package-lock.json changed
#   bash scripts/mobile.sh jest     deps + the jest-expo suite (screens, API client)
#   bash scripts/mobile.sh export   deps + `expo export --platform web` into mobile/dist,
#                                   only when the app's sources changed (stamp of their hash)
#   bash scripts/mobile.sh test     chromium (scripts/ensure-chromium.sh) + jest + export
#   bash scripts/mobile.sh serve    export, then serve mobile/dist with /api and /ws proxied
#                                   to API_URL (default http://127.0.0.1:${WEB_PORT:-8000})
#
# Nothing is downloaded at run time beyond `npm ci` from the npm registry; the export runs
# offline (EXPO_OFFLINE).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP="$ROOT/mobile"
export CI="${CI:-1}" EXPO_OFFLINE=1 EXPO_NO_TELEMETRY=1 EXPO_NO_DOTENV=1

need_node() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "mobile: node and npm are required (Node 20.19+; see README, Mobile app)" >&2
        exit 1
    fi
}

# node_modules for one package-lock.json is installed once per machine into a cache outside
# the work tree (a fresh clone, e.g. CI's, then takes a hard-linked copy in seconds instead of
# a 3-minute `npm ci`). No package of the app has install scripts, so the copy is exact.
NODE_CACHE="${MOBILE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/algotrade/mobile-node-modules}"

deps() {
    need_node
    local hash stamp cached
    hash="$(cat "$APP/package.json" "$APP/package-lock.json" | sha256sum | cut -c1-16)"
    stamp="$APP/node_modules/.installed-$hash"
    if [ -f "$stamp" ]; then
        return 0
    fi
    cached="$NODE_CACHE/$hash"
    if [ ! -f "$cached/.complete" ]; then
        echo "==> mobile: npm ci (package-lock.json changed)"
        rm -rf "$cached.tmp"
        mkdir -p "$cached.tmp"
        cp "$APP/package.json" "$APP/package-lock.json" "$cached.tmp/"
        (cd "$cached.tmp" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
        touch "$cached.tmp/.complete"
        rm -rf "$cached"
        mv "$cached.tmp" "$cached"
        # keep the two newest installs
        ls -1dt "$NODE_CACHE"/*/ 2>/dev/null | tail -n +3 | xargs -r rm -rf
    fi
    echo "==> mobile: node_modules from $cached"
    rm -rf "$APP/node_modules"
    cp -al "$cached/node_modules" "$APP/node_modules" 2>/dev/null || cp -a "$cached/node_modules" "$APP/node_modules"
    touch "$stamp"
}

sources_hash() {
    (
        cd "$APP"
        find app lib components app.json package-lock.json tsconfig.json -type f -print0 2>/dev/null |
            sort -z | xargs -0 sha256sum
        printf 'EXPO_PUBLIC_API_URL=%s\n' "${EXPO_PUBLIC_API_URL:-}"
    ) | sha256sum | cut -c1-16
}

export_web() {
    deps
    local hash stamp
    hash="$(sources_hash)"
    stamp="$APP/dist/.built-$hash"
    if [ -f "$stamp" ]; then
        echo "==> mobile: web export up to date (mobile/dist)"
        return 0
    fi
    echo "==> mobile: expo export --platform web"
    local t0=$SECONDS
    (cd "$APP" && rm -rf dist && npx expo export --platform web --output-dir dist >/dev/null)
    touch "$stamp"
    echo "    built in $((SECONDS - t0)) s"
}

run_jest() {
    deps
    echo "==> mobile: jest"
    (cd "$APP" && NODE_ENV=test npx jest --ci --maxWorkers=2)
}

case "${1:-test}" in
    deps) deps ;;
    jest) run_jest ;;
    export) export_web ;;
    test)
        bash "$ROOT/scripts/ensure-chromium.sh"
        run_jest
        export_web
        ;;
    serve)
        export_web
        exec node "$APP/scripts/serve-web.mjs" --dir "$APP/dist" \
            --api "${API_URL:-http://127.0.0.1:${WEB_PORT:-8000}}" \
            --host "${HOST:-127.0.0.1}" --port "${MOBILE_WEB_PORT:-8082}"
        ;;
    *)
        echo "usage: $0 deps|jest|export|test|serve" >&2
        exit 2
        ;;
esac
