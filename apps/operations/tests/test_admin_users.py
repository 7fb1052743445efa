"""Admin user management (apps.accounts admin routes), with every change in the audit log."""

from __future__ import annotations

from typing import Any

import pytest

from apps.accounts.models import User
from apps.operations.models import AuditEntry
from conftest import PASSWORD

from .helpers import make_strategy

pytestmark = pytest.mark.django_db


def test_create_edit_suspend_activate_are_each_audited(api: Any, admin_user: Any) -> None:
    client = api(admin_user)
    r = client.post(
        "/api/admin/users", {"email": "Staff@Dhan.test", "password": PASSWORD, "role": "broker", "broker": "dhan"},
        format="json",
    )
    assert r.status_code == 201, r.content
    uid = r.json()["id"]
    r = client.patch(f"/api/admin/users/{uid}", {"role": "user", "email": "trader@dhan.test"}, format="json")
    assert r.status_code == 200, r.content
    assert (r.json()["role"], r.json()["broker"], r.json()["email"]) == ("user", "", "trader@dhan.test")
    client.post(f"/api/admin/users/{uid}/suspend", {"reason": "kyc"}, format="json")
    client.post(f"/api/admin/users/{uid}/activate", {}, format="json")
    actions = list(AuditEntry.objects.filter(target_id=str(uid)).order_by("id").values_list("action", flat=True))
    assert actions == ["user.create", "user.update", "user.suspend", "user.activate"]
    update = AuditEntry.objects.get(action="user.update")
    assert update.detail["old"] == {"email": "staff@dhan.test", "role": "broker", "is_staff": False, "broker": "dhan"}
    assert all(e.actor_id == admin_user.pk for e in AuditEntry.objects.all())


def test_suspending_a_trader_stops_their_strategies_and_activation_does_not_restart_them(
    api: Any, admin_user: Any, alice: Any, bob: Any
) -> None:
    from apps.strategies.models import Strategy

    mine = [make_strategy(alice), make_strategy(alice, symbol="INFY")]
    other = make_strategy(bob)
    r = api(admin_user).post(f"/api/admin/users/{alice.pk}/suspend", {"reason": "kyc"}, format="json")
    assert r.status_code == 200, r.content
    statuses = dict(Strategy.objects.filter(pk__in=[s.pk for s in mine]).values_list("status", "status_reason"))
    assert list(statuses) == ["STOPPED"] and "suspended" in statuses["STOPPED"]
    assert Strategy.objects.get(pk=other.pk).status == "RUNNING"
    api(admin_user).post(f"/api/admin/users/{alice.pk}/activate", {}, format="json")
    assert set(Strategy.objects.filter(pk__in=[s.pk for s in mine]).values_list("status", flat=True)) == {"STOPPED"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "broker"}, "broker"),
        ({"role": "broker", "broker": "nse"}, "broker"),
        ({"role": "wizard"}, "role"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "admin@example.test"}, "email"),
        ({"nickname": "x"}, "nickname"),
    ],
)
def test_invalid_edit_names_the_field(api: Any, admin_user: Any, alice: Any, body: Any, field: str) -> None:
    r = api(admin_user).patch(f"/api/admin/users/{alice.pk}", body, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]
    alice.refresh_from_db()
    assert (alice.role, alice.email) == ("user", "alice@example.test")


def test_admin_cannot_demote_or_delete_themselves(api: Any, admin_user: Any) -> None:
    r = api(admin_user).patch(f"/api/admin/users/{admin_user.pk}", {"role": "user"}, format="json")
    assert r.status_code == 400 and "role" in r.json()["error"]["fields"]
    assert api(admin_user).delete(f"/api/admin/users/{admin_user.pk}").status_code == 400


def test_role_change_revokes_tokens(api: Any, admin_user: Any, alice: Any) -> None:
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = RefreshToken.for_user(alice)
    api(admin_user).patch(f"/api/admin/users/{alice.pk}", {"role": "broker", "broker": "paper"}, format="json")
    r = api(None).post("/api/auth/refresh", {"refresh": str(refresh)}, format="json")
    assert r.status_code == 401


def test_delete_is_soft_stops_strategies_and_refuses_sign_in(api: Any, admin_user: Any, alice: Any) -> None:
    s = make_strategy(alice)
    r = api(admin_user).delete(f"/api/admin/users/{alice.pk}")
    assert r.status_code == 204
    alice.refresh_from_db()
    assert alice.is_active is False and alice.email == f"user{alice.pk}@deleted.invalid"
    assert not alice.has_usable_password()
    s.refresh_from_db()
    assert s.status == "STOPPED" and s.status_reason == "Account deleted."
    listed = [u["id"] for u in api(admin_user).get("/api/admin/users").json()]
    assert alice.pk not in listed
    assert alice.pk in [u["id"] for u in api(admin_user).get("/api/admin/users", {"include_deleted": "true"}).json()]
    login = api(None).post("/api/auth/login", {"email": "alice@example.test", "password": PASSWORD}, format="json")
    assert login.status_code == 401
    assert AuditEntry.objects.get(action="user.delete").detail == {"email": "alice@example.test"}
    assert User.objects.filter(pk=alice.pk).exists()  # the row stays for the order history


def test_ownership_traders_and_guests_cannot_manage_users(api: Any, alice: Any, bob: Any) -> None:
    for client, code in ((api(alice), 403), (api(None), 401)):
        assert client.patch(f"/api/admin/users/{bob.pk}", {"role": "admin"}, format="json").status_code == code
        assert client.delete(f"/api/admin/users/{bob.pk}").status_code == code
    bob.refresh_from_db()
    assert bob.role == "user" and bob.is_active
