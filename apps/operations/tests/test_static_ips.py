from __future__ import annotations

from typing import Any

import pytest

from apps.operations.models import AuditEntry, StaticIp

from .helpers import paper_account

pytestmark = pytest.mark.django_db


def test_trader_registers_and_changes_static_ips_audited(api: Any, alice: Any) -> None:
    account = paper_account(alice)
    client = api(alice)
    assert client.get("/api/compliance/static-ips").json()[0]["primary"] is None
    r = client.put(f"/api/compliance/static-ips/{account.pk}", {"primary": "203.0.113.10"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["primary"] == "203.0.113.10" and r.json()["secondary"] is None
    r = client.put(
        f"/api/compliance/static-ips/{account.pk}", {"primary": "203.0.113.11", "secondary": "2001:db8::1"}, format="json"
    )
    assert r.json()["secondary"] == "2001:db8::1"
    entries = list(AuditEntry.objects.filter(action="static_ip.change").order_by("id"))
    assert entries[0].detail["old"] is None
    assert entries[1].detail["old"]["primary"] == "203.0.113.10" and entries[1].detail["new"]["primary"] == "203.0.113.11"
    assert client.delete(f"/api/compliance/static-ips/{account.pk}").status_code == 204
    assert not StaticIp.objects.exists()
    assert AuditEntry.objects.filter(action="static_ip.remove").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"primary": "not-an-ip"}, "primary"),
        ({"primary": "127.0.0.1"}, "primary"),
        ({"primary": "203.0.113.5", "secondary": "203.0.113.5"}, "secondary"),
        ({"primary": "203.0.113.5", "tertiary": "1.2.3.4"}, "tertiary"),
        ({}, "primary"),
    ],
)
def test_invalid_static_ip_names_the_field(api: Any, alice: Any, body: Any, field: str) -> None:
    account = paper_account(alice)
    r = api(alice).put(f"/api/compliance/static-ips/{account.pk}", body, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]
    assert not StaticIp.objects.exists()


def test_ownership_bob_cannot_set_alices_ips(api: Any, alice: Any, bob: Any) -> None:
    account = paper_account(alice)
    r = api(bob).put(f"/api/compliance/static-ips/{account.pk}", {"primary": "203.0.113.9"}, format="json")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert api(bob).delete(f"/api/compliance/static-ips/{account.pk}").status_code == 404
    assert api(bob).get("/api/compliance/static-ips").json() == []
    assert api(None).get("/api/compliance/static-ips").status_code == 401
    assert not StaticIp.objects.exists()


def test_broker_staff_see_their_clients_ips_only(api: Any, alice: Any, broker_user: Any, make_user: Any) -> None:
    account = paper_account(alice)
    api(alice).put(f"/api/compliance/static-ips/{account.pk}", {"primary": "203.0.113.7"}, format="json")
    rows = api(broker_user).get("/api/broker/static-ips", {"broker": "zerodha"}).json()
    assert [(r["user"], r["primary"]) for r in rows] == [(alice.pk, "203.0.113.7")]  # own broker, whatever asked
    other_staff = make_user("broker", broker="zerodha")
    assert api(other_staff).get("/api/broker/static-ips").json() == []
    assert api(alice).get("/api/broker/static-ips").status_code == 403
    # Staff cannot change a client's IPs.
    assert api(broker_user).put(f"/api/compliance/static-ips/{account.pk}", {"primary": "203.0.113.8"}, format="json").status_code == 403
