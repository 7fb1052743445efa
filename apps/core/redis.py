"""One Redis connection pool per process for the platform's runtime keys."""

from __future__ import annotations

import functools

import redis
from django.conf import settings


@functools.cache
def _client(url: str) -> redis.Redis:
    # Blocking pool: many threads (web, order I/O) share a bounded set of connections.
    pool = redis.BlockingConnectionPool.from_url(
        url, max_connections=64, timeout=10, decode_responses=True, health_check_interval=30
    )
    return redis.Redis(connection_pool=pool)


def get_redis() -> redis.Redis:
    return _client(settings.REDIS_URL)
