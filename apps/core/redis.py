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


@functools.cache
def _channel_prefix(url: str) -> str:
    return f"db{redis.connection.parse_url(url).get('db', 0)}:"


def channel(name: str) -> str:
    """A pub/sub channel (or pattern) name of this deployment.

    Keys live in the Redis database of REDIS_URL, but pub/sub channels are server-wide: two
    deployments (or test runs) on one Redis server on different databases would hear each
    other's stop-loss changes and live events. Channels are therefore prefixed with the
    database number, or with REDIS_CHANNEL_PREFIX when set (for deployments sharing a db)."""
    prefix = getattr(settings, "REDIS_CHANNEL_PREFIX", "") or _channel_prefix(settings.REDIS_URL)
    return prefix + name
