#!/usr/bin/env bash
# Create .venv (if missing or broken) and install requirements/dev.txt, then
# requirements/nodeps.txt without dependencies, into it; then drop the stamp
# file given as $1 so the Makefile skips all of this until a requirements file
# changes.
#
#   scripts/bootstrap-venv.sh .venv/.installed-<hash>
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
STAMP="${1:?usage: $0 STAMP_FILE}"
PYTHON="${BOOTSTRAP_PYTHON:-python3}"

log() { printf '[venv] %s\n' "$*" >&2; }
die() {
    printf '[venv] ERROR: %s\n' "$*" >&2
    exit 1
}

# The Makefile puts .venv/bin first on PATH; when rebuilding a broken venv we
# must find the system interpreter, not the half-dead one inside it.
PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$VENV/bin" | paste -sd: -)"
export PATH

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $*"
    fi
}

apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "please install: $* (only Debian/Ubuntu is automated)"
    log "apt-get install $*"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

command -v "$PYTHON" >/dev/null 2>&1 || apt_install python3 python3-venv
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    die "Python >= 3.11 is required ($PYTHON is $("$PYTHON" -V 2>&1)); set BOOTSTRAP_PYTHON=python3.x"

# A venv without a working pip is what Debian leaves behind when python3-venv
# (ensurepip) is missing, and what remains when the base interpreter moved.
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$VENV"
    log "creating $VENV with $("$PYTHON" -V 2>&1)"
    if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
        rm -rf "$VENV"
        # Debian splits ensurepip out of python3 into python3.X-venv.
        pyver="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        apt_install python3-venv "python$pyver-venv"
        "$PYTHON" -m venv "$VENV"
    fi
fi

log "installing requirements/dev.txt"
"$VENV/bin/python" -m pip install --disable-pip-version-check -q -r requirements/dev.txt
# Packages whose own pins conflict with ours (kiteconnect pins an old autobahn): installed
# without their declared dependencies, which base.txt lists instead.
log "installing requirements/nodeps.txt (--no-deps)"
"$VENV/bin/python" -m pip install --disable-pip-version-check -q --no-deps -r requirements/nodeps.txt

rm -f "$VENV"/.installed-*
touch "$STAMP"
log "ready"
