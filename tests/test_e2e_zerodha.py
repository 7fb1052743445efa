"""Zerodha end to end on real processes against the Kite simulator (REST and ticker WebSocket):

1. A strategy on a Zerodha account runs end to end (buy, stop-loss, sell), with ticks from the
   KiteTicker bridge: the account is connected with api_key/api_secret and logged in through
   our callback with the simulator's request_token; `run_kite_feed` runs the official
   KiteTicker in its bridge child and feeds the listener; the stop-loss SELL reaches Kite.
2. The Kite session expires mid-day: the exit fails once (never retried with the dead token),
   the strategy says re-login needed, the trader is notified, and a new login revives the account.

The web, workers, beat, listener and feed are real processes; the simulator runs in the test.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from apps.core.redis import get_redis
from apps.strategies.calendar import now_ist
from brokers.simulators.kite import KiteSimulator
from tests.e2e_helpers import hms, signed_in_client, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PLACE = r"/orders/regular"
ALGO_ID = "ALGOE2E0001"
ISSUED: list[str] = []  # request tokens handed to our callback: they must not reach a log either


@pytest.fixture
def kite() -> Iterator[KiteSimulator]:
    with KiteSimulator(ticker=True, tick_interval=0.1) as sim:
        yield sim


def _point_at(stack: Any, kite: KiteSimulator, **extra: str) -> None:
    stack.env.update(
        KITE_API_ROOT=kite.base_url,
        KITE_WS_ROOT=kite.ws_url,
        KITE_LOGIN_URL="https://kite.example.test/connect/login",
        KITE_TIMEOUT="5",
        ALGO_ID=ALGO_ID,
        **extra,
    )


def _skip_near_midnight(seconds: int) -> None:
    if (now_ist() + dt.timedelta(seconds=seconds)).date() != now_ist().date():
        pytest.skip("the schedule would cross midnight IST")


def _kite_login(stack: Any, http: httpx.Client, kite: KiteSimulator, account_id: int) -> dict[str, Any]:
    """What the trader's browser does: open our login URL at Kite, come back with request_token."""
    request_token = kite.issue_request_token()
    ISSUED.append(request_token)
    started = http.post(f"/api/broker/accounts/{account_id}/login/start")
    assert started.status_code == 200, started.text
    login_url = started.json()["login_url"]
    query = parse_qs(urlsplit(login_url).query)
    assert query["api_key"] == [kite.api_key]
    state = parse_qs(query["redirect_params"][0])["state"][0]
    # Kite redirects the browser to the registered URL: no Authorization header of ours.
    with httpx.Client(base_url=stack.url, timeout=15) as browser:
        done = browser.get(
            "/api/broker/login/callback",
            params={"action": "login", "type": "login", "status": "success",
                    "request_token": request_token, "state": state},
        )
    assert done.status_code == 200, done.text
    return done.json()


def _connect_zerodha(stack: Any, http: httpx.Client, kite: KiteSimulator) -> dict[str, Any]:
    r = http.post("/api/broker/connect", json={
        "broker": "zerodha", "label": "Kite", "credentials": {"api_key": kite.api_key, "api_secret": kite.api_secret}})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "NEEDS_LOGIN"
    account = _kite_login(stack, http, kite, r.json()["id"])
    assert account["status"] == "ACTIVE" and account["token_valid"] is True
    return account


def _status(http: httpx.Client, sid: int) -> dict[str, Any]:
    return http.get(f"/api/strategy/status/{sid}").json()


def test_zerodha_strategy_buys_stops_out_on_a_kite_ticker_tick_and_sells_nothing_more(
    stack: Any, kite: KiteSimulator
) -> None:
    _skip_near_midnight(90)
    began = time.monotonic()
    kite.set_price("TCS", "3500.00")
    _point_at(stack, kite)
    stack.start("web", "worker-orders", "worker-stoploss", "beat", "listener")
    http = signed_in_client(stack.url, "kite-trader@example.test")
    try:
        account = _connect_zerodha(stack, http, kite)
        stack.add_process(
            "feed", ["python", "manage.py", "run_kite_feed"], "connected to listener",
            env={"LISTENER_PORT": str(stack.port("listener")), "LOG_LEVEL": "INFO", "KITE_FEED_REFRESH_SECONDS": "1"},
        )
        stack.start("feed")

        buy = (now_ist() + dt.timedelta(seconds=5)).replace(microsecond=0)
        sell = buy + dt.timedelta(seconds=12)
        r = http.post("/api/strategy/create", json={
            "name": "kite e2e", "symbol": "TCS", "quantity": 2, "buy_time": hms(buy), "sell_time": hms(sell),
            "stop_loss": "3400.00", "broker_account": account["id"]})
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        assert http.post("/api/strategy/start", json={"id": sid}).json()["status"] == "RUNNING"

        # Kite ticks reach the listener through the bridge and the feed.
        wait_for(lambda: get_redis().get("price:TCS") == "3500.00", timeout=20, what="a Kite tick at the listener")
        wait_for(lambda: _status(http, sid)["position"] == "LONG", timeout=20, what="the BUY")
        (entry,) = http.get(f"/api/strategy/{sid}/orders").json()
        (bought,) = kite.orders_with_tag(entry["tag"])
        assert (bought.side, bought.quantity, bought.status, bought.extra["algo_id"]) == ("BUY", 2, "FILLED", ALGO_ID)

        kite.set_price("TCS", "3390.00")  # below the stop: only the KiteTicker carries this to us
        wait_for(lambda: _status(http, sid)["position"] == "CLOSED", timeout=15, what="the stop-loss exit")
        wait_for(lambda: now_ist() > sell + dt.timedelta(seconds=2), timeout=30, what="sell_time to pass")
        orders = http.get(f"/api/strategy/{sid}/orders").json()
        status = _status(http, sid)
    finally:
        http.close()
    took = time.monotonic() - began

    assert [(o["side"], o["reason"], o["status"], o["price"]) for o in orders] == [
        ("SELL", "STOP_LOSS", "FILLED", "3390.00"),
        ("BUY", "SCHEDULED", "FILLED", "3500.00"),
    ]
    (sold,) = kite.orders_with_tag(orders[0]["tag"])
    assert (sold.side, sold.quantity, sold.average_price, sold.extra["algo_id"]) == (
        "SELL", 2, Decimal("3390.00"), ALGO_ID)
    assert kite.request_count("POST", PLACE) == 2  # at sell_time nothing more
    assert kite.rate_limited_count == 0
    assert status["status"] == "RUNNING" and status["position"] == "CLOSED"
    secrets = {kite.api_secret, *kite.access_tokens(), *ISSUED}
    for log in stack.dir.glob("*.log"):  # web, workers, beat, listener, feed and its bridge child
        text = log.read_text(errors="replace")
        assert not [s for s in secrets if s in text], f"a Kite secret leaked into {log.name}"
    print(f"\nZerodha e2e (login, buy, KiteTicker stop-loss, sell_time): {took:.1f} s")


def test_kite_session_expiring_mid_day_fails_the_exit_once_and_asks_for_a_new_login(
    stack: Any, kite: KiteSimulator
) -> None:
    _skip_near_midnight(90)
    kite.set_price("INFY", "1500.00")
    _point_at(stack, kite, SWEEP_INTERVAL_SECONDS="1", BROKER_LOGIN_NOTIFY_INTERVAL_SECONDS="1")
    stack.start("web", "worker-orders", "worker-default", "beat")
    http = signed_in_client(stack.url, "kite-expiry@example.test")
    try:
        account = _connect_zerodha(stack, http, kite)
        buy = (now_ist() + dt.timedelta(seconds=4)).replace(microsecond=0)
        sell = buy + dt.timedelta(seconds=5)
        sid = http.post("/api/strategy/create", json={
            "name": "expiry", "symbol": "INFY", "quantity": 1, "buy_time": hms(buy), "sell_time": hms(sell),
            "stop_loss": "1.00", "broker_account": account["id"]}).json()["id"]
        http.post("/api/strategy/start", json={"id": sid})
        wait_for(lambda: _status(http, sid)["position"] == "LONG", timeout=20, what="the BUY")

        kite.expire_tokens()  # Kite's session dies with the position open
        wait_for(lambda: http.get(f"/api/strategy/{sid}").json()["status"] == "ERROR", timeout=20,
                 what="the strategy to stop in error")
        placed = kite.request_count("POST", PLACE)
        time.sleep(3)  # sweeper runs every second meanwhile
        assert kite.request_count("POST", PLACE) == placed == 2  # the BUY, and the one SELL the dead token got

        strategy = http.get(f"/api/strategy/{sid}").json()
        assert "re-login needed" in strategy["status_reason"]
        orders = http.get(f"/api/strategy/{sid}/orders").json()
        assert [(o["side"], o["status"], o["attempts"]) for o in orders] == [("SELL", "FAILED", 1), ("BUY", "FILLED", 1)]
        (listed,) = http.get("/api/broker/accounts").json()
        assert (listed["status"], listed["token_valid_until"], listed["token_valid"]) == ("NEEDS_LOGIN", None, False)
        notes = wait_for(
            lambda: http.get("/api/notifications", params={"kind": "token_expired"}).json()["results"],
            timeout=15, what="the token_expired notification",
        )
        assert len(notes) == 1 and f"/api/broker/accounts/{account['id']}/login/start" in notes[0]["body"]

        # The trader logs in again: the account trades again (the strategy is restarted by hand).
        again = _kite_login(stack, http, kite, account["id"])
        assert again["status"] == "ACTIVE" and again["token_valid"] is True
        assert http.post("/api/strategy/start", json={"id": sid}).json()["status"] == "RUNNING"
    finally:
        http.close()
