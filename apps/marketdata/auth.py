from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from apps.accounts.authentication import JWTAuthentication


@database_sync_to_async
def user_from_token(raw: str | None) -> Any | None:
    """The active user of a JWT access token (revocation and suspension honoured), else None."""
    if not raw:
        return None
    auth = JWTAuthentication()
    try:
        token = auth.get_validated_token(raw.encode())
        return auth.get_user(token)
    except (InvalidToken, TokenError, AuthenticationFailed):
        return None
