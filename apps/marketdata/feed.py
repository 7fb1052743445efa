"""The feed process: pulls tick batches from a source and pushes them to the tick listener.

    source (simulator | broker bridge) --next_batch(now)--> Feed --WebSocket frames--> listener

Frame (text, JSON, one per batch; a batch larger than `max_ticks_per_frame` is split):

    {"t": 1733383800.02, "ticks": [["TCS", "3501.05"], ["INFY", "1620.40"]]}

`t` is the epoch time the batch was generated, so the listener can measure feed-to-listener
latency; prices are decimal strings (never floats). Ticks are in generation order, several
per symbol per frame when the market moves fast: a stop-loss must see the lowest of them.

Subscriptions follow running strategies: a non-empty Redis set `symbol:{SYMBOL}:strategies`
means "tick this symbol". The feed SCANs for those keys every second (cheap at any realistic
key count) and passes the set to the source, so a broker bridge subscribes only to what the
platform trades. `all_symbols` ticks everything (demos, benchmarks).

The listener need not be up: the feed retries with exponential backoff (0.5 s doubling to
10 s, with jitter). While disconnected it keeps only the last price per symbol and sends
those first on reconnect, so the listener's view is current without a flood of stale ticks.

Figures for operators go to the Redis hash `metrics:feed`, written at most once per second.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import json
import logging
import os
import random
import time
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from brokers.paper.simulator import MarketSimulator, nifty50_prices, synthetic_universe

logger = logging.getLogger(__name__)

METRICS_KEY = "metrics:feed"
SUBSCRIPTION_PATTERN = "symbol:*:strategies"
_SUB_PREFIX, _SUB_SUFFIX = "symbol:", ":strategies"
TPS_WINDOW = 5.0
SUMMARY_EVERY = 60.0
STOP_TIMEOUT = 5.0

Tick = tuple[str, str]


class TickSource(Protocol):
    """What the feed pulls ticks from. The simulator is one; a broker bridge (KiteTicker and
    the like) is another: it receives ticks on its own connection, buffers them, and
    `next_batch` drains the buffer, so the feed loop is the same for both."""

    name: str

    def next_batch(self, now: float) -> list[Tick]:
        """Ticks due (or received) by `now`, oldest first: (symbol, price as decimal string)."""
        ...

    def set_symbols(self, symbols: Iterable[str] | None) -> set[str]:
        """Tick only these symbols (None: all); returns those the source cannot serve."""
        ...

    def symbol_count(self) -> int:
        """How many symbols it is ticking now."""
        ...


class SimulatorSource:
    """The market simulator as a feed source."""

    name = "simulator"

    def __init__(self, simulator: MarketSimulator) -> None:
        self.simulator = simulator

    def next_batch(self, now: float) -> list[Tick]:
        return self.simulator.next_batch(now)

    def set_symbols(self, symbols: Iterable[str] | None) -> set[str]:
        return self.simulator.set_symbols(symbols)

    def symbol_count(self) -> int:
        return self.simulator.active_count


def build_simulator_source(
    *,
    rate: float,
    seed: int | None = None,
    symbols_extra: int = 0,
    scenarios: Iterable[str | Path] = (),
    replay: str | Path | None = None,
    replay_speed: float = 1.0,
    walk: bool = True,
    sigma: float | None = None,
) -> SimulatorSource:
    prices: dict[str, Decimal] = nifty50_prices()
    if symbols_extra > 0:
        prices.update(synthetic_universe(symbols_extra, seed=0 if seed is None else seed))
    kwargs: dict[str, Any] = {"rate": rate, "seed": seed, "walk": walk}
    if sigma is not None:
        kwargs["sigma"] = sigma
    simulator = MarketSimulator(prices, **kwargs)
    for path in scenarios:
        simulator.load_scenario(path)
    if replay is not None:
        simulator.replay_csv(replay, speed=replay_speed, walk=walk)
    return SimulatorSource(simulator)


def listener_url(host: str, port: int, token: str) -> str:
    return f"ws://{host}:{port}/ticks?token={quote(token, safe='')}"


def redact_url(url: str) -> str:
    """The URL without its query string: the token must not reach the logs."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "token=***" if parts.query else "", ""))


@dataclasses.dataclass(slots=True)
class FeedOptions:
    url: str
    redis_url: str
    batch_interval: float = 0.02
    all_symbols: bool = False
    duration: float | None = None
    subscription_interval: float = 1.0
    metrics_interval: float = 1.0
    backoff_initial: float = 0.5
    backoff_max: float = 10.0
    # ~120 KB frames: well under the 1 MiB default message limit of WebSocket servers, even
    # when a stalled loop produces a whole second of a 50,000/s walk in one batch.
    max_ticks_per_frame: int = 5000
    open_timeout: float = 5.0


@dataclasses.dataclass(slots=True)
class FeedStats:
    connected: bool = False
    connections: int = 0
    reconnects: int = 0
    connect_failures: int = 0
    ticks_sent: int = 0
    batches_sent: int = 0
    ticks_dropped: int = 0  # generated while disconnected, coalesced to the last price per symbol
    last_batch_at: float | None = None
    subscribed_symbols: int = 0
    started_at: float = 0.0


class Feed:
    def __init__(self, source: TickSource, options: FeedOptions) -> None:
        self.source = source
        self.options = options
        self.stats = FeedStats()
        self._ws: ClientConnection | None = None  # set while frames can be sent
        self._conn: ClientConnection | None = None  # the last connection, closed on stop
        self._subscribed: frozenset[str] | None = None  # None: every symbol
        self._unserved: set[str] = set()
        self._stash: dict[str, str] = {}
        self._stash_t = 0.0
        self._redis: aioredis.Redis | None = None
        self._redis_down = False
        self._jitter = random.Random()  # noqa: S311 - backoff jitter, not security
        self._stopping = False

    # -- lifecycle --

    async def run(self, stop: asyncio.Event | None = None) -> FeedStats:
        """Run until `stop` is set or `options.duration` passes; returns the final figures."""
        stop = stop if stop is not None else asyncio.Event()
        opts = self.options
        self.stats.started_at = time.time()
        self._redis = aioredis.Redis.from_url(
            opts.redis_url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5
        )
        logger.info(
            "feed starting: source=%s listener=%s subscriptions=%s",
            self.source.name,
            redact_url(opts.url),
            "all symbols" if opts.all_symbols else f"from {SUBSCRIPTION_PATTERN}",
        )
        if opts.all_symbols:
            self._apply_subscription(None)
        else:
            # Nothing ticks until Redis says what is subscribed: a feed that starts with Redis
            # down must not flood the listener with symbols nobody trades.
            self._apply_subscription(frozenset())
            await self._poll_subscriptions()
            _raise_if_cancelling()
        tasks = [
            asyncio.create_task(self._connection_loop(), name="feed-connection"),
            asyncio.create_task(self._produce_loop(), name="feed-produce"),
            asyncio.create_task(self._metrics_loop(), name="feed-metrics"),
        ]
        if not opts.all_symbols:
            tasks.append(asyncio.create_task(self._subscription_loop(), name="feed-subscriptions"))
        stopper = asyncio.create_task(stop.wait(), name="feed-stop")
        try:
            done, _ = await asyncio.wait([stopper, *tasks], timeout=opts.duration, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopper and not task.cancelled():
                    error = task.exception()
                    if error is not None:
                        raise error  # a loop died: the process must not run on half-dead
        finally:
            self._stopping = True
            stopper.cancel()
            for task in tasks:
                task.cancel()
            # Bounded: a loop stuck in a library call must not keep the process from exiting.
            _, stuck = await asyncio.wait([stopper, *tasks], timeout=STOP_TIMEOUT)
            for task in stuck:
                logger.warning("feed task %s did not stop within %.0fs", task.get_name(), STOP_TIMEOUT)
            await self._shutdown()
        return self.stats

    async def _shutdown(self) -> None:
        # Cancelling the connection loop leaves its connection open: close it here, so the
        # listener sees a clean 1001 rather than a half-open socket.
        conn, self._conn, self._ws = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close(1001, "feed stopping")
        self.stats.connected = False
        await self._write_metrics(tps=0.0)
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
        s = self.stats
        logger.info(
            "feed stopped: %d ticks in %d frames sent, %d reconnects, %d ticks generated while disconnected",
            s.ticks_sent,
            s.batches_sent,
            s.reconnects,
            s.ticks_dropped,
        )

    # -- connection --

    async def _connection_loop(self) -> None:
        opts = self.options
        safe_url = redact_url(opts.url)
        delay = opts.backoff_initial
        down_since = time.monotonic()
        while True:
            try:
                ws = await connect(
                    opts.url,
                    open_timeout=opts.open_timeout,
                    compression=None,  # loopback or LAN: deflate would cost more CPU than it saves
                    proxy=None,  # an HTTP(S)_PROXY in the environment must not capture an internal hop
                    close_timeout=2,
                    max_queue=64,
                )
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
                self.stats.connect_failures += 1
                wait = self._jittered(delay)
                if isinstance(exc, InvalidStatus) and exc.response.status_code in (401, 403):
                    logger.error(
                        "listener %s refused the feed (HTTP %d): check FEED_TOKEN; retrying in %.1fs",
                        safe_url,
                        exc.response.status_code,
                        wait,
                    )
                else:
                    logger.warning("listener %s unreachable (%s); retrying in %.1fs", safe_url, _describe(exc), wait)
                await asyncio.sleep(wait)
                delay = min(delay * 2, opts.backoff_max)
                continue

            stats = self.stats
            stats.connections += 1
            if stats.connections > 1:
                stats.reconnects += 1
                logger.warning(
                    "reconnected to listener %s after %.1fs (reconnect #%d)",
                    safe_url,
                    time.monotonic() - down_since,
                    stats.reconnects,
                )
            else:
                logger.info("connected to listener %s", safe_url)
            up_since = time.monotonic()
            self._conn = self._ws = ws
            stats.connected = True
            reason = ""
            try:
                # The listener sends nothing we need, but reading keeps pings answered and
                # tells us promptly when it closes.
                async for _ in ws:
                    pass
            except ConnectionClosed:
                pass
            finally:
                self._ws = None
                stats.connected = False
                down_since = time.monotonic()
                reason = f"code {ws.close_code}" + (f" {ws.close_reason!r}" if ws.close_reason else "")
            # A connection that stayed up is a fresh start; one the listener drops right away
            # (bad token, crash loop) keeps backing off instead of hammering it.
            if time.monotonic() - up_since >= opts.backoff_max:
                delay = opts.backoff_initial
            wait = self._jittered(delay)
            logger.warning(
                "disconnected from listener %s (%s) after %.1fs; reconnecting in %.1fs",
                safe_url,
                reason,
                time.monotonic() - up_since,
                wait,
            )
            await asyncio.sleep(wait)
            delay = min(delay * 2, opts.backoff_max)

    def _jittered(self, delay: float) -> float:
        # +-20 %: many feeds (or a feed and its restarts) must not retry in lockstep.
        return delay * self._jitter.uniform(0.8, 1.2)

    # -- ticks --

    async def _produce_loop(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self.options.batch_interval
        next_at = loop.time()
        while True:
            next_at += interval
            now = time.time()
            batch = self.source.next_batch(now)
            if batch or self._stash:
                await self._deliver(now, batch)
            delay = next_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                # Behind schedule (slow listener, CPU): the source catches up by itself in the
                # next, larger batch, so do not spin through missed slots.
                next_at = loop.time()
                await asyncio.sleep(0)

    async def _deliver(self, now: float, batch: list[Tick]) -> None:
        ws = self._ws
        if ws is None:
            self._stash_batch(now, batch)
            return
        if self._stash:
            wanted = self._subscribed
            pending = [(s, p) for s, p in self._stash.items() if wanted is None or s in wanted]
            stash_t = self._stash_t
            self._stash.clear()
            if pending and not await self._send(ws, stash_t, pending):
                self._stash_batch(now, batch)
                return
        if batch:
            await self._send(ws, now, batch)

    async def _send(self, ws: ClientConnection, t: float, ticks: list[Tick]) -> bool:
        """Send ticks as one or more frames; on a dead connection stash the unsent rest."""
        size = self.options.max_ticks_per_frame
        for start in range(0, len(ticks), size):
            chunk = ticks[start : start + size]
            frame = json.dumps({"t": t, "ticks": chunk}, separators=(",", ":"))
            try:
                await ws.send(frame)
            except ConnectionClosed:
                self._stash_batch(t, ticks[start:])
                return False
            self.stats.ticks_sent += len(chunk)
            self.stats.batches_sent += 1
            self.stats.last_batch_at = t
        return True

    def _stash_batch(self, t: float, batch: list[Tick]) -> None:
        if not batch:
            return
        self.stats.ticks_dropped += len(batch)
        self._stash.update(batch)
        self._stash_t = t

    # -- subscriptions --

    async def _subscription_loop(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.options.subscription_interval)
            await self._poll_subscriptions()
            _raise_if_cancelling()

    async def _poll_subscriptions(self) -> None:
        if self._redis is None:
            return
        symbols: set[str] = set()
        try:
            async for key in self._redis.scan_iter(match=SUBSCRIPTION_PATTERN, count=1000):
                # Redis deletes a set with its last member, so an existing key is non-empty.
                symbols.add(key[len(_SUB_PREFIX) : -len(_SUB_SUFFIX)])
        except (RedisError, OSError) as exc:
            if not self._redis_down:
                logger.warning("cannot read subscriptions from Redis (%s); keeping the current ones", exc)
                self._redis_down = True
            return
        if self._redis_down:
            logger.info("Redis is back; following subscriptions again")
            self._redis_down = False
        self._apply_subscription(frozenset(symbols))

    def _apply_subscription(self, symbols: frozenset[str] | None) -> None:
        previous = self._subscribed
        if symbols == previous and previous is not None:
            return
        unserved = self.source.set_symbols(symbols)
        self._subscribed = symbols
        self.stats.subscribed_symbols = self.source.symbol_count()
        if symbols is None:
            logger.info("subscribed to all %d symbols", self.stats.subscribed_symbols)
            return
        if previous is not None:
            added, removed = sorted(symbols - previous), sorted(previous - symbols)
            if added or removed:
                logger.info(
                    "subscriptions: %d symbols (+%s -%s)",
                    len(symbols),
                    _short(added),
                    _short(removed),
                )
        new_unserved = unserved - self._unserved
        if new_unserved:
            logger.warning(
                "no market data for %s: unknown to the %s source", _short(sorted(new_unserved)), self.source.name
            )
        self._unserved = unserved

    # -- metrics --

    async def _metrics_loop(self) -> None:
        samples: collections.deque[tuple[float, int]] = collections.deque()
        last_summary = time.monotonic()
        summary_sent = 0
        while not self._stopping:
            await asyncio.sleep(max(self.options.metrics_interval, 0.05))
            now = time.monotonic()
            sent = self.stats.ticks_sent
            samples.append((now, sent))
            while samples and samples[0][0] < now - TPS_WINDOW:
                samples.popleft()
            first_t, first_sent = samples[0]
            tps = (sent - first_sent) / (now - first_t) if now > first_t else 0.0
            await self._write_metrics(tps=tps)
            _raise_if_cancelling()
            if now - last_summary >= SUMMARY_EVERY:
                logger.info(
                    "feed: %s, %d symbols, %.0f ticks/s, %d ticks sent in the last %.0fs",
                    "connected" if self.stats.connected else "DISCONNECTED",
                    self.stats.subscribed_symbols,
                    tps,
                    sent - summary_sent,
                    now - last_summary,
                )
                last_summary, summary_sent = now, sent

    async def _write_metrics(self, *, tps: float) -> None:
        if self._redis is None:
            return
        s = self.stats
        # A replay can bring symbols the universe did not have, so count afresh.
        s.subscribed_symbols = self.source.symbol_count()
        mapping: dict[str, str | int | float] = {
            "connected": int(s.connected),
            "reconnects": s.reconnects,
            "connect_failures": s.connect_failures,
            "ticks_sent": s.ticks_sent,
            "batches_sent": s.batches_sent,
            "ticks_dropped": s.ticks_dropped,
            "last_batch_at": "" if s.last_batch_at is None else f"{s.last_batch_at:.3f}",
            "ticks_per_second": round(tps, 1),
            "subscribed_symbols": s.subscribed_symbols,
            "source": self.source.name,
            "started_at": f"{s.started_at:.3f}",
            "updated_at": f"{time.time():.3f}",  # lets health checks spot a feed that died
            "pid": os.getpid(),
        }
        try:
            await self._redis.hset(METRICS_KEY, mapping=mapping)  # type: ignore[arg-type]
        except (RedisError, OSError) as exc:
            logger.debug("cannot write %s: %s", METRICS_KEY, exc)


async def run_feed(source: TickSource, options: FeedOptions, stop: asyncio.Event | None = None) -> FeedStats:
    """Run a feed until `stop` is set or `options.duration` passes."""
    return await Feed(source, options).run(stop)


def _raise_if_cancelling() -> None:
    """redis-py (8.1 here) swallows a cancellation that lands in the middle of a command: the
    command returns normally and a `while` loop around it would run on forever. Honour a
    pending cancel request explicitly after each Redis call."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text if len(text) < 200 else text[:200] + "..."


def _short(symbols: list[str], limit: int = 10) -> str:
    if not symbols:
        return "none"
    shown = ",".join(symbols[:limit])
    return shown if len(symbols) <= limit else f"{shown},... ({len(symbols)})"
