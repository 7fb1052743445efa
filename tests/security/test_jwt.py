"""JWT misuse: every forged, altered, expired or misused token answers 401, on plain and
admin endpoints, over a real HTTP server."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from django.conf import settings

from tests.security.helpers import SUMMARY

pytestmark = pytest.mark.django_db(transaction=True)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return json.loads(base64.urlsafe_b64decode(pad(header))), json.loads(base64.urlsafe_b64decode(pad(payload))), signature


@pytest.mark.filterwarnings("ignore:The HMAC key")  # the HS512 forgery uses the server's (HS256-sized) key
def test_forged_altered_expired_and_misused_tokens_all_answer_401(live_server: Any, make_user: Any) -> None:
    from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

    alice = make_user("user")
    admin = make_user("admin")
    valid = str(AccessToken.for_user(alice))
    header, payload, signature = _parts(valid)
    expired = AccessToken.for_user(alice)
    expired.set_exp(from_time=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), lifetime=dt.timedelta(minutes=5))
    as_admin = {**payload, "user_id": str(admin.pk)}
    tokens = {
        "alg none, no signature": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(payload)}.",
        "alg none, original signature": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(payload)}.{signature}",
        "payload tampered (user_id -> admin)": f"{_b64(header)}.{_b64(as_admin)}.{signature}",
        "signature tampered": f"{_b64(header)}.{_b64(payload)}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}",
        "signed with another key": pyjwt.encode(as_admin, "not-the-server-key-" + "x" * 32, algorithm="HS256"),
        "HS512 with the server key": pyjwt.encode(payload, settings.SECRET_KEY, algorithm="HS512"),
        "expired (validly signed)": str(expired),
        "refresh token used as access": str(RefreshToken.for_user(alice)),
        "token_type removed": pyjwt.encode({k: v for k, v in payload.items() if k != "token_type"},
                                           settings.SECRET_KEY, algorithm="HS256"),
        "garbage": "not.a.jwt",
        "bearer with no token": "-",
    }
    results: dict[str, list[int]] = {}
    with httpx.Client(base_url=live_server.url, timeout=10) as http:
        assert http.get("/api/me", headers={"Authorization": f"Bearer {valid}"}).status_code == 200  # the control
        for name, token in tokens.items():
            codes = []
            for path in ("/api/me", "/api/strategy/list", "/api/admin/users"):
                auth = "Bearer" if token == "-" else f"Bearer {token}"
                codes.append(http.get(path, headers={"Authorization": auth}).status_code)
            results[name] = codes
        # The other direction: an access token offered as a refresh token.
        r = http.post("/api/auth/refresh", json={"refresh": valid})
        results["access token used as refresh"] = [r.status_code]
        r = http.post("/api/auth/refresh", json={"refresh": str(expired)})
        results["expired access token used as refresh"] = [r.status_code]
    wrong = {name: codes for name, codes in results.items() if set(codes) != {401}}
    total = sum(len(c) for c in results.values())
    SUMMARY.append(f"JWT misuse: {len(results)} kinds of token, {total} requests: "
                   f"{total - sum(len(c) for c in wrong.values())} answered 401; not 401: {wrong or 'none'}")
    print("\n" + SUMMARY[-1])
    assert wrong == {}
