"""One Redis connection pool per process for the platform's runtime keys."""

from __future__ import annotations

import functools

import redis
from django.conf import settings


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)


def get_redis() -> redis.Redis:
    return _client(settings.REDIS_URL)
