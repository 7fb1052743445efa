"""End to end with real processes: uvicorn, Celery workers and beat on real PostgreSQL and Redis,
orders at the paper broker. Only the broker is simulated."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.conf import settings

from apps.orders.models import FINAL_STATUSES, IntentStatus, OrderIntent
from apps.strategies.calendar import IST, now_ist
from brokers.paper import clear_faults, paper_orders, paper_tag_counts, set_faults
from tests.e2e_helpers import bulk_running_strategies, hms, signed_in_client, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FAST_RECOVERY = {
    "ORDER_CLAIM_LEASE_SECONDS": "3",
    "ORDER_SEND_TIMEOUT_SECONDS": "1",
    "ORDER_REQUEUE_AFTER_SECONDS": "2",
    "SWEEP_INTERVAL_SECONDS": "1",
    "CELERY_VISIBILITY_TIMEOUT": "30",
}


def _skip_near_midnight(seconds: int) -> None:
    if (now_ist() + dt.timedelta(seconds=seconds)).date() != now_ist().date():
        pytest.skip("the schedule would cross midnight IST")


def test_strategy_buys_and_sells_each_in_its_second_over_http(stack: Any) -> None:
    _skip_near_midnight(60)
    stack.start("web", "worker-orders", "beat")
    http = signed_in_client(stack.url, "e2e-trader@example.test")
    try:
        account = http.post("/api/broker/connect", json={"broker": "paper", "credentials": {}}).json()
        buy = (now_ist() + dt.timedelta(seconds=4)).replace(microsecond=0)
        sell = buy + dt.timedelta(seconds=5)
        r = http.post(
            "/api/strategy/create",
            json={
                "name": "e2e", "symbol": "TCS", "quantity": 3, "buy_time": hms(buy), "sell_time": hms(sell),
                "stop_loss": "1.00", "broker_account": account["id"],
            },
        )
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        assert http.post("/api/strategy/start", json={"id": sid}).json()["status"] == "RUNNING"

        wait_for(
            lambda: http.get(f"/api/strategy/status/{sid}").json()["position"] == "CLOSED",
            timeout=25,
            what="the strategy to buy and sell",
        )
        orders = http.get(f"/api/strategy/{sid}/orders").json()
    finally:
        http.close()

    assert [(o["side"], o["status"], o["reason"]) for o in orders] == [
        ("SELL", "FILLED", "SCHEDULED"),
        ("BUY", "FILLED", "SCHEDULED"),
    ]
    at_broker = paper_orders(settings.REDIS_URL, str(account["id"]))
    assert [(o["side"], o["tag"]) for o in at_broker] == [("BUY", orders[1]["tag"]), ("SELL", orders[0]["tag"])]
    for order, due in zip(at_broker, (buy, sell), strict=True):
        placed = dt.datetime.fromisoformat(order["placed_at"]).astimezone(IST)
        assert due <= placed < due + dt.timedelta(seconds=1), (order["side"], due, placed)


def test_kill_9_of_the_orders_worker_with_200_in_flight_loses_and_doubles_nothing(
    stack: Any, make_user: Any
) -> None:
    from apps.broker_accounts.services import broker_account_connect

    _skip_near_midnight(120)
    stack.env.update(FAST_RECOVERY | {"ORDER_BATCH_SIZE": "20"})
    stack.start("worker-orders", "worker-default", "beat")
    accounts = [broker_account_connect(user=make_user("user"), broker="paper", credentials={}) for _ in range(20)]
    set_faults(settings.REDIS_URL, None, latency_ms=400)  # every order is in flight for 0.4 s
    try:
        due = (now_ist() + dt.timedelta(seconds=5)).replace(microsecond=0)
        bulk_running_strategies(accounts, 200, buy_time=due.time(), sell_time=dt.time(23, 59, 59))
        assert now_ist() < due, "setting up took too long"
        wait_for(
            lambda: OrderIntent.objects.filter(status=IntentStatus.SUBMITTING).count() >= 100,
            timeout=30,
            interval=0.01,
            what="orders in flight",
        )
        in_flight = OrderIntent.objects.filter(status=IntentStatus.SUBMITTING).count()
        stack.kill("worker-orders")
        killed_at = time.monotonic()
        stack.restart("worker-orders")

        wait_for(
            lambda: OrderIntent.objects.count() == 200
            and not OrderIntent.objects.exclude(status__in=FINAL_STATUSES).exists(),
            timeout=90,
            interval=0.2,
            what="every intent to reach a final state",
        )
        recovered_in = time.monotonic() - killed_at
    finally:
        clear_faults(settings.REDIS_URL, None)

    intents = list(OrderIntent.objects.all())
    counts = paper_tag_counts(settings.REDIS_URL)
    print(f"\nkill -9 with {in_flight} orders in flight: all 200 final {recovered_in:.1f} s after the kill")
    assert {i.status for i in intents} == {IntentStatus.FILLED}  # 0 lost
    assert {counts.get(i.tag) for i in intents} == {1}  # 0 placed twice
    assert sum(counts.values()) == 200
