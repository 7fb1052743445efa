#!/usr/bin/env bash
# Make Debian's Chromium available for the browser end-to-end tests (driven by
# playwright-core with executablePath; `npx playwright install` downloads a browser
# build of its own, which this project never does). Idempotent and shared: a no-op
# when `chromium` is already on PATH (admin-web's tests may install it too).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
echo "==> installing Debian chromium (browser end-to-end tests)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null
