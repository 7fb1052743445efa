"""Login throttling: after N failures for one email from one IP, that pair is locked out."""

from __future__ import annotations

import hashlib

from django.conf import settings

from apps.core.redis import get_redis


def _key(email: str, ip: str) -> str:
    # Hash so the Redis key space never holds raw e-mail addresses.
    digest = hashlib.sha256(f"{email.lower()}|{ip}".encode()).hexdigest()[:32]
    return f"auth:fail:{digest}"


def login_locked_for(email: str, ip: str) -> int:
    """Seconds left on the lock-out, 0 when login may be tried."""
    r = get_redis()
    key = _key(email, ip)
    count = r.get(key)
    if count is not None and int(count) >= settings.LOGIN_FAILURE_LIMIT:
        return max(int(r.ttl(key)), 1)
    return 0


def login_failed(email: str, ip: str) -> None:
    key = _key(email, ip)
    pipe = get_redis().pipeline()
    pipe.incr(key)
    pipe.expire(key, settings.LOGIN_LOCKOUT_SECONDS)
    pipe.execute()


def login_succeeded(email: str, ip: str) -> None:
    get_redis().delete(_key(email, ip))
