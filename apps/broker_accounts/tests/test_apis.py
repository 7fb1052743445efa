from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-value-never-shown-9f8e7d"


def _connect(api: Any, user: Any, **body: Any) -> Any:
    payload = {"broker": "paper", "credentials": {"api_key": "demo-key", "api_secret": SECRET}} | body
    return api(user).post("/api/broker/connect", payload, format="json")


def test_connect_paper_account_returns_no_secret(api: Any, alice: Any) -> None:
    r = _connect(api, alice, label="My paper")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["broker"] == "paper" and body["label"] == "My paper" and body["status"] == "ACTIVE"
    assert SECRET not in r.content.decode() and "demo-key" not in r.content.decode()
    listed = api(alice).get("/api/broker/accounts")
    assert [a["id"] for a in listed.json()] == [body["id"]]
    assert SECRET not in listed.content.decode()


def test_default_labels_do_not_clash(api: Any, alice: Any) -> None:
    first = _connect(api, alice).json()
    second = _connect(api, alice).json()
    assert first["label"] == "Paper broker" and second["label"] == "Paper broker 2"


def test_same_label_twice_is_a_field_error(api: Any, alice: Any) -> None:
    assert _connect(api, alice, label="Main").status_code == 201
    r = _connect(api, alice, label="Main")
    assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["label"]


def test_unknown_broker_names_the_broker_field(api: Any, alice: Any) -> None:
    r = _connect(api, alice, broker="robinhood")
    assert r.status_code == 400
    assert list(r.json()["error"]["fields"]) == ["broker"]


def test_unknown_credential_field_is_named(api: Any, alice: Any) -> None:
    r = _connect(api, alice, credentials={"pasword": "x"})
    assert r.status_code == 400
    assert list(r.json()["error"]["fields"]) == ["credentials.pasword"]


def test_credentials_must_be_an_object_of_strings(api: Any, alice: Any) -> None:
    r = _connect(api, alice, credentials=["a"])
    assert r.status_code == 400 and "credentials" in r.json()["error"]["fields"]


def test_alice_cannot_see_or_delete_bobs_account(api: Any, alice: Any, bob: Any) -> None:
    bobs = _connect(api, bob).json()
    for method in ("get", "delete"):
        r = getattr(api(alice), method)(f"/api/broker/accounts/{bobs['id']}")
        assert r.status_code == 404
        assert r.json() == {"error": {"code": "not_found", "message": "Broker account not found.", "fields": {}}}
    assert api(alice).get("/api/broker/accounts").json() == []
    # Bob's account survived alice's attempt.
    assert api(bob).get(f"/api/broker/accounts/{bobs['id']}").status_code == 200


def test_guest_cannot_list_accounts(api: Any) -> None:
    assert api(None).get("/api/broker/accounts").status_code == 401


def test_owner_deletes_own_account(api: Any, alice: Any) -> None:
    acct = _connect(api, alice).json()
    assert api(alice).delete(f"/api/broker/accounts/{acct['id']}").status_code == 204
    assert api(alice).get(f"/api/broker/accounts/{acct['id']}").status_code == 404


def test_broker_list_describes_credential_fields(api: Any, alice: Any) -> None:
    rows = {row["name"]: row for row in api(alice).get("/api/broker/brokers").json()}
    assert set(rows) == {"paper", "zerodha", "dhan", "fyers", "angelone"}
    assert rows["paper"]["available"] is True
    assert {f["name"] for f in rows["paper"]["credential_fields"]} == {"api_key", "api_secret"}


def test_broker_staff_see_only_their_broker(api: Any, broker_user: Any, alice: Any) -> None:
    _connect(api, alice)
    r = api(broker_user).get("/api/broker/stats", {"broker": "zerodha"})
    # A broker user's scope is fixed to their own broker whatever they ask for.
    assert [row["broker"] for row in r.json()] == ["paper"]
    assert r.json()[0]["accounts"] == 1


def test_admin_sees_every_broker(api: Any, admin_user: Any) -> None:
    rows = api(admin_user).get("/api/broker/stats").json()
    assert {row["broker"] for row in rows} == {"paper", "zerodha", "dhan", "fyers", "angelone"}


def test_error_bodies_never_echo_credentials(api: Any, alice: Any) -> None:
    r = _connect(api, alice, credentials={"api_secret": SECRET, "bogus": SECRET})
    assert r.status_code == 400
    assert SECRET not in json.dumps(r.json())
