"""The mobile app (mobile/, Expo) against the real processes: its API client's jest suite on a
live uvicorn, and the exported web app driven by headless Chromium (Debian's, through
playwright-core) signing in, creating and starting a strategy and seeing it turn LONG live.

Needs Node.js and mobile/node_modules (scripts/mobile.sh, run by `make test` before pytest);
the web export is built here when missing or stale (cached by a hash of the app's sources).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apps.strategies.calendar import now_ist
from tests.e2e_helpers import PASSWORD
from tests.stack import REPO_ROOT

# One group: both may build mobile/dist when it is stale (under `make test` it is already built).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("mobile")]

MOBILE = REPO_ROOT / "mobile"
NODE = shutil.which("node")


def _require_mobile_toolchain() -> str:
    if NODE is None:
        pytest.fail("node is not installed: the mobile app's tests need Node.js 20.19+")
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "mobile.sh"), "export"], check=True, timeout=600)
    return NODE


def _run(argv: list[str], *, env: dict[str, str] | None = None, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=MOBILE,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextlib.contextmanager
def _serve_web_app(stack: Any) -> Iterator[str]:
    """The exported web app served with /api and /ws proxied to the stack's (started) web
    process: one origin, so no CORS. Yields its base URL."""
    node = _require_mobile_toolchain()
    proc = subprocess.Popen(
        [node, "scripts/serve-web.mjs", "--dir", "dist", "--api", stack.url, "--port", "0"],
        cwd=MOBILE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("serving http://"), line
        # Keep draining its output so the pipe never fills.
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield line.split()[1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_api_client_jest_suite_passes_against_the_real_backend(stack: Any) -> None:
    node = _require_mobile_toolchain()
    stack.start("web")
    run = _run(
        [node, "node_modules/.bin/jest", "--ci", "tests/api.integration.test.ts"],
        env={"MOBILE_API_URL": stack.url, "NODE_ENV": "test"},
        timeout=300,
    )
    output = run.stdout + run.stderr
    sys.stdout.write(output)
    assert run.returncode == 0, output
    assert "Tests:" in output and "skipped" not in output.split("Tests:")[1].splitlines()[0], output


def test_web_app_signs_in_creates_and_starts_a_strategy_and_sees_it_turn_long_live(
    stack: Any, make_user: Any, tmp_path: Path
) -> None:
    if (now_ist() + dt.timedelta(minutes=15)).date() != now_ist().date():
        pytest.skip("the schedule would cross midnight IST")
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "ensure-chromium.sh")], check=True, timeout=900)
    user = make_user("user", email="mobile-web@example.test")
    stack.start("web", "worker-orders", "beat", "listener")
    shot = tmp_path / "web-flow.png"

    with _serve_web_app(stack) as web_app:
        run = _run(
            [
                str(NODE),
                "e2e/web-flow.mjs",
                "--url",
                web_app,
                "--email",
                user.email,
                "--password",
                PASSWORD,
                "--screenshot",
                str(shot),
            ],
            timeout=180,
        )

    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, run.stdout + run.stderr
    result = json.loads(lines[-1])
    print(f"\nbrowser flow: {json.dumps(result, indent=1)}\nscreenshot: {shot}")
    assert result["ok"], result
    assert result["positionBefore"] == "FLAT"
    assert result["position"] == "LONG"
    assert result["lastOrder"].startswith("BUY FILLED")
    assert result["orderEventSeen"], result["wsEvents"]
