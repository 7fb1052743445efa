"""Pub/sub channels are server-wide in Redis; ours carry the deployment's database number."""

from __future__ import annotations

import time
from typing import Any

import redis

from apps.core.redis import channel


def test_channel_names_carry_the_database_number_or_the_configured_prefix(settings: Any) -> None:
    settings.REDIS_CHANNEL_PREFIX = ""
    settings.REDIS_URL = "redis://127.0.0.1:6379/7"
    assert channel("sl:changes") == "db7:sl:changes"
    settings.REDIS_CHANNEL_PREFIX = "prod-a:"
    assert channel("user:*:updates") == "prod-a:user:*:updates"


def test_two_databases_on_one_server_do_not_hear_each_other(settings: Any) -> None:
    base = settings.REDIS_URL.rsplit("/", 1)[0]
    settings.REDIS_CHANNEL_PREFIX = ""
    listener = redis.Redis.from_url(f"{base}/11", decode_responses=True).pubsub()
    settings.REDIS_URL = f"{base}/11"
    listener.subscribe(channel("sl:changes"))
    listener.get_message(timeout=1)  # the subscribe confirmation
    settings.REDIS_URL = f"{base}/12"
    redis.Redis.from_url(settings.REDIS_URL).publish(channel("sl:changes"), "from db 12")
    settings.REDIS_URL = f"{base}/11"
    redis.Redis.from_url(settings.REDIS_URL).publish(channel("sl:changes"), "from db 11")
    got = []
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and len(got) < 2:
        message = listener.get_message(timeout=0.2)
        if message and message["type"] == "message":
            got.append(message["data"])
    listener.close()
    assert got == ["from db 11"]
