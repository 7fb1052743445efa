from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from apps.core.redis import get_redis
from apps.operations.tests.helpers import make_intent, make_strategy
from apps.strategies.calendar import trading_day_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def trades(alice: Any) -> dict[str, Any]:
    """Yesterday: a win (100 -> 110) and a stop-loss loss (50 -> 45); today: an open position
    bought at 200 with the last price at 205.50, and a rejected buy."""
    today = trading_day_of(timezone.now())
    yesterday = today - dt.timedelta(days=1)
    a = make_strategy(alice, name="A", symbol="TCS", quantity=10)
    b = make_strategy(alice, name="B", symbol="INFY", quantity=4)
    c = make_strategy(alice, name="C", symbol="SBIN", quantity=1)
    made = {
        "a_in": make_intent(a, leg="ENTRY", price="100.00", trading_day=yesterday),
        "a_out": make_intent(a, leg="EXIT", price="110.00", trading_day=yesterday),
        "b_in": make_intent(b, leg="ENTRY", price="50.00", trading_day=yesterday),
        "b_out": make_intent(b, leg="EXIT", price="45.00", reason="STOP_LOSS", trading_day=yesterday),
        "a_today": make_intent(a, leg="ENTRY", price="200.00"),
        "c_today": make_intent(c, leg="ENTRY", status="REJECTED"),
    }
    get_redis().set("price:TCS", "205.50")
    return {"today": today, "yesterday": yesterday, "a": a, "b": b, "c": c, **made}


def test_dashboard_positions_and_pnl(api: Any, alice: Any, trades: Any) -> None:
    body = api(alice).get("/api/dashboard").json()
    assert body["trading_day"] == trades["today"].isoformat()
    positions = {p["strategy"]: p for p in body["positions"]}
    open_ = positions[trades["a"].pk]
    assert (open_["position"], open_["quantity"], open_["entry_price"], open_["last_price"]) == ("LONG", 10, "200.00", "205.50")
    assert open_["unrealised_pnl"] == "55.00" and open_["realised_pnl"] is None
    rejected = positions[trades["c"].pk]
    assert (rejected["position"], rejected["quantity"], rejected["unrealised_pnl"]) == ("FLAT", 0, None)
    assert body["unrealised_total"] == "55.00"
    realised = body["realised"]
    assert realised["total"] == "80.00"  # +100.00 on A, -20.00 on B
    by_strategy = {r["strategy"]: r for r in realised["by_strategy"]}
    assert by_strategy[trades["a"].pk] == {"strategy": trades["a"].pk, "name": "A", "symbol": "TCS", "pnl": "100.00", "trades": 1, "wins": 1}
    assert by_strategy[trades["b"].pk]["pnl"] == "-20.00" and by_strategy[trades["b"].pk]["wins"] == 0
    assert realised["by_day"] == [{"day": trades["yesterday"].isoformat(), "pnl": "80.00", "trades": 2}]


def test_dashboard_history_is_paged_and_filtered(api: Any, alice: Any, trades: Any) -> None:
    client = api(alice)
    page = client.get("/api/dashboard", {"page_size": 2}).json()["history"]
    assert page["count"] == 6 and len(page["results"]) == 2 and page["page"] == 1
    only_b = client.get("/api/dashboard", {"strategy": trades["b"].pk}).json()["history"]["results"]
    assert {o["id"] for o in only_b} == {trades["b_in"].pk, trades["b_out"].pk}
    rejected = client.get("/api/dashboard", {"status": "REJECTED"}).json()["history"]["results"]
    assert [o["id"] for o in rejected] == [trades["c_today"].pk]


def test_realised_range_excludes_days_outside_it(api: Any, alice: Any, trades: Any) -> None:
    body = api(alice).get("/api/dashboard", {"start": trades["today"].isoformat()}).json()
    assert body["realised"]["total"] == "0.00" and body["realised"]["by_day"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"start": "2025-02-01", "end": "2025-01-01"}, "start"), ({"start": "2020-01-01", "end": "2025-01-01"}, "start"),
     ({"page": 0}, "page"), ({"page_size": 1000}, "page_size"), ({"colour": "red"}, "colour")],
)
def test_invalid_filters_name_the_field(api: Any, alice: Any, params: Any, field: str) -> None:
    r = api(alice).get("/api/dashboard", params)
    assert r.status_code == 400 and field in r.json()["error"]["fields"]


def test_ownership_bob_sees_only_his_own(api: Any, bob: Any, broker_user: Any, trades: Any) -> None:
    body = api(bob).get("/api/dashboard").json()
    assert body["positions"] == [] and body["realised"]["total"] == "0.00" and body["history"]["count"] == 0
    assert api(bob).get("/api/dashboard", {"strategy": trades["a"].pk}).json()["history"]["count"] == 0
    assert api(broker_user).get("/api/dashboard").status_code == 403
    assert api(None).get("/api/dashboard").status_code == 401
