# shellcheck shell=bash
# Sourced (not executed) by the Makefile recipes and scripts/services.sh so that
# every entry point sees the same environment:
#
#   1. variables already set in the caller's environment   (highest priority)
#   2. values from ./.env
#   3. the development defaults below                        (lowest priority)
#
# This is the precedence django-environ uses (Env.read_env() never overwrites
# an existing variable), so `DATABASE_URL=... make test` behaves the same way in
# the shell scripts as it does inside Django.

_algotrade_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ -f "$_algotrade_root/.env" ]; then
    # Snapshot the exported environment, source .env with auto-export, then
    # replay the snapshot so pre-existing variables win over .env values.
    _algotrade_saved_env="$(export -p)"
    set -a
    # shellcheck disable=SC1091
    . "$_algotrade_root/.env"
    set +a
    # `|| true`: a readonly variable in the snapshot must not abort a `set -e` caller.
    eval "$_algotrade_saved_env" 2>/dev/null || true
    unset _algotrade_saved_env
fi

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/algotrade}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
export PYTHONUNBUFFERED=1

unset _algotrade_root
