from __future__ import annotations

from typing import Any

from rest_framework_simplejwt.authentication import JWTAuthentication as BaseJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from .tokens import access_token_revoked


class JWTAuthentication(BaseJWTAuthentication):
    """simplejwt, plus: an access token revoked by logout is refused at once.

    The user row is read on every request (simplejwt does that), so a suspended user is
    refused on the very next request.
    """

    def get_validated_token(self, raw_token: bytes) -> Any:
        token = super().get_validated_token(raw_token)
        if access_token_revoked(token.get("jti", "")):
            raise InvalidToken({"detail": "Token has been revoked.", "code": "token_revoked"})
        return token
