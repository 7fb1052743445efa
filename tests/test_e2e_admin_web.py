"""The admin web (Next.js, admin-web/) in headless Chromium against the real backend processes.

The Stack runs uvicorn, the Celery workers, beat and the tick listener on the test database;
`next start` serves the production build with BACKEND_URL pointing at that uvicorn; then
admin-web/e2e/run.mjs drives Debian's Chromium through playwright-core:

- a trader registers, connects the paper broker, creates and starts a strategy buying a few
  seconds later, and sees it buy live (the position turns LONG on the open page, no reload);
- a trader opening /admin is turned away;
- an admin suspends that trader and throws the global kill switch;
- broker staff see only their own broker's stats.

Screenshots of the main pages land in admin-web/e2e/screenshots/ (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from apps.strategies.calendar import now_ist
from tests.stack import REPO_ROOT, http_ready

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

APP_DIR = REPO_ROOT / "admin-web"
SCREENSHOTS = APP_DIR / "e2e" / "screenshots"
PASSWORD = "Sturdy-Passw0rd-42"
# "A state change shows on the page within a second": from the BUY fill being recorded to the
# position badge turning LONG in the browser.
LIVE_BUDGET_S = 1.0


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Chromium is not installed (`make test` installs it: scripts/admin-web.sh browser)")
    return path


def _build_admin_web() -> None:
    """npm ci + next build when anything changed (a no-op after `make test` built it)."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed (scripts/admin-web.sh installs it)")
    done = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "admin-web.sh"), "build"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, f"admin-web build failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"


def test_trader_admin_and_broker_staff_in_a_real_browser(stack: Any, make_user: Any) -> None:
    from apps.accounts.models import User
    from apps.operations.models import KillSwitch
    from apps.orders.models import OrderEvent, OrderIntent
    from apps.strategies.models import Strategy

    chromium = _chromium()
    if now_ist().time() > dt.time(23, 59):
        pytest.skip("the strategy's buy time would cross midnight IST")
    _build_admin_web()

    make_user("admin", email="e2e-admin@example.test", password=PASSWORD)
    make_user("broker", email="e2e-staff@example.test", broker="paper", password=PASSWORD)

    stack.start("web", "worker-orders", "worker-stoploss", "worker-default", "beat", "listener", timeout=90)
    stack.add_process(
        "admin-web",
        [
            "node",
            str(APP_DIR / "node_modules" / "next" / "dist" / "bin" / "next"),
            "start",
            str(APP_DIR),
            "-H",
            "127.0.0.1",
            "-p",
            "{port}",
        ],
        http_ready("/healthz"),
        env={"BACKEND_URL": stack.url, "NEXT_TELEMETRY_DISABLED": "1", "NODE_ENV": "production"},
    )
    stack.start("admin-web", timeout=60)
    app_url = f"http://127.0.0.1:{stack.port('admin-web')}"

    started = time.monotonic()
    run = subprocess.run(
        [
            "node",
            str(APP_DIR / "e2e" / "run.mjs"),
            "--app",
            app_url,
            "--admin",
            f"e2e-admin@example.test:{PASSWORD}",
            "--broker",
            f"e2e-staff@example.test:{PASSWORD}",
            "--out",
            str(SCREENSHOTS),
            "--chromium",
            chromium,
        ],
        cwd=APP_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    elapsed = time.monotonic() - started
    sys.stdout.write(run.stdout)
    lines = [line for line in run.stdout.splitlines() if line.startswith("E2E_RESULT ")]
    assert lines, (
        f"the browser run printed no result (exit {run.returncode}):\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    )
    result = json.loads(lines[-1].removeprefix("E2E_RESULT "))
    assert run.returncode == 0 and result.get("ok"), (
        f"browser run failed after {elapsed:.0f} s: {result.get('error')}\n"
        f"steps done: {[s['name'] for s in result.get('steps', [])]}\nstderr:\n{run.stderr[-3000:]}\n"
        f"admin-web log:\n{stack.log('admin-web')[-3000:]}"
    )

    # What the browser did really happened in the backend.
    trader = User.objects.get(email=result["trader"])
    assert not trader.is_active  # suspended by the admin
    strategy = Strategy.objects.get(pk=result["strategy_id"], user=trader)
    assert strategy.status == "STOPPED"
    buy = OrderIntent.objects.get(strategy=strategy, leg="ENTRY")
    assert (buy.side, buy.status, buy.reason) == ("BUY", "FILLED", "SCHEDULED")
    assert KillSwitch.objects.filter(scope="global", active=True).exists()

    # The page showed the buy within a second of it being recorded, without a reload.
    fill = OrderEvent.objects.filter(intent=buy, status="FILLED").order_by("at").first()
    recorded = (fill.at if fill is not None else buy.updated_at).timestamp()
    shown = result["long_seen_at_ms"] / 1000
    lag = shown - recorded
    print(f"\nadmin web e2e: {elapsed:.1f} s in the browser; BUY filled -> LONG on the page in {lag * 1000:.0f} ms")
    assert lag < LIVE_BUDGET_S, f"the page showed the fill {lag:.2f} s after it was recorded"

    names = {Path(p).name for p in result["screenshots"]}
    for expected in (
        "05-strategy-detail-live-buy.png",
        "07-dashboard.png",
        "11-admin-users.png",
        "12-admin-system-kill-switch.png",
        "15-broker-desk.png",
    ):
        assert expected in names and (SCREENSHOTS / expected).stat().st_size > 10_000, expected
