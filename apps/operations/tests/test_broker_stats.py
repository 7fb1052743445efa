"""The broker role's view of its flow (/api/broker/stats), built on operations data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from .helpers import make_intent, make_strategy, paper_account

pytestmark = pytest.mark.django_db


def test_broker_stats_show_flow_health_rates_and_client_ips(api: Any, alice: Any, bob: Any, broker_user: Any) -> None:
    account = paper_account(alice)
    api(alice).put(f"/api/compliance/static-ips/{account.pk}", {"primary": "203.0.113.20"}, format="json")
    a = make_strategy(alice, account)
    b = make_strategy(bob, running=False)
    second = timezone.now().replace(microsecond=0) - dt.timedelta(seconds=10)
    make_intent(a, leg="ENTRY", status="FILLED", price="100.00", created_at=second)
    make_intent(a, leg="EXIT", status="REJECTED", created_at=second + dt.timedelta(milliseconds=300))
    make_intent(b, leg="ENTRY", status="UNKNOWN", created_at=second)
    row = api(broker_user).get("/api/broker/stats").json()[0]
    assert row["broker"] == "paper" and row["strategies"] == 2 and row["running_strategies"] == 1
    orders = row["orders_24h"]
    assert orders["total"] == 3 and orders["by_status"] == {"FILLED": 1, "REJECTED": 1, "UNKNOWN": 1}
    assert orders["success_rate"] == 0.5 and orders["reject_rate"] == 0.5
    assert orders["filled_quantity"] == 10 and orders["turnover"] == "1000.00"
    assert row["api_health"] == {"orders_last_hour": 3, "unknown_or_failed_share": 0.3333, "status": "degraded"}
    assert row["peak_orders_per_second"] == 2
    clients = {c["user"]: c for c in row["client_list"]}
    assert clients[alice.pk]["peak_orders_per_second"] == 2
    assert clients[alice.pk]["accounts"][0]["primary_ip"] == "203.0.113.20"
    assert clients[bob.pk]["accounts"][0]["primary_ip"] is None


def test_broker_stats_of_another_broker_are_empty_for_its_staff(api: Any, alice: Any, make_user: Any) -> None:
    make_intent(make_strategy(alice), leg="ENTRY", status="FILLED")
    staff = make_user("broker", broker="dhan")
    row = api(staff).get("/api/broker/stats").json()[0]
    assert row["broker"] == "dhan" and row["orders_24h"]["total"] == 0 and row["client_list"] == []
    assert row["api_health"]["status"] == "idle"
    assert api(alice).get("/api/broker/stats").status_code == 403
