"""Live updates for clients: a user's own strategy events, orders and prices (admins: all).

Sources are Redis pub/sub channels written by the engine and the tick listener:
  user:{id}:updates      strategy state changes and orders of that user
  prices                 last prices, at most a few per second per symbol (tick listener)
Both the WebSocket consumer and the SSE view read through `subscribe()`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings

PRICES_CHANNEL = "prices"


def user_channels(user: Any) -> tuple[list[str], list[str]]:
    """(channels, patterns) a user may follow."""
    if user.role == "admin":
        return [PRICES_CHANNEL], ["user:*:updates"]
    return [f"user:{user.pk}:updates", PRICES_CHANNEL], []


async def user_symbols(user: Any) -> set[str] | None:
    """Symbols of the user's strategies (None: no filter, for admins)."""
    from channels.db import database_sync_to_async

    if user.role == "admin":
        return None

    @database_sync_to_async
    def load() -> set[str]:
        from apps.strategies.models import Strategy

        return set(Strategy.objects.filter(user=user, deleted_at__isnull=True).values_list("symbol", flat=True))

    return await load()


async def subscribe(user: Any, *, heartbeat: float = 15.0) -> AsyncIterator[dict[str, Any]]:
    """Yield the user's live events as dicts; {"type": "heartbeat"} when idle."""
    client = aioredis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    pubsub = client.pubsub()
    channels, patterns = user_channels(user)
    symbols = await user_symbols(user)
    try:
        if channels:
            await pubsub.subscribe(*channels)
        if patterns:
            await pubsub.psubscribe(*patterns)
        yield {"type": "hello", "user": user.pk}
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=heartbeat)
            if message is None:
                yield {"type": "heartbeat"}
                continue
            try:
                event = json.loads(message["data"])
            except (TypeError, ValueError):
                continue
            if message["channel"] == PRICES_CHANNEL:
                prices = event.get("prices", {})
                if symbols is not None:
                    prices = {s: p for s, p in prices.items() if s in symbols}
                    if not prices:
                        continue
                yield {"type": "prices", "prices": prices, "t": event.get("t")}
            else:
                yield event
    finally:
        await pubsub.aclose()
        await client.aclose()
