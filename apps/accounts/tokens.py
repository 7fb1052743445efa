"""Access-token revocation (logout) kept in Redis until the token would have expired."""

from __future__ import annotations

import time

from apps.core.redis import get_redis

_PREFIX = "auth:revoked:"


def revoke_access_token(jti: str, exp: int) -> None:
    ttl = int(exp - time.time())
    if jti and ttl > 0:
        get_redis().set(_PREFIX + jti, "1", ex=ttl)


def access_token_revoked(jti: str) -> bool:
    return bool(jti) and get_redis().exists(_PREFIX + jti) == 1
