"""TOTP second factor for admins and broker staff (apps.accounts.totp)."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest

from apps.accounts import totp
from conftest import PASSWORD
from tests.security.helpers import SUMMARY

pytestmark = pytest.mark.django_db

RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # b"12345678901234567890", RFC 4226 appendix D


def test_hotp_and_totp_match_the_rfc_vectors_and_pyotp() -> None:
    rfc4226 = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
    assert [totp.hotp(RFC_SECRET, c) for c in range(10)] == rfc4226
    # RFC 6238 appendix B (SHA1), last 6 of the 8 digits.
    for at, code in ((59, "287082"), (1111111109, "081804"), (1111111111, "050471"), (1234567890, "005924"),
                     (2000000000, "279037"), (20000000000, "353130")):
        assert totp.totp_now(RFC_SECRET, at) == code
    secret = totp.new_secret()
    now = time.time()
    assert totp.totp_now(secret, now) == pyotp.TOTP(secret).at(now)
    assert pyotp.parse_uri(totp.provisioning_uri(secret, "a@example.test")).secret == secret


def _login(api: Any, email: str, **extra: Any) -> Any:
    return api(None).post("/api/auth/login", {"email": email, "password": PASSWORD, **extra}, format="json")


@pytest.mark.parametrize("role", ["admin", "broker"])
def test_enrolled_staff_sign_in_only_with_a_fresh_code(role: str, api: Any, make_user: Any) -> None:
    from apps.accounts.models import TotpDevice

    user = make_user(role)
    client = api(user)
    assert client.get("/api/auth/totp").json() == {"enabled": False, "pending": False, "available": True}
    r = client.post("/api/auth/totp/setup", {}, format="json")
    assert r.status_code == 201, r.content
    secret = r.json()["secret"]
    assert r.json()["otpauth_uri"].startswith("otpauth://totp/")
    sealed = TotpDevice.objects.get(user=user).secret
    assert sealed.startswith("v1:") and secret not in sealed  # sealed with the credential cipher
    # Pending enrolment is not enforced yet.
    assert _login(api, user.email).status_code == 200
    assert client.post("/api/auth/totp/confirm", {"code": "000000"}, format="json").status_code == 400
    code = pyotp.TOTP(secret).now()
    assert client.post("/api/auth/totp/confirm", {"code": code}, format="json").json() == {"enabled": True}

    r = _login(api, user.email)
    assert r.status_code == 401 and r.json()["error"]["code"] == "totp_required"
    r = _login(api, user.email, totp="123")
    assert r.status_code == 401 and r.json()["error"]["code"] == "totp_invalid"
    # The confirming code is spent: replay refused.
    assert _login(api, user.email, totp=code).status_code == 401
    next_code = pyotp.TOTP(secret).at(time.time() + 30)  # one step ahead: within the allowed drift
    r = _login(api, user.email, totp=next_code)
    assert r.status_code == 200, r.content
    assert _login(api, user.email, totp=next_code).status_code == 401  # and now spent too
    far = pyotp.TOTP(secret).at(time.time() + 120)
    assert _login(api, user.email, totp=far).status_code == 401  # four steps ahead: refused
    SUMMARY.append(f"TOTP ({role}): login without code 401, wrong 401, replay 401, +1 step 200, +4 steps 401")


def test_wrong_codes_count_towards_the_login_lockout(api: Any, make_user: Any, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    user = make_user("admin")
    secret = api(user).post("/api/auth/totp/setup", {}, format="json").json()["secret"]
    api(user).post("/api/auth/totp/confirm", {"code": pyotp.TOTP(secret).now()}, format="json")
    for _ in range(3):
        assert _login(api, user.email, totp="000000").status_code == 401
    r = _login(api, user.email, totp=pyotp.TOTP(secret).at(time.time() + 30))
    assert r.status_code == 429  # locked: six digits cannot be brute-forced


def test_traders_cannot_enrol_and_secrets_do_not_open_for_another_user(api: Any, make_user: Any) -> None:
    from apps.accounts.models import TotpDevice
    from apps.broker_accounts.crypto import DecryptionError, decrypt_value

    trader = make_user("user")
    assert api(trader).post("/api/auth/totp/setup", {}, format="json").status_code == 403
    admin, other = make_user("admin"), make_user("admin")
    api(admin).post("/api/auth/totp/setup", {}, format="json")
    sealed = TotpDevice.objects.get(user=admin).secret
    with pytest.raises(DecryptionError):
        decrypt_value(sealed, user_id=other.pk, broker="totp", field="secret")


def test_disable_needs_a_valid_code(api: Any, make_user: Any) -> None:
    user = make_user("broker")
    client = api(user)
    secret = client.post("/api/auth/totp/setup", {}, format="json").json()["secret"]
    client.post("/api/auth/totp/confirm", {"code": pyotp.TOTP(secret).now()}, format="json")
    assert client.post("/api/auth/totp/setup", {}, format="json").status_code == 409  # on already
    assert client.post("/api/auth/totp/disable", {"code": "000000"}, format="json").status_code == 400
    r = client.post("/api/auth/totp/disable", {"code": pyotp.TOTP(secret).at(time.time() + 30)}, format="json")
    assert r.status_code == 204
    assert _login(api, user.email).status_code == 200


# --- Django Admin (/admin/login/, session sign-in) -------------------------------------------


def _enrol(api: Any, user: Any) -> tuple[str, str]:
    """Turn two-factor sign-in on through the API; returns (secret, the spent confirming code)."""
    secret = api(user).post("/api/auth/totp/setup", {}, format="json").json()["secret"]
    code = pyotp.TOTP(secret).now()
    assert api(user).post("/api/auth/totp/confirm", {"code": code}, format="json").json() == {"enabled": True}
    return secret, code


def _admin_login(email: str, password: str = PASSWORD, **extra: str) -> tuple[Any, Any]:
    """A fresh browser posting the Django Admin login form; returns (client, response)."""
    from django.test import Client

    client = Client()
    r = client.post("/admin/login/", {"username": email, "password": password, "next": "/admin/", **extra})
    return client, r


def _in_admin(client: Any) -> bool:
    return client.get("/admin/").status_code == 200


@pytest.mark.parametrize("role", ["admin", "broker"])
def test_django_admin_login_needs_a_fresh_code_when_totp_is_on(role: str, api: Any, make_user: Any) -> None:
    from apps.accounts.models import User

    user = make_user(role)
    User.objects.filter(pk=user.pk).update(is_staff=True)  # broker staff reach Django Admin only if made staff
    client, r = _admin_login(user.email)
    assert r.status_code == 302 and _in_admin(client)  # before enrolment: the password is enough
    secret, spent = _enrol(api, user)

    client, r = _admin_login(user.email)
    assert r.status_code == 200 and not _in_admin(client)
    assert "Enter the code from your authenticator app." in r.content.decode()
    assert 'name="totp"' in r.content.decode()  # the form shows the field
    client, r = _admin_login(user.email, totp="000000")
    assert r.status_code == 200 and not _in_admin(client)
    client, r = _admin_login(user.email, totp=spent)  # the confirming code is spent
    assert r.status_code == 200 and not _in_admin(client)

    fresh = pyotp.TOTP(secret).at(time.time() + 30)  # one step ahead: within the allowed drift
    client, r = _admin_login(user.email, password="not-the-password", totp=fresh)
    assert r.status_code == 200 and not _in_admin(client)  # a wrong password does not spend the code
    client, r = _admin_login(user.email, totp=fresh)
    assert r.status_code == 302 and r["Location"] == "/admin/" and _in_admin(client)

    replay, r = _admin_login(user.email, totp=fresh)
    assert r.status_code == 200 and not _in_admin(replay)  # replayed in another browser: refused
    assert _login(api, user.email, totp=fresh).status_code == 401  # and by the API (one spent-step record)
    SUMMARY.append(
        f"TOTP Django Admin ({role}): password only refused, wrong code refused, replay refused, valid code signed in"
    )


def test_django_admin_wrong_codes_count_towards_the_login_lockout(api: Any, make_user: Any, settings: Any) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    user = make_user("admin")
    secret, _ = _enrol(api, user)
    for _ in range(3):
        client, r = _admin_login(user.email, totp="000000")
        assert r.status_code == 200 and not _in_admin(client)
    client, r = _admin_login(user.email, totp=pyotp.TOTP(secret).at(time.time() + 30))
    assert r.status_code == 200 and not _in_admin(client)  # locked: six digits cannot be brute-forced here either
    assert "Too many failed sign-ins" in r.content.decode()
    assert _login(api, user.email, totp=pyotp.TOTP(secret).at(time.time() + 30)).status_code == 429  # one budget
