"""Stop-loss end to end: a real listener process fed over its WebSocket, the dedicated
stop-loss worker, the paper broker, and live updates over WebSocket and SSE."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any

import httpx
import pytest
from django.conf import settings
from websockets.sync.client import connect

from apps.core.redis import get_redis
from apps.strategies.calendar import now_ist
from brokers.paper import paper_orders
from tests.e2e_helpers import hms, signed_in_client, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Collector(threading.Thread):
    """Reads a live stream in the background and keeps every event."""

    def __init__(self, read: Any) -> None:
        super().__init__(daemon=True)
        self.read = read
        self.events: list[dict[str, Any]] = []

    def run(self) -> None:
        try:
            self.read(self.events)
        except Exception:  # noqa: BLE001,S110 - the stream closes when the test ends
            pass

    def orders(self) -> list[tuple[str, str, str]]:
        return [(e["side"], e["reason"], e["status"]) for e in self.events if e.get("type") == "order"]


def _ws_reader(url: str) -> Any:
    def read(events: list[dict[str, Any]]) -> None:
        with connect(url, open_timeout=10) as ws:
            while True:
                events.append(json.loads(ws.recv(timeout=60)))

    return read


def _sse_reader(url: str) -> Any:
    def read(events: list[dict[str, Any]]) -> None:
        with httpx.stream("GET", url, timeout=60) as response:
            for line in response.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))

    return read


def _send_ticks(stack: Any, ticks: list[list[str]]) -> None:
    url = f"ws://127.0.0.1:{stack.port('listener')}/ticks?token={settings.FEED_TOKEN}"
    with connect(url, open_timeout=10) as ws:
        ws.send(json.dumps({"t": time.time(), "ticks": ticks}))


def _listener_index(stack: Any) -> int:
    # Exactly this test's positions: pub/sub channels carry the Redis database number
    # (apps.core.redis.channel), so a parallel worker's stack on the same server is not heard.
    return httpx.get(f"http://127.0.0.1:{stack.port('listener')}/healthz", timeout=5).json()["index_size"]


@pytest.mark.parametrize("orders_backlog", [0, 5000], ids=["idle", "orders-backlog-5000"])
def test_price_fall_below_stop_sells_once_through_the_stoploss_queue(stack: Any, orders_backlog: int) -> None:
    if (now_ist() + dt.timedelta(seconds=60)).date() != now_ist().date():
        pytest.skip("the schedule would cross midnight IST")
    stack.start("web", "worker-orders", "worker-stoploss", "beat", "listener")
    get_redis().set("price:TCS", "3500.00")
    http = signed_in_client(stack.url, "sl-trader@example.test")
    try:
        token = http.headers["Authorization"].removeprefix("Bearer ")
        ws = Collector(_ws_reader(f"ws://127.0.0.1:{stack.port('web')}/ws/updates?token={token}"))
        sse = Collector(_sse_reader(f"{stack.url}/api/stream/sse?token={token}"))
        ws.start()
        sse.start()
        account = http.post("/api/broker/connect", json={"broker": "paper", "credentials": {}}).json()
        buy = (now_ist() + dt.timedelta(seconds=5)).replace(microsecond=0)
        sell = buy + dt.timedelta(seconds=10)
        sid = http.post(
            "/api/strategy/create",
            json={
                "name": "sl", "symbol": "TCS", "quantity": 2, "buy_time": hms(buy), "sell_time": hms(sell),
                "stop_loss": "3400.00", "broker_account": account["id"],
            },
        ).json()["id"]
        http.post("/api/strategy/start", json={"id": sid})
        wait_for(lambda: http.get(f"/api/strategy/status/{sid}").json()["position"] == "LONG", timeout=20, what="LONG")
        wait_for(lambda: _listener_index(stack) == 1, timeout=15, what="the listener to index the position")

        if orders_backlog:
            # Stop the orders worker's intake and pile tasks onto its queue: the stop-loss path
            # has its own queue and worker, so it must not wait behind them.
            stack.kill("worker-orders")
            from apps.orders.tasks import execute_intents

            with execute_intents.app.producer_or_acquire() as producer:
                for _ in range(orders_backlog):
                    execute_intents.apply_async(args=[[]], queue="orders", producer=producer)
            assert get_redis().llen("orders") >= orders_backlog

        _send_ticks(stack, [["TCS", "3450.00"], ["INFY", "1500.00"]])  # above the stop: nothing
        _send_ticks(stack, [["TCS", "3390.00"]])
        wait_for(lambda: http.get(f"/api/strategy/status/{sid}").json()["position"] == "CLOSED", timeout=10,
                 what="the stop-loss exit")
        _send_ticks(stack, [["TCS", "3380.00"]])  # a stop fires once
        if orders_backlog:
            stack.restart("worker-orders")  # the scheduled sell must find the EXIT leg taken
        wait_for(lambda: now_ist() > sell + dt.timedelta(seconds=2), timeout=30, what="sell_time to pass")
        orders = http.get(f"/api/strategy/{sid}/orders").json()
    finally:
        http.close()

    assert [(o["side"], o["reason"], o["status"], o["price"]) for o in orders] == [
        ("SELL", "STOP_LOSS", "FILLED", "3390.00"),
        ("BUY", "SCHEDULED", "FILLED", "3500.00"),
    ]
    at_broker = paper_orders(settings.REDIS_URL, str(account["id"]))
    assert [o["side"] for o in at_broker] == ["BUY", "SELL"]
    if orders_backlog:
        return  # the live streams are checked on the idle run
    for stream in (ws, sse):
        wait_for(
            lambda s=stream: ("SELL", "STOP_LOSS", "FILLED") in s.orders(),
            timeout=10,
            what=f"the live event (got {stream.events})",
        )
        assert ("BUY", "SCHEDULED", "FILLED") in stream.orders()
        assert any(e.get("type") == "prices" and "TCS" in e["prices"] for e in stream.events)
        assert not any("INFY" in e.get("prices", {}) for e in stream.events)  # only the trader's symbols


def test_listener_killed_and_restarted_still_stops_out_the_position(stack: Any, make_user: Any) -> None:
    """kill -9 of the listener loses nothing: it rebuilds its index from Redis on start."""
    from django.utils import timezone

    from apps.broker_accounts.services import broker_account_connect
    from apps.orders import engine
    from apps.orders.models import OrderIntent
    from tests.e2e_helpers import bulk_running_strategies

    get_redis().set("price:INFY", "1600.00")
    account = broker_account_connect(user=make_user("user"), broker="paper", credentials={})
    (sid,) = bulk_running_strategies(
        [account], 1, buy_time=dt.time(9, 15), sell_time=dt.time(23, 59, 59), symbol="INFY", stop_loss="1550"
    )
    engine.legs_fire(leg="ENTRY", strategy_ids=[sid], due_at=timezone.now())
    stack.start("worker-stoploss", "listener")
    wait_for(lambda: _listener_index(stack) == 1, timeout=15, what="the listener to index the position")

    stack.kill("listener")
    stack.restart("listener")
    wait_for(lambda: _listener_index(stack) == 1, timeout=15, what="the restarted listener to reload its index")
    _send_ticks(stack, [["INFY", "1549.95"]])
    wait_for(
        lambda: OrderIntent.objects.filter(strategy_id=sid, leg="EXIT", status="FILLED").exists(),
        timeout=10,
        what="the stop-loss exit after the restart",
    )
    exit_ = OrderIntent.objects.get(strategy_id=sid, leg="EXIT")
    assert (exit_.reason, str(exit_.average_price)) == ("STOP_LOSS", "1549.95")
    assert len(paper_orders(settings.REDIS_URL, str(account.pk))) == 2
