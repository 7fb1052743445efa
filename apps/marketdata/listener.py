"""The tick listener: last prices, the in-memory stop-loss index, and stop-loss exits.

Runs in its own process (`listener` in the Procfile: uvicorn serving config.listener_asgi).
The feed sends tick batches over a WebSocket; each tick costs a dict store and one bisect.
A tick at or below a LONG position's stop queues `orders.stop_loss` on the `stoploss` queue,
which its own worker serves, so stop-loss exits never wait behind scheduled orders.

The index mirrors the Redis sorted sets `sl:{symbol}` (kept by apps.strategies.runtime) and
follows their changes on the `sl:changes` channel, so a start, stop or edit reaches it within
milliseconds; a periodic full resync guards against a missed message. A restart reloads it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings
from redis.exceptions import TimeoutError as RedisTimeoutError

from apps.core.redis import channel
from apps.strategies.runtime import STOP_CHANGES

from .index import StopLossIndex
from .live import PRICES_CHANNEL

log = logging.getLogger(__name__)

RESYNC_SECONDS = 30.0
PRICE_FLUSH_SECONDS = 0.05
PRICE_PUBLISH_SECONDS = 0.5


class Listener:
    def __init__(self) -> None:
        self.index = StopLossIndex()
        self.prices: dict[str, str] = {}
        self._dirty: dict[str, str] = {}
        self._published: dict[str, str] = {}
        self._started = asyncio.Event()
        self._starting = False
        self._tasks: list[asyncio.Task[Any]] = []
        # Publishing a Celery message is blocking I/O: one thread keeps the order of triggers.
        self._publisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stoploss-publish")
        self.ticks = 0
        self.triggers = 0
        self._rate_window: list[tuple[float, int]] = []
        self.redis: aioredis.Redis | None = None

    # --- life cycle -------------------------------------------------------------------------

    async def ensure_started(self) -> None:
        if self._started.is_set():
            return
        if self._starting:
            await self._started.wait()
            return
        self._starting = True
        self.redis = aioredis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(channel(STOP_CHANGES))  # subscribe first: nothing slips between load and follow
        await self.resync()
        self._tasks = [
            asyncio.create_task(self._follow(pubsub)),
            asyncio.create_task(self._every(PRICE_FLUSH_SECONDS, self._flush_prices)),
            asyncio.create_task(self._every(PRICE_PUBLISH_SECONDS, self._publish_prices)),
            asyncio.create_task(self._every(RESYNC_SECONDS, self.resync)),
            asyncio.create_task(self._every(1.0, self._report)),
        ]
        self._publisher.submit(_warm_publisher)
        self._started.set()
        log.info("tick listener ready: %d positions in the stop-loss index", len(self.index))

    async def resync(self) -> None:
        """Reload the whole index from Redis (`sl:{symbol}` sorted sets)."""
        if self.redis is None:
            return
        entries: list[tuple[int, str, float]] = []
        async for key in self.redis.scan_iter(match="sl:*", count=1000):
            if key == STOP_CHANGES:  # not a key (channels are prefixed); never a symbol either
                continue
            symbol = key[3:]
            for member, score in await self.redis.zrange(key, 0, -1, withscores=True):
                entries.append((int(member), symbol, float(score)))
        self.index.replace_all(entries)

    async def _follow(self, pubsub: Any) -> None:
        while True:
            try:
                try:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                except RedisTimeoutError:
                    continue  # an idle wait reported as a read timeout
                if message is None:
                    continue
                change = json.loads(message["data"])
                if change.get("resync"):
                    await self.resync()
                elif change.get("stop") is None:
                    self.index.remove(int(change["id"]))
                else:
                    self.index.upsert(int(change["id"]), change["symbol"], float(change["stop"]))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep following; the periodic resync repairs gaps
                log.exception("stop-loss change not applied")
                await asyncio.sleep(0.5)

    async def _every(self, seconds: float, job: Any) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                log.exception("listener job %s failed", getattr(job, "__name__", job))

    # --- the hot path -------------------------------------------------------------------------

    def on_batch(self, ticks: list[list[str]], generated_at: float | None) -> int:
        """Apply one batch of (symbol, price) ticks; returns how many stop-losses fired."""
        fired = 0
        prices = self.prices
        dirty = self._dirty
        hits = self.index.hits
        for symbol, raw in ticks:
            prices[symbol] = raw
            dirty[symbol] = raw
            stopped = hits(symbol, float(raw))
            if stopped:
                fired += len(stopped)
                for strategy_id in stopped:
                    self._trigger(strategy_id, symbol, raw, generated_at)
        self.ticks += len(ticks)
        self.triggers += fired
        return fired

    def _trigger(self, strategy_id: int, symbol: str, price: str, tick_at: float | None) -> None:
        log.info("stop-loss hit", extra={"strategy_id": strategy_id, "symbol": symbol, "price": price})
        self._publisher.submit(_publish_stop_loss, strategy_id, symbol, price, tick_at or time.time())

    # --- side jobs ---------------------------------------------------------------------------------

    async def _flush_prices(self) -> None:
        if not self._dirty or self.redis is None:
            return
        batch, self._dirty = self._dirty, {}
        await self.redis.mset({f"price:{s}": p for s, p in batch.items()})

    async def _publish_prices(self) -> None:
        if self.redis is None:
            return
        changed = {s: p for s, p in self.prices.items() if self._published.get(s) != p}
        if changed:
            self._published.update(changed)
            await self.redis.publish(channel(PRICES_CHANNEL), json.dumps({"t": time.time(), "prices": changed}))

    async def _report(self) -> None:
        if self.redis is None:
            return
        now = time.monotonic()
        self._rate_window.append((now, self.ticks))
        self._rate_window = [(t, n) for t, n in self._rate_window if now - t <= 5.0]
        (t0, n0), (t1, n1) = self._rate_window[0], self._rate_window[-1]
        rate = (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0
        await self.redis.hset(
            "metrics:listener",
            mapping={
                "ticks": self.ticks,
                "ticks_per_second": round(rate, 1),
                "stop_loss_triggers": self.triggers,
                "index_size": len(self.index),
                "symbols_priced": len(self.prices),
                "updated_at": time.time(),
            },
        )


def _warm_publisher() -> None:
    """Open the broker connection now, not on the first stop-loss."""
    from apps.orders.tasks import stop_loss

    with stop_loss.app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(max_retries=3)


def _publish_stop_loss(strategy_id: int, symbol: str, price: str, tick_at: float) -> None:
    """Runs on the publisher thread. The price goes to Redis first, so the exit fills at the
    price that triggered it rather than one from the last flush."""
    from apps.core.redis import get_redis
    from apps.orders.tasks import stop_loss

    get_redis().set(f"price:{symbol}", price)
    stop_loss.apply_async(args=[strategy_id, price, tick_at], queue="stoploss")


_listener: Listener | None = None


def get_listener() -> Listener:
    global _listener
    if _listener is None:
        _listener = Listener()
    return _listener
