"""Auth over real HTTP (a live server on a real port, real PostgreSQL and Redis)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def http(live_server: Any) -> httpx.Client:
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        yield client


def _login(http: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    return http.post("/api/auth/login", json={"email": email, "password": password})


def test_register_login_refresh_logout_round_trip(http: httpx.Client) -> None:
    r = http.post("/api/auth/register", json={"email": "New.Trader@Example.test", "password": PASSWORD})
    assert r.status_code == 201, r.text
    assert r.json() == {"id": r.json()["id"], "email": "new.trader@example.test", "role": "user"}

    r = _login(http, "new.trader@example.test")
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["user"]["role"] == "user"
    me = http.get("/api/me", headers={"Authorization": f"Bearer {tokens['access']}"})
    assert me.status_code == 200 and me.json()["email"] == "new.trader@example.test"

    r = http.post("/api/auth/refresh", json={"refresh": tokens["refresh"]})
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["refresh"] != tokens["refresh"]
    # The old refresh token was rotated away: a second use is refused.
    again = http.post("/api/auth/refresh", json={"refresh": tokens["refresh"]})
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "token_not_valid"

    auth = {"Authorization": f"Bearer {rotated['access']}"}
    r = http.post("/api/auth/logout", json={"refresh": rotated["refresh"]}, headers=auth)
    assert r.status_code == 204
    assert http.post("/api/auth/refresh", json={"refresh": rotated["refresh"]}).status_code == 401
    # Logout revoked the access token it was called with, not just the refresh token.
    assert http.get("/api/me", headers=auth).status_code == 401


def test_register_twice_names_the_email_field(http: httpx.Client) -> None:
    assert http.post("/api/auth/register", json={"email": "dup@example.test", "password": PASSWORD}).status_code == 201
    r = http.post("/api/auth/register", json={"email": "dup@example.test", "password": PASSWORD})
    assert r.status_code == 400
    assert r.json()["error"]["fields"] == {"email": ["An account with this email already exists."]}


def test_weak_password_is_refused_with_field_error(http: httpx.Client) -> None:
    r = http.post("/api/auth/register", json={"email": "weak@example.test", "password": "12345678"})
    assert r.status_code == 400
    assert "password" in r.json()["error"]["fields"]


def test_self_registration_cannot_choose_a_role(http: httpx.Client) -> None:
    r = http.post("/api/auth/register", json={"email": "sneaky@example.test", "password": PASSWORD, "role": "admin"})
    assert r.status_code == 400
    assert r.json()["error"]["fields"] == {"role": ["Unknown field."]}


def test_suspended_user_is_refused_on_the_very_next_request(http: httpx.Client, alice: Any, admin_user: Any) -> None:
    user_tokens = _login(http, alice.email).json()
    admin_tokens = _login(http, admin_user.email).json()
    user_auth = {"Authorization": f"Bearer {user_tokens['access']}"}
    assert http.get("/api/me", headers=user_auth).status_code == 200

    r = http.post(
        f"/api/admin/users/{alice.pk}/suspend",
        json={"reason": "chargeback"},
        headers={"Authorization": f"Bearer {admin_tokens['access']}"},
    )
    assert r.status_code == 200 and r.json()["is_active"] is False

    assert http.get("/api/me", headers=user_auth).status_code == 401
    assert http.post("/api/auth/refresh", json={"refresh": user_tokens["refresh"]}).status_code == 401
    assert _login(http, alice.email).status_code == 401


def test_five_failures_lock_that_email_with_a_clear_429(http: httpx.Client, alice: Any) -> None:
    for _ in range(5):
        assert _login(http, alice.email, "wrong-password").status_code == 401
    r = _login(http, alice.email)  # even the right password is refused while locked
    assert r.status_code == 429
    body = r.json()["error"]
    assert body["code"] == "login_locked"
    assert "try again in" in body["message"]


def test_lockout_is_per_email_and_ip(alice: Any, bob: Any) -> None:
    from apps.accounts import services
    from apps.core.errors import ApplicationError

    for _ in range(5):
        with pytest.raises(ApplicationError):
            services.user_login(email=alice.email, password="nope", ip="10.0.0.1")
    with pytest.raises(ApplicationError) as locked:
        services.user_login(email=alice.email, password=PASSWORD, ip="10.0.0.1")
    assert locked.value.status == 429
    # Another address, or another email from the same address, is not locked.
    assert services.user_login(email=alice.email, password=PASSWORD, ip="10.0.0.2").access
    assert services.user_login(email=bob.email, password=PASSWORD, ip="10.0.0.1").access
