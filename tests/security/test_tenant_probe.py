"""Cross-tenant probe and mass assignment.

Bob (a trader) and staff of another broker call every object endpoint x method of the API
with alice's ids, and the endpoints that take an object id in the body with hers; every list
is read back looking for alice's data. Then every writable endpoint is sent role and owner
fields. Counted: successes (2xx) and accepted fields; both must be 0.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.helpers import MARK, SUMMARY, Tenant, api_routes, make_tenant, strategy_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(api: Any, make_user: Any) -> dict[str, Any]:
    alice = make_user("user", email="alice-probe@example.test")
    bob = make_user("user", email="bob-probe@example.test")
    paper_staff = make_user("broker", broker="paper")
    other_staff = make_user("broker", broker="zerodha")
    tenant = make_tenant(api, alice, paper_staff)
    bob_client = api(bob)
    bob_account = bob_client.post("/api/broker/connect", {"broker": "paper", "credentials": {}}, format="json").json()["id"]
    bob_strategy = bob_client.post("/api/strategy/create", strategy_body(bob_account, "bob"), format="json").json()["id"]
    return {"tenant": tenant, "alice": alice, "bob": bob, "other_staff": other_staff,
            "bob_account": bob_account, "bob_strategy": bob_strategy}


# Plausible bodies, so a write is refused for ownership and not merely for a missing field.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("strategy-detail", "patch"): {"name": "taken over", "quantity": 2},
    ("compliance-static-ip", "put"): {"primary": "198.51.100.7"},
    ("broker-kill-release", "post"): {"reason": "not mine"},
    ("admin-kill-switch-release", "post"): {"reason": "not mine"},
    ("notification-read", "post"): {},
    ("broker-account-credentials", "post"): {"credentials": {}},
}


def _call(client: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(path, body if body is not None else {}, format="json")


def test_no_object_endpoint_serves_or_changes_another_tenants_object(world: dict[str, Any], api: Any) -> None:
    from apps.notifications.models import Notification
    from apps.operations.models import KillSwitch
    from apps.strategies.models import Strategy

    tenant: Tenant = world["tenant"]
    ids = tenant.ids()

    def snapshot() -> tuple[Any, ...]:
        s = Strategy.objects.get(pk=tenant.strategy)
        return (s.name, s.status, s.quantity, s.deleted_at, s.broker_account_id,
                Notification.objects.get(pk=tenant.notification).read_at, KillSwitch.objects.get(pk=tenant.switch).active)

    before = snapshot()
    probes: list[tuple[str, str, int]] = []
    actors = {"bob (trader)": api(world["bob"]), "zerodha staff": api(world["other_staff"])}
    for route in api_routes():
        if not route.params:
            continue
        for method in route.methods:
            for who, client in actors.items():
                r = _call(client, method, route.path(ids), BODIES.get((route.name, method)))
                probes.append((f"{method.upper()} {route.path(ids)} as {who}", r.content.decode(errors="replace")[:200],
                               r.status_code))

    bob = actors["bob (trader)"]
    body_probes = [
        ("post", "/api/strategy/start", {"id": tenant.strategy}),
        ("post", "/api/strategy/stop", {"id": tenant.strategy}),
        ("post", "/api/strategy/create", strategy_body(tenant.account, "on alice's account")),
        ("patch", f"/api/strategy/{world['bob_strategy']}", {"broker_account": tenant.account}),
        ("post", "/api/playground/backtests", {"source": "random", "strategy": tenant.strategy}),
        ("get", f"/api/dashboard?strategy={tenant.strategy}", None),
    ]
    for method, path, body in body_probes:
        r = getattr(bob, method)(path, body, format="json") if body is not None else bob.get(path)
        # A filtered read that answers 200 with nothing of alice's in it is a refusal too.
        ok = r.status_code < 300 and (method != "get" or MARK in r.content.decode(errors="replace"))
        probes.append((f"{method.upper()} {path} {body or ''} as bob", r.content.decode(errors="replace")[:200],
                       200 if ok else max(r.status_code, 300)))

    successes = [(what, status, text) for what, text, status in probes if 200 <= status < 300]

    # Every list and read without an id, as bob: alice's data must not appear anywhere.
    leaks = []
    for route in api_routes():
        if route.params or "get" not in route.methods or route.name in ("schema", "docs", "stream-sse"):
            continue
        r = bob.get("/" + route.pattern)
        text = r.content.decode(errors="replace")
        if MARK in text or tenant.user.email in text:
            leaks.append(route.pattern)

    # Nothing of alice's changed.
    unchanged = snapshot() == before
    SUMMARY.append(f"cross-tenant probe: {len(probes)} requests (every object endpoint x method with the other "
                   f"tenant's ids, as a trader and as another broker's staff, plus ids in bodies): "
                   f"{len(successes)} successes; {len(leaks)} lists showing the other tenant's data")
    print("\n" + SUMMARY[-1])
    assert successes == [], successes
    assert leaks == [], leaks
    assert unchanged, (before, snapshot())


# --- mass assignment ---------------------------------------------------------------------------------


def test_role_and_owner_fields_are_never_accepted(world: dict[str, Any], api: Any) -> None:
    from apps.accounts.models import User
    from apps.broker_accounts.models import BrokerAccount
    from apps.operations.models import KillSwitch
    from apps.strategies.models import Strategy

    alice, bob = world["alice"], world["bob"]
    tenant: Tenant = world["tenant"]
    guest, trader, staff = api(None), api(bob), api(world["other_staff"])
    owner_fields = {"user": alice.pk, "user_id": alice.pk, "owner": alice.pk, "owner_id": alice.pk}
    role_fields = {"role": "admin", "is_staff": True, "is_superuser": True, "broker": "paper", "is_active": True}
    cases: list[tuple[str, Any, str, str, dict[str, Any]]] = []
    n = 0
    for field, value in role_fields.items():
        n += 1
        cases.append(("register", guest, "post", "/api/auth/register",
                      {"email": f"mass{n}@example.test", "password": "Sturdy-Passw0rd-42", field: value}))
    for field, value in {**owner_fields, **role_fields}.items():
        cases += [
            ("strategy create", trader, "post", "/api/strategy/create", {**strategy_body(world["bob_account"], "m"), field: value}),
            ("strategy patch", trader, "patch", f"/api/strategy/{world['bob_strategy']}", {"name": "m", field: value}),
            ("broker connect", trader, "post", "/api/broker/connect", {"broker": "paper", "credentials": {}, field: value}),
            ("notification settings", trader, "patch", "/api/notifications/settings", {"email_enabled": True, field: value}),
            ("static ip", trader, "put", f"/api/compliance/static-ips/{world['bob_account']}", {"primary": "198.51.100.9", field: value}),
            ("backtest", trader, "post", "/api/playground/backtests", {"source": "random", field: value}),
            ("login", guest, "post", "/api/auth/login", {"email": bob.email, "password": "Sturdy-Passw0rd-42", field: value}),
        ]
    # Staff of one broker naming another broker (the field admins use) must not halt that broker.
    cases.append(("broker kill naming another broker", staff, "post", "/api/broker/kill", {"reason": "x", "broker": "paper"}))
    cases.append(("broker kill naming another broker", staff, "post", "/api/broker/kill", {"reason": "x", "broker": "dhan"}))

    # A case whose extra field is one of the endpoint's own (broker connect's "broker") is no case.
    cases = [c for c in cases if not (c[0] == "broker connect" and c[4]["broker"] == "paper" and len(c[4]) == 2)]
    accepted = []
    for what, client, method, path, body in cases:
        r = getattr(client, method)(path, body, format="json")
        if r.status_code < 300:
            accepted.append((what, body, r.status_code, r.content[:200]))

    # And nothing moved in the database either.
    elevated = User.objects.exclude(role="user").filter(email__startswith="mass").count() + \
        User.objects.filter(email__startswith="mass", is_staff=True).count()
    owners_ok = (
        not Strategy.objects.filter(user=alice).exclude(pk=tenant.strategy).exists()
        and not BrokerAccount.objects.filter(user=alice).exclude(pk=tenant.account).exists()
        and User.objects.get(pk=bob.pk).role == "user"
    )
    other_halts = KillSwitch.objects.filter(created_by=world["other_staff"]).exclude(target="zerodha").count() \
        if hasattr(KillSwitch, "created_by") else 0
    SUMMARY.append(f"mass assignment: {len(cases)} requests with role/owner fields on {len({c[0] for c in cases})} "
                   f"endpoints: {len(accepted)} accepted; {elevated} elevated accounts; owners unchanged: {owners_ok}")
    print("\n" + SUMMARY[-1])
    assert accepted == [], accepted
    assert elevated == 0 and owners_ok and other_halts == 0
