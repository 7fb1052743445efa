"""Live updates for clients: a user's own strategy events, orders and prices (admins: all).

Sources are Redis pub/sub channels written by the engine and the tick listener:
  user:{id}:updates      strategy state changes and orders of that user
  prices                 last prices, at most a few per second per symbol (tick listener)
Both the WebSocket consumer and the SSE view read through `subscribe()`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings

from apps.core.redis import channel

PRICES_CHANNEL = "prices"
SYMBOLS_TTL = 2.0  # seconds before a stream re-reads which symbols its user trades


def user_channels(user: Any) -> tuple[list[str], list[str]]:
    """(channels, patterns) a user may follow."""
    if user.role == "admin":
        return [channel(PRICES_CHANNEL)], [channel("user:*:updates")]
    return [channel(f"user:{user.pk}:updates"), channel(PRICES_CHANNEL)], []


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
    """Yield the user's live events as dicts; {"type": "heartbeat"} when idle.

    A reader task drains the subscription into a queue (no read timeouts on the Redis socket:
    redis-py reports those as errors); the heartbeat comes from waiting on the queue."""
    client = aioredis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    pubsub = client.pubsub()
    channels, patterns = user_channels(user)
    symbols = await user_symbols(user)
    symbols_at = time.monotonic()
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=10_000)

    async def read() -> None:
        async for message in pubsub.listen():
            if message.get("type") in ("message", "pmessage"):
                if queue.full():
                    queue.get_nowait()  # a slow client loses the oldest, never blocks the reader
                queue.put_nowait(message)

    prices_channel = channel(PRICES_CHANNEL)
    if channels:
        await pubsub.subscribe(*channels)
    if patterns:
        await pubsub.psubscribe(*patterns)
    reader = asyncio.create_task(read())
    try:
        yield {"type": "hello", "user": user.pk}
        while True:
            try:
                message = await asyncio.wait_for(queue.get(), timeout=heartbeat)
            except TimeoutError:
                if reader.done():
                    reader.result()  # surface why the subscription ended
                yield {"type": "heartbeat"}
                continue
            try:
                event = json.loads(message["data"])
            except (TypeError, ValueError):
                continue
            if message["channel"] == prices_channel:
                prices = event.get("prices", {})
                if symbols is not None and time.monotonic() - symbols_at > SYMBOLS_TTL:
                    symbols, symbols_at = await user_symbols(user), time.monotonic()  # follows new strategies
                if symbols is not None:
                    prices = {s: p for s, p in prices.items() if s in symbols}
                    if not prices:
                        continue
                yield {"type": "prices", "prices": prices, "t": event.get("t")}
            else:
                yield event
    finally:
        reader.cancel()
        await pubsub.aclose()
        await client.aclose()
