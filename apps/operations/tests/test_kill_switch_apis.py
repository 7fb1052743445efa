from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, transaction

from apps.core.redis import get_redis
from apps.notifications.models import Notification
from apps.operations import kill, tasks
from apps.operations.models import AuditEntry, KillSwitch
from apps.orders.models import OrderIntent
from apps.strategies.models import Strategy

from .helpers import make_intent, make_strategy

pytestmark = pytest.mark.django_db


def _engage(api: Any, user: Any, **body: Any) -> Any:
    return api(user).post("/api/admin/kill-switches", {"reason": "exchange glitch"} | body, format="json")


def test_global_kill_publishes_stops_audits_and_notifies(api: Any, admin_user: Any, alice: Any, bob: Any) -> None:
    a, b = make_strategy(alice), make_strategy(bob)
    r = _engage(api, admin_user, scope="global")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["created"] is True and body["published"] is True and body["stopped"] == 2
    assert body["switch"]["field"] == "global" and body["switch"]["created_by"] == admin_user.email
    message = get_redis().hget(kill.KILL_KEY, "global")
    assert message == f"Kill switch #{body['switch']['id']} (global): exchange glitch"
    assert kill.blocked_reason(user_id=alice.pk, broker="paper", strategy_id=a.pk, reason="SCHEDULED") == message
    for s in (a, b):
        s.refresh_from_db()
        assert s.status == "STOPPED" and "exchange glitch" in s.status_reason
    entry = AuditEntry.objects.get(action="kill.engage")
    assert (entry.actor_id, entry.actor_role, entry.target_id) == (admin_user.pk, "admin", str(body["switch"]["id"]))
    assert entry.ip == "127.0.0.1"
    assert set(Notification.objects.filter(kind="kill_switch").values_list("user_id", flat=True)) == {alice.pk, bob.pk}


def test_a_strategy_under_a_kill_switch_cannot_be_started_until_it_is_released(
    api: Any, admin_user: Any, alice: Any, bob: Any
) -> None:
    s, other = make_strategy(alice), make_strategy(bob)
    sid = _engage(api, admin_user, scope="user", target=str(alice.pk)).json()["switch"]["id"]
    r = api(alice).post("/api/strategy/start", {"id": s.pk}, format="json")
    assert r.status_code == 409, r.content
    assert r.json()["error"]["code"] == "kill_switch_active" and "exchange glitch" in r.json()["error"]["message"]
    assert Strategy.objects.get(pk=s.pk).status == "STOPPED"
    assert api(bob).post("/api/strategy/start", {"id": other.pk}, format="json").status_code == 200  # not covered
    api(admin_user).post(f"/api/admin/kill-switches/{sid}/release", {"reason": "fixed"}, format="json")
    r = api(alice).post("/api/strategy/start", {"id": s.pk}, format="json")
    assert r.status_code == 200, r.content
    assert Strategy.objects.get(pk=s.pk).status == "RUNNING"


def test_release_lifts_the_block_but_leaves_strategies_stopped(api: Any, admin_user: Any, alice: Any) -> None:
    s = make_strategy(alice)
    sid = _engage(api, admin_user, scope="user", target=str(alice.pk)).json()["switch"]["id"]
    assert get_redis().hget(kill.KILL_KEY, f"user:{alice.pk}") is not None
    r = api(admin_user).post(f"/api/admin/kill-switches/{sid}/release", {"reason": "fixed"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["active"] is False and r.json()["released_by"] == admin_user.email
    assert get_redis().exists(kill.KILL_KEY) == 0
    s.refresh_from_db()
    assert s.status == "STOPPED"
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == ["kill.engage", "kill.release"]
    again = api(admin_user).post(f"/api/admin/kill-switches/{sid}/release", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_released"


def test_pressing_twice_returns_the_active_switch(api: Any, admin_user: Any) -> None:
    first = _engage(api, admin_user, scope="broker", target="zerodha")
    second = _engage(api, admin_user, scope="broker", target="zerodha", reason="still bad")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["created"] is False and second.json()["switch"]["id"] == first.json()["switch"]["id"]
    assert KillSwitch.objects.filter(active=True).count() == 1
    assert AuditEntry.objects.filter(action="kill.engage").count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "galaxy"}, "scope"),
        ({"scope": "global", "target": "x"}, "target"),
        ({"scope": "user"}, "target"),
        ({"scope": "user", "target": "abc"}, "target"),
        ({"scope": "user", "target": "999999"}, "target"),
        ({"scope": "broker", "target": "nse"}, "target"),
        ({"scope": "strategy", "target": "999999"}, "target"),
        ({"scope": "global", "reason": ""}, "reason"),
        ({"scope": "global", "squareoff": True}, "squareoff"),
    ],
)
def test_invalid_engage_names_the_field_and_engages_nothing(api: Any, admin_user: Any, body: Any, field: str) -> None:
    r = _engage(api, admin_user, **body)
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]
    assert KillSwitch.objects.count() == 0 and get_redis().exists(kill.KILL_KEY) == 0


def test_square_off_creates_kill_exits_for_open_positions_only(api: Any, admin_user: Any, alice: Any) -> None:
    holding, flat = make_strategy(alice), make_strategy(alice, name="flat")
    make_intent(holding, leg="ENTRY", status="FILLED", price="3500.00")
    r = _engage(api, admin_user, scope="user", target=str(alice.pk), square_off=True)
    assert r.json()["squared_off"] == 1
    exit_ = OrderIntent.objects.get(strategy=holding, leg="EXIT")
    assert (exit_.reason, exit_.side, exit_.status, exit_.quantity) == ("KILL", "SELL", "NEW", 10)
    assert not OrderIntent.objects.filter(strategy=flat).exists()
    # The engine's check lets the square-off through while the switch blocks everything else.
    assert kill.blocked_reason(user_id=alice.pk, broker="paper", strategy_id=holding.pk, reason="KILL") is None
    assert kill.blocked_reason(user_id=alice.pk, broker="paper", strategy_id=holding.pk, reason="STOP_LOSS") is not None


def test_wide_kill_defers_the_stops_to_a_task(api: Any, admin_user: Any, alice: Any, settings: Any) -> None:
    settings.KILL_INLINE_STOP_LIMIT = 0
    s = make_strategy(alice)
    body = _engage(api, admin_user, scope="global").json()
    assert body["deferred"] is True and body["stopped"] == 0
    assert get_redis().hget(kill.KILL_KEY, "global") is not None  # blocked at once all the same
    assert tasks.kill_stop(body["switch"]["id"]) == 1
    s.refresh_from_db()
    assert s.status == "STOPPED"
    assert tasks.kill_stop(body["switch"]["id"]) == 0  # safe to run twice


def test_beat_task_rebuilds_the_hash_from_postgres(api: Any, admin_user: Any) -> None:
    _engage(api, admin_user, scope="broker", target="dhan")
    get_redis().flushdb()
    assert tasks.publish_kill_switches() == 1
    assert set(get_redis().hgetall(kill.KILL_KEY)) == {"broker:dhan"}


def test_audit_log_refuses_update_and_delete(admin_user: Any) -> None:
    from apps.operations.services import audit_record

    entry = audit_record(actor=admin_user, action="test.action", target_type="x", target_id=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.action"


# --- broker staff -------------------------------------------------------------------------------


def test_broker_staff_halt_their_own_broker_only(api: Any, broker_user: Any, alice: Any, make_user: Any) -> None:
    s = make_strategy(alice)  # a paper strategy: broker_user is paper staff
    r = api(broker_user).post("/api/broker/kill", {"reason": "our API is down", "square_off": False}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["switch"]["field"] == "broker:paper"
    s.refresh_from_db()
    assert s.status == "STOPPED"
    other = api(broker_user).post("/api/broker/kill", {"reason": "x", "broker": "zerodha"}, format="json")
    assert other.status_code == 403 and "broker" in other.json()["error"]["fields"]
    assert AuditEntry.objects.get(action="kill.engage").actor_role == "broker"


def test_broker_staff_cannot_see_or_release_other_switches(api: Any, admin_user: Any, broker_user: Any) -> None:
    zerodha = _engage(api, admin_user, scope="broker", target="zerodha").json()["switch"]["id"]
    glob = _engage(api, admin_user, scope="global").json()["switch"]["id"]
    own = api(broker_user).post("/api/broker/kill", {"reason": "ours"}, format="json").json()["switch"]["id"]
    listed = api(broker_user).get("/api/broker/kill").json()
    assert [row["id"] for row in listed["results"]] == [own]
    for sid in (zerodha, glob):
        r = api(broker_user).post(f"/api/broker/kill/{sid}/release", {}, format="json")
        assert r.status_code == 404, r.content
    assert api(broker_user).post(f"/api/broker/kill/{own}/release", {}, format="json").status_code == 200


def test_admin_on_the_broker_route_must_name_the_broker(api: Any, admin_user: Any) -> None:
    r = api(admin_user).post("/api/broker/kill", {"reason": "x"}, format="json")
    assert r.status_code == 400 and "broker" in r.json()["error"]["fields"]
    r = api(admin_user).post("/api/broker/kill", {"reason": "x", "broker": "fyers"}, format="json")
    assert r.status_code == 201 and r.json()["switch"]["field"] == "broker:fyers"


def test_ownership_traders_and_guests_cannot_touch_kill_switches(api: Any, alice: Any, bob: Any, admin_user: Any) -> None:
    make_strategy(bob)
    sid = _engage(api, admin_user, scope="user", target=str(bob.pk)).json()["switch"]["id"]
    for client, code in ((api(alice), 403), (api(None), 401)):
        assert client.get("/api/admin/kill-switches").status_code == code
        assert client.post("/api/admin/kill-switches", {"scope": "global", "reason": "x"}, format="json").status_code == code
        assert client.post(f"/api/admin/kill-switches/{sid}/release", {}, format="json").status_code == code
        assert client.post("/api/broker/kill", {"reason": "x"}, format="json").status_code == code
    assert KillSwitch.objects.get(pk=sid).active is True
    assert Strategy.objects.filter(user=bob, status="STOPPED").count() == 1
