"""The `state` of a broker login redirect: which account the returning login belongs to.

The broker sends the user back to our callback with a one-time code (Kite's request_token,
Fyers' auth_code) and whatever state we gave it. The callback has no session of ours (it is a
browser redirect from the broker), so the state alone says whose account to complete, and it
must not be forgeable or reusable:

- signed with SECRET_KEY (django.core.signing, own salt) and expiring after
  BROKER_LOGIN_STATE_MAX_AGE seconds;
- single use: its nonce is recorded in Redis when the login starts and taken (GETDEL) by the
  callback, so a replayed or stolen link binds nothing.
"""

from __future__ import annotations

import dataclasses
import secrets

from django.conf import settings
from django.core import signing

from apps.core.errors import ApplicationError
from apps.core.redis import get_redis

SALT = "broker-login-state"
_NONCE_KEY = "broker-login:{nonce}"


@dataclasses.dataclass(frozen=True, slots=True)
class LoginState:
    account_id: int
    user_id: int
    nonce: str


def state_issue(*, account_id: int, user_id: int) -> str:
    nonce = secrets.token_urlsafe(18)
    get_redis().set(
        _NONCE_KEY.format(nonce=nonce), f"{account_id}:{user_id}", ex=settings.BROKER_LOGIN_STATE_MAX_AGE
    )
    return signing.dumps({"a": account_id, "u": user_id, "n": nonce}, salt=SALT, compress=False)


def state_consume(state: str) -> LoginState:
    """The login a state stands for; ApplicationError (field `state`) when it is forged, expired
    or already used. Using it burns it."""
    try:
        data = signing.loads(state, salt=SALT, max_age=settings.BROKER_LOGIN_STATE_MAX_AGE)
        claims = LoginState(account_id=int(data["a"]), user_id=int(data["u"]), nonce=str(data["n"]))
    except signing.SignatureExpired:
        raise ApplicationError.field("state", "This login link has expired; start the login again.") from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ApplicationError.field("state", "This login link is not valid.") from None
    recorded = get_redis().getdel(_NONCE_KEY.format(nonce=claims.nonce))
    if recorded != f"{claims.account_id}:{claims.user_id}":
        raise ApplicationError.field("state", "This login link was already used or has expired; start the login again.")
    return claims
