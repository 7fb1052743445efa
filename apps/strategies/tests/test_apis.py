from __future__ import annotations

from typing import Any

import pytest
from django_celery_beat.models import PeriodicTask

from apps.orders import engine
from apps.strategies.models import Strategy

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(alice: Any) -> Any:
    from apps.broker_accounts.services import broker_account_connect

    return broker_account_connect(user=alice, broker="paper", credentials={})


def _body(account: Any, **over: Any) -> dict[str, Any]:
    return {
        "name": "TCS morning",
        "symbol": "TCS",
        "exchange": "NSE",
        "quantity": 10,
        "buy_time": "09:20:05",
        "sell_time": "15:10:00",
        "stop_loss": "3400.50",
        "product": "MIS",
        "broker_account": account.pk,
    } | over


def test_create_returns_the_strategy_and_its_schedules(api: Any, alice: Any, account: Any) -> None:
    r = api(alice).post("/api/strategy/create", _body(account), format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "STOPPED" and body["buy_time"] == "09:20:05" and body["stop_loss"] == "3400.50"
    assert body["days"] == [0, 1, 2, 3, 4, 5, 6]
    s = Strategy.objects.get(pk=body["id"])
    entry, exit_ = PeriodicTask.objects.get(pk=s.entry_task_id), PeriodicTask.objects.get(pk=s.exit_task_id)
    assert (entry.crontab.hour, entry.crontab.minute, entry.enabled) == ("9", "20", False)
    assert '"second": 5' in entry.kwargs and exit_.enabled is True


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"symbol": "NOPE"}, "symbol"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 10**7}, "quantity"),
        ({"quantity": "ten"}, "quantity"),
        ({"buy_time": "15:10:00", "sell_time": "09:20:00"}, "sell_time"),
        ({"buy_time": "25:00:00"}, "buy_time"),
        ({"stop_loss": "0"}, "stop_loss"),
        ({"stop_loss": "-5"}, "stop_loss"),
        ({"stop_loss": "12.345"}, "stop_loss"),
        ({"exchange": "NYSE"}, "exchange"),
        ({"product": "NRML"}, "product"),
        ({"days": [7]}, "days.0"),
        ({"days": []}, "days"),
        ({"stoploss": "1"}, "stoploss"),
    ],
)
def test_invalid_input_names_the_field_and_writes_nothing(api: Any, alice: Any, account: Any, over: Any, field: str) -> None:
    r = api(alice).post("/api/strategy/create", _body(account, **over), format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]
    assert Strategy.objects.count() == 0 and PeriodicTask.objects.filter(task="orders.fire_leg").count() == 0


def test_market_hours_apply_only_when_enforced(api: Any, alice: Any, account: Any, settings: Any) -> None:
    late = _body(account, buy_time="21:00:00", sell_time="21:30:00")
    assert api(alice).post("/api/strategy/create", late, format="json").status_code == 201
    settings.ENFORCE_MARKET_HOURS = True
    r = api(alice).post("/api/strategy/create", late, format="json")
    assert r.status_code == 400
    assert set(r.json()["error"]["fields"]) == {"buy_time", "sell_time"}


def test_someone_elses_broker_account_is_refused(api: Any, alice: Any, bob: Any, account: Any) -> None:
    r = api(bob).post("/api/strategy/create", _body(account), format="json")
    assert r.status_code == 400
    assert r.json()["error"]["fields"] == {"broker_account": ["Broker account not found."]}


def test_ownership_alice_cannot_reach_bobs_strategy(api: Any, alice: Any, bob: Any, admin_user: Any) -> None:
    from apps.broker_accounts.services import broker_account_connect

    bobs_account = broker_account_connect(user=bob, broker="paper", credentials={})
    sid = api(bob).post("/api/strategy/create", _body(bobs_account), format="json").json()["id"]
    client = api(alice)
    for method, path, body in (
        ("get", f"/api/strategy/{sid}", None),
        ("patch", f"/api/strategy/{sid}", {"quantity": 1}),
        ("delete", f"/api/strategy/{sid}", None),
        ("get", f"/api/strategy/status/{sid}", None),
        ("get", f"/api/strategy/{sid}/orders", None),
        ("post", "/api/strategy/start", {"id": sid}),
        ("post", "/api/strategy/stop", {"id": sid}),
    ):
        r = getattr(client, method)(path, body, format="json")
        assert r.status_code == 404, (method, path, r.content)
        assert r.json()["error"]["code"] == "not_found"
    assert client.get("/api/strategy/list").json() == []
    assert Strategy.objects.get(pk=sid).quantity == 10 and Strategy.objects.get(pk=sid).deleted_at is None
    # Guests are asked to sign in; admins see everybody's.
    assert api(None).get("/api/strategy/list").status_code == 401
    assert [s["id"] for s in api(admin_user).get("/api/strategy/list").json()] == [sid]


def test_start_stop_toggle_the_entry_schedule(api: Any, alice: Any, account: Any) -> None:
    sid = api(alice).post("/api/strategy/create", _body(account), format="json").json()["id"]
    r = api(alice).post("/api/strategy/start", {"id": sid}, format="json")
    assert r.json() == {"id": sid, "status": "RUNNING", "status_reason": ""}
    s = Strategy.objects.get(pk=sid)
    assert PeriodicTask.objects.get(pk=s.entry_task_id).enabled is True
    r = api(alice).post("/api/strategy/stop", {"id": sid}, format="json")
    assert r.json()["status"] == "STOPPED"
    assert PeriodicTask.objects.get(pk=s.entry_task_id).enabled is False
    assert PeriodicTask.objects.get(pk=s.exit_task_id).enabled is True


def test_edit_moves_the_schedule_at_once(
    api: Any, alice: Any, account: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sid = api(alice).post("/api/strategy/create", _body(account), format="json").json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        r = api(alice).patch(f"/api/strategy/{sid}", {"buy_time": "10:01:07", "stop_loss": "3300"}, format="json")
    assert r.status_code == 200, r.content
    s = Strategy.objects.get(pk=sid)
    entry = PeriodicTask.objects.get(pk=s.entry_task_id)
    assert (entry.crontab.hour, entry.crontab.minute) == ("10", "1") and '"second": 7' in entry.kwargs
    from apps.core.redis import get_redis

    assert get_redis().hget(f"strategy:{sid}", "stop_loss") == "3300.00"


def test_edit_that_breaks_rules_is_refused_whole(api: Any, alice: Any, account: Any) -> None:
    sid = api(alice).post("/api/strategy/create", _body(account), format="json").json()["id"]
    r = api(alice).patch(f"/api/strategy/{sid}", {"quantity": 3, "sell_time": "09:00:00"}, format="json")
    assert r.status_code == 400 and "sell_time" in r.json()["error"]["fields"]
    assert Strategy.objects.get(pk=sid).quantity == 10  # no partial write


@pytest.mark.django_db(transaction=True)
def test_open_position_locks_symbol_and_quantity(api: Any, alice: Any, account: Any) -> None:
    from django.utils import timezone

    sid = api(alice).post("/api/strategy/create", _body(account), format="json").json()["id"]
    api(alice).post("/api/strategy/start", {"id": sid}, format="json")
    engine.legs_fire(leg="ENTRY", strategy_ids=[sid], due_at=timezone.now())
    r = api(alice).patch(f"/api/strategy/{sid}", {"symbol": "INFY", "quantity": 1}, format="json")
    assert r.status_code == 400 and set(r.json()["error"]["fields"]) == {"symbol", "quantity"}
    assert api(alice).patch(f"/api/strategy/{sid}", {"stop_loss": "3000"}, format="json").status_code == 200
    assert api(alice).delete(f"/api/strategy/{sid}").status_code == 409

    status = api(alice).get(f"/api/strategy/status/{sid}").json()
    assert status["position"] == "LONG" and status["last_order"]["side"] == "BUY"
    assert status["last_order"]["status"] == "FILLED" and status["next_trigger"]["leg"] in ("ENTRY", "EXIT")
    orders = api(alice).get(f"/api/strategy/{sid}/orders").json()
    assert [(o["leg"], o["reason"], o["status"]) for o in orders] == [("ENTRY", "SCHEDULED", "FILLED")]
    assert orders[0]["tag"] == f"AT{orders[0]['id']}"


def test_delete_hides_the_strategy_and_removes_schedules(api: Any, alice: Any, account: Any) -> None:
    sid = api(alice).post("/api/strategy/create", _body(account), format="json").json()["id"]
    s = Strategy.objects.get(pk=sid)
    assert api(alice).delete(f"/api/strategy/{sid}").status_code == 204
    assert api(alice).get(f"/api/strategy/{sid}").status_code == 404
    assert not PeriodicTask.objects.filter(pk__in=[s.entry_task_id, s.exit_task_id]).exists()


def test_status_of_a_fresh_strategy(api: Any, alice: Any, account: Any) -> None:
    sid = api(alice).post("/api/strategy/create", _body(account), format="json").json()["id"]
    api(alice).post("/api/strategy/start", {"id": sid}, format="json")
    body = api(alice).get(f"/api/strategy/status/{sid}").json()
    assert body["position"] == "FLAT" and body["last_order"] is None
    assert body["next_trigger"]["leg"] == "ENTRY" and "+05:30" in body["next_trigger"]["at"]
