from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from apps.notifications.models import Notification
from apps.operations import kill
from apps.operations.models import AuditEntry, SystemSetting
from apps.orders.models import OrderEvent

from .helpers import make_intent, make_strategy

pytestmark = pytest.mark.django_db


# --- strategies --------------------------------------------------------------------------------


def test_admin_strategy_list_shows_execution_state_and_filters(api: Any, admin_user: Any, alice: Any, bob: Any) -> None:
    a = make_strategy(alice)
    b = make_strategy(bob, running=False, name="idle")
    make_intent(a, leg="ENTRY", status="FILLED", price="3500.00")
    kill.write_active({f"strategy:{a.pk}": "halted for a test"})
    body = api(admin_user).get("/api/admin/strategies").json()
    assert body["count"] == 2
    rows = {row["id"]: row for row in body["results"]}
    assert rows[a.pk]["position"] == "LONG" and rows[a.pk]["last_order"]["status"] == "FILLED"
    assert rows[a.pk]["halted_by"] == "halted for a test" and rows[a.pk]["user_email"] == alice.email
    assert rows[b.pk]["position"] == "FLAT" and rows[b.pk]["last_order"] is None and rows[b.pk]["halted_by"] is None
    only = api(admin_user).get("/api/admin/strategies", {"user": bob.pk, "status": "STOPPED"}).json()
    assert [row["id"] for row in only["results"]] == [b.pk]
    assert api(admin_user).get("/api/admin/strategies", {"status": "NOPE"}).status_code == 400
    assert api(admin_user).get("/api/admin/strategies", {"page_size": 1, "page": 2}).json()["results"][0]["id"] == b.pk


def test_force_stop_one_strategy_is_audited_and_notified(api: Any, admin_user: Any, alice: Any) -> None:
    s = make_strategy(alice)
    r = api(admin_user).post(f"/api/admin/strategies/{s.pk}/stop", {"reason": "runaway"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json() == {"id": s.pk, "status": "STOPPED", "status_reason": "Stopped by an administrator: runaway"}
    entry = AuditEntry.objects.get(action="strategy.force_stop")
    assert entry.detail["was"] == "RUNNING" and entry.target_id == str(s.pk)
    assert Notification.objects.get(user=alice).kind == "strategy_stopped"
    assert api(admin_user).post("/api/admin/strategies/999999/stop", {}, format="json").status_code == 404


def test_force_stop_all_of_a_users_strategies(api: Any, admin_user: Any, alice: Any, bob: Any) -> None:
    a1, a2, b1 = make_strategy(alice), make_strategy(alice, name="two"), make_strategy(bob)
    r = api(admin_user).post(f"/api/admin/users/{alice.pk}/stop-strategies", {"reason": "margin"}, format="json")
    assert r.status_code == 200 and sorted(r.json()["stopped"]) == sorted([a1.pk, a2.pk])
    b1.refresh_from_db()
    assert b1.status == "RUNNING"
    assert AuditEntry.objects.get(action="user.stop_strategies").detail["strategy_ids"] == r.json()["stopped"]


def test_ownership_traders_cannot_use_admin_strategy_routes(api: Any, alice: Any, bob: Any) -> None:
    s = make_strategy(bob)
    for client, code in ((api(alice), 403), (api(None), 401)):
        assert client.get("/api/admin/strategies").status_code == code
        assert client.post(f"/api/admin/strategies/{s.pk}/stop", {}, format="json").status_code == code
        assert client.post(f"/api/admin/users/{bob.pk}/stop-strategies", {}, format="json").status_code == code
    s.refresh_from_db()
    assert s.status == "RUNNING"


# --- execution logs ------------------------------------------------------------------------------


def test_order_log_filters_and_detail_with_events(api: Any, admin_user: Any, alice: Any, bob: Any) -> None:
    a, b = make_strategy(alice), make_strategy(bob)
    filled = make_intent(a, leg="ENTRY", status="FILLED")
    OrderEvent.objects.create(intent=filled, kind="CREATED", status="NEW")
    OrderEvent.objects.create(intent=filled, kind="RESULT", status="FILLED", detail={"price": "100.00"})
    old = make_intent(b, leg="ENTRY", status="REJECTED", last_error="margin", created_at=timezone.now() - dt.timedelta(days=2))
    client = api(admin_user)
    assert client.get("/api/admin/orders").json()["count"] == 2
    assert [r["id"] for r in client.get("/api/admin/orders", {"user": alice.pk}).json()["results"]] == [filled.pk]
    assert [r["id"] for r in client.get("/api/admin/orders", {"status": "REJECTED"}).json()["results"]] == [old.pk]
    assert [r["id"] for r in client.get("/api/admin/orders", {"strategy": b.pk}).json()["results"]] == [old.pk]
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert [r["id"] for r in client.get("/api/admin/orders", {"since": since}).json()["results"]] == [filled.pk]
    bad = client.get("/api/admin/orders", {"since": since, "until": since})
    assert bad.status_code == 400 and "until" in bad.json()["error"]["fields"]
    detail = client.get(f"/api/admin/orders/{filled.pk}").json()
    assert [e["kind"] for e in detail["events"]] == ["CREATED", "RESULT"] and detail["user"] == alice.pk
    assert client.get("/api/admin/orders/999999").status_code == 404
    assert api(alice).get(f"/api/admin/orders/{filled.pk}").status_code == 403


# --- settings and audit -------------------------------------------------------------------------------


def test_settings_list_defaults_then_change_is_stored_and_audited(api: Any, admin_user: Any) -> None:
    client = api(admin_user)
    rows = {row["key"]: row for row in client.get("/api/admin/settings").json()}
    assert rows["feature.playground"]["value"] is True and rows["feature.playground"]["is_default"] is True
    r = client.patch(
        "/api/admin/settings", {"values": {"feature.playground": False, "ops.note": {"a": [1, 2]}}}, format="json"
    )
    assert r.status_code == 200, r.content
    rows = {row["key"]: row for row in r.json()}
    assert rows["feature.playground"]["value"] is False and rows["feature.playground"]["updated_by"] == admin_user.email
    assert rows["ops.note"]["value"] == {"a": [1, 2]}
    entry = AuditEntry.objects.get(action="settings.change", target_id="feature.playground")
    assert entry.detail == {"old": True, "new": False}
    client.patch("/api/admin/settings", {"values": {"feature.playground": None}}, format="json")
    assert not SystemSetting.objects.filter(key="feature.playground").exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"feature.playground": "yes"}, "values.feature.playground"),
        ({"orders.max_per_second_per_client": 2.5}, "values.orders.max_per_second_per_client"),
        ({"Bad Key": 1}, "values.Bad Key"),
        ({}, "values"),
    ],
)
def test_invalid_settings_name_the_field_and_change_nothing(api: Any, admin_user: Any, values: Any, field: str) -> None:
    r = api(admin_user).patch("/api/admin/settings", {"values": values}, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]
    assert SystemSetting.objects.count() == 0 and AuditEntry.objects.count() == 0


def test_audit_list_filters_by_action_prefix_and_actor(api: Any, admin_user: Any, alice: Any, bob: Any) -> None:
    client = api(admin_user)
    client.post(f"/api/admin/users/{alice.pk}/suspend", {"reason": "kyc"}, format="json")
    client.patch("/api/admin/settings", {"values": {"ui.banner": "hello"}}, format="json")
    body = client.get("/api/admin/audit", {"action": "user."}).json()
    assert [r["action"] for r in body["results"]] == ["user.suspend"]
    assert body["results"][0]["target_id"] == str(alice.pk) and body["results"][0]["detail"] == {"reason": "kyc"}
    assert client.get("/api/admin/audit", {"actor": admin_user.pk}).json()["count"] == 2
    assert api(alice).get("/api/admin/audit").status_code == 401  # suspended: refused at once
    assert api(bob).get("/api/admin/audit").status_code == 403
    assert api(None).get("/api/admin/settings").status_code == 401
