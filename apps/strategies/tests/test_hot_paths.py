"""What the API's hot paths cost: status polling, lists and edits run hundreds of times a second
(bench/api_load.py), so their query counts are pinned here, and an edit that does not move a
leg must not touch django-celery-beat (a global change stamp every schedule write locks, and a
full reload of every strategy's legs in beat)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from apps.core.redis import get_redis
from apps.orders import engine
from apps.strategies.models import Strategy

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(alice: Any) -> Any:
    from apps.broker_accounts.services import broker_account_connect

    return broker_account_connect(user=alice, broker="paper", credentials={})


def _create(client: Any, account: Any, **over: Any) -> int:
    body = {
        "name": "TCS morning", "symbol": "TCS", "quantity": 10, "buy_time": "09:20:05", "sell_time": "15:10:00",
        "stop_loss": "3400.50", "broker_account": account.pk,
    } | over
    r = client.post("/api/strategy/create", body, format="json")
    assert r.status_code == 201, r.content
    return int(r.json()["id"])


def _beat_queries(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "django_celery_beat" in q["sql"]]


def _tasks(sid: int) -> dict[str, tuple[Any, ...]]:
    s = Strategy.objects.get(pk=sid)
    return {
        leg: (t.crontab_id, t.kwargs, t.enabled, t.description, t.date_changed)
        for leg, t in (("ENTRY", PeriodicTask.objects.get(pk=s.entry_task_id)),
                       ("EXIT", PeriodicTask.objects.get(pk=s.exit_task_id)))
    }


def test_edit_of_name_and_stop_loss_leaves_the_schedules_alone(
    api: Any, alice: Any, account: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = api(alice)
    sid = _create(client, account)
    client.post("/api/strategy/start", {"id": sid}, format="json")
    before, stamp = _tasks(sid), PeriodicTasks.last_change()
    with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=True):
        r = client.patch(f"/api/strategy/{sid}", {"name": "renamed", "stop_loss": "3300.25"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["name"] == "renamed" and r.json()["stop_loss"] == "3300.25"
    assert _beat_queries(ctx) == []
    assert _tasks(sid) == before and PeriodicTasks.last_change() == stamp
    # user, strategy (404 check), then in one transaction: the locked row with its owner and
    # account, today's intents, the update.
    assert len(ctx) <= 7, [q["sql"] for q in ctx.captured_queries]
    # The Redis runtime still follows the edit.
    assert get_redis().hget(f"strategy:{sid}", "stop_loss") == "3300.25"


def test_edit_that_sets_the_same_times_again_writes_no_schedule(api: Any, alice: Any, account: Any) -> None:
    client = api(alice)
    sid = _create(client, account)
    with CaptureQueriesContext(connection) as ctx:
        r = client.patch(f"/api/strategy/{sid}", {"buy_time": "09:20:05", "days": [6, 5, 4, 3, 2, 1, 0]}, format="json")
    assert r.status_code == 200, r.content
    assert _beat_queries(ctx) == []


def test_edit_of_one_time_rewrites_only_that_leg(api: Any, alice: Any, account: Any) -> None:
    client = api(alice)
    sid = _create(client, account)
    before = _tasks(sid)
    r = client.patch(f"/api/strategy/{sid}", {"buy_time": "10:01:07"}, format="json")
    assert r.status_code == 200, r.content
    after = _tasks(sid)
    assert after["EXIT"] == before["EXIT"]
    entry = PeriodicTask.objects.get(pk=Strategy.objects.get(pk=sid).entry_task_id)
    assert (entry.crontab.hour, entry.crontab.minute) == ("10", "1") and '"second": 7' in entry.kwargs
    assert "10:01:07" in entry.description


def test_edit_of_days_or_symbol_rewrites_the_schedules(api: Any, alice: Any, account: Any) -> None:
    client = api(alice)
    sid = _create(client, account)
    assert client.patch(f"/api/strategy/{sid}", {"days": [0, 2]}, format="json").status_code == 200
    s = Strategy.objects.get(pk=sid)
    for task_id in (s.entry_task_id, s.exit_task_id):
        assert PeriodicTask.objects.get(pk=task_id).crontab.day_of_week == "1,3"
    assert client.patch(f"/api/strategy/{sid}", {"symbol": "INFY"}, format="json").status_code == 200
    assert "(INFY)" in PeriodicTask.objects.get(pk=s.exit_task_id).description


@pytest.mark.django_db(transaction=True)
def test_stop_loss_edit_of_an_open_position_moves_the_stop_index_not_the_schedules(
    api: Any, alice: Any, account: Any
) -> None:
    from django.utils import timezone

    client = api(alice)
    sid = _create(client, account)
    client.post("/api/strategy/start", {"id": sid}, format="json")
    engine.legs_fire(leg="ENTRY", strategy_ids=[sid], due_at=timezone.now())
    assert client.get(f"/api/strategy/status/{sid}").json()["position"] == "LONG"
    before, stamp = _tasks(sid), PeriodicTasks.last_change()
    with CaptureQueriesContext(connection) as ctx:
        r = client.patch(f"/api/strategy/{sid}", {"stop_loss": "3100.75", "name": "tighter"}, format="json")
    assert r.status_code == 200, r.content
    assert _beat_queries(ctx) == []
    assert _tasks(sid) == before and PeriodicTasks.last_change() == stamp
    assert get_redis().zscore("sl:TCS", str(sid)) == pytest.approx(3100.75)


@pytest.mark.django_db(transaction=True)
def test_status_costs_three_queries_and_shows_the_fill_price(api: Any, alice: Any, account: Any) -> None:
    from django.utils import timezone

    client = api(alice)
    sid = _create(client, account)
    client.post("/api/strategy/start", {"id": sid}, format="json")
    engine.legs_fire(leg="ENTRY", strategy_ids=[sid], due_at=timezone.now())
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(f"/api/strategy/status/{sid}").json()
    # The user (authentication), the strategy, today's intents: nothing else.
    assert len(ctx) == 3, [q["sql"] for q in ctx.captured_queries]
    assert body["position"] == "LONG" and body["next_trigger"]["leg"] in ("ENTRY", "EXIT")
    order = client.get(f"/api/strategy/{sid}/orders").json()[0]
    assert body["last_order"]["id"] == order["id"]
    assert body["last_order"]["price"] == order["price"] and order["price"] is not None


def test_status_reads_holidays_only_when_market_hours_are_enforced(
    api: Any, alice: Any, account: Any, settings: Any
) -> None:
    client = api(alice)
    sid = _create(client, account)
    client.post("/api/strategy/start", {"id": sid}, format="json")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/api/strategy/status/{sid}").json()["next_trigger"]["leg"] == "ENTRY"
    assert len(ctx) == 3 and not any("strategies_holiday" in q["sql"] for q in ctx.captured_queries)
    settings.ENFORCE_MARKET_HOURS = True
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/api/strategy/status/{sid}").status_code == 200
    assert len(ctx) == 4 and any("strategies_holiday" in q["sql"] for q in ctx.captured_queries)


def test_list_costs_the_same_queries_for_one_strategy_or_many(api: Any, alice: Any, account: Any) -> None:
    client = api(alice)
    _create(client, account)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/strategy/list").json()) == 1
    for k in range(5):
        _create(client, account, name=f"more {k}")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/strategy/list").json()) == 6
    assert len(one) == len(many) == 2  # the user, the strategies


def test_web_process_routes_async_views_to_the_event_loop_and_the_rest_to_threads() -> None:
    """config/asgi.py: the SSE stream (an async view) stays on the event loop, sync DRF views
    go to the thread pool (see its docstring for why)."""
    from config import asgi

    assert asgi._async_view("/api/stream/sse") is True
    assert asgi._async_view("/api/strategy/status/1") is False
    assert asgi._async_view("/api/strategy/list") is False
    assert asgi._async_view("/no/such/path") is False
