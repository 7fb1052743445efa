"""The feed process against a stand-in listener: a tiny `websockets` server on an ephemeral port.

No database: subscriptions and metrics live in the test's own Redis database (settings.REDIS_URL).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from apps.core.redis import get_redis
from apps.marketdata.feed import (
    METRICS_KEY,
    Feed,
    FeedOptions,
    SimulatorSource,
    build_simulator_source,
    listener_url,
    redact_url,
)
from brokers.paper.simulator import MarketSimulator

TOKEN = "feed-test-token"


class FakeListener:
    """Records every frame with the connection it came on; can drop connections on demand."""

    def __init__(self, *, token: str = TOKEN, drop_after_frames: int | None = None) -> None:
        self.token = token
        self.drop_after_frames = drop_after_frames
        self.paths: list[str] = []
        self.frames: list[tuple[int, dict[str, Any]]] = []
        self.rejected = 0
        self.server: Server | None = None
        self.port = 0

    def check_token(self, connection: ServerConnection, request: Request) -> Response | None:
        query = parse_qs(urlsplit(request.path).query)
        if query.get("token") != [self.token]:
            self.rejected += 1
            return connection.respond(403, "bad token\n")
        return None

    async def handler(self, ws: ServerConnection) -> None:
        self.paths.append(ws.request.path if ws.request is not None else "")
        number = len(self.paths)
        received = 0
        async for message in ws:
            self.frames.append((number, json.loads(message)))
            received += 1
            if number == 1 and self.drop_after_frames is not None and received >= self.drop_after_frames:
                await ws.close(1011, "listener restarting")
                return

    async def start(self, port: int = 0) -> int:
        self.server = await serve(self.handler, "127.0.0.1", port, process_request=self.check_token)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def symbols(self, connection: int | None = None) -> set[str]:
        return {s for n, frame in self.frames if connection in (None, n) for s, _ in frame["ticks"]}

    def tick_count(self) -> int:
        return sum(len(frame["ticks"]) for _, frame in self.frames)


def make_options(port: int, **overrides: Any) -> FeedOptions:
    values: dict[str, Any] = {
        "url": listener_url("127.0.0.1", port, TOKEN),
        "redis_url": settings.REDIS_URL,
        "subscription_interval": 0.1,
        "metrics_interval": 0.2,
        "backoff_initial": 0.1,
        "backoff_max": 0.4,
        "open_timeout": 2.0,
    }
    values.update(overrides)
    return FeedOptions(**values)


def make_source(rate: float = 500, **kwargs: Any) -> SimulatorSource:
    return SimulatorSource(MarketSimulator(rate=rate, seed=1, **kwargs))


async def run_with(feed: Feed, during: Callable[[], Awaitable[None]]) -> None:
    """Run the feed while `during` runs, then stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(feed.run(stop))
    try:
        await during()
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def subscribe(symbol: str, *strategy_ids: str) -> None:
    get_redis().sadd(f"symbol:{symbol}:strategies", *strategy_ids)


def unsubscribe(symbol: str) -> None:
    get_redis().delete(f"symbol:{symbol}:strategies")


def test_feed_connects_with_token_and_sends_only_subscribed_symbols() -> None:
    subscribe("TCS", "1", "2")

    async def scenario() -> FakeListener:
        listener = FakeListener()
        port = await listener.start()
        feed = Feed(make_source(), make_options(port))

        async def during() -> None:
            await wait_for(lambda: listener.tick_count() >= 100)

        await run_with(feed, during)
        await listener.stop()
        return listener

    listener = asyncio.run(scenario())
    assert listener.paths[0] == f"/ticks?token={TOKEN}"
    assert listener.symbols() == {"TCS"}
    for _, frame in listener.frames:
        assert set(frame) == {"t", "ticks"}
        assert isinstance(frame["t"], float)
        for _, price in frame["ticks"]:
            assert isinstance(price, str)
            assert price.count(".") == 1 and len(price.split(".")[1]) == 2


def test_feed_follows_a_change_of_subscriptions() -> None:
    subscribe("TCS", "1")

    async def scenario() -> tuple[FakeListener, int]:
        listener = FakeListener()
        port = await listener.start()
        feed = Feed(make_source(), make_options(port))
        marker = 0

        async def during() -> None:
            nonlocal marker
            await wait_for(lambda: "TCS" in listener.symbols())
            subscribe("INFY", "7")
            unsubscribe("TCS")
            await wait_for(lambda: "INFY" in listener.symbols())
            # A frame generated before the change may still be in flight; after that, no TCS.
            await asyncio.sleep(0.1)
            marker = len(listener.frames)
            await asyncio.sleep(0.5)

        await run_with(feed, during)
        await listener.stop()
        return listener, marker

    listener, marker = asyncio.run(scenario())
    later = {s for _, frame in listener.frames[marker:] for s, _ in frame["ticks"]}
    assert later == {"INFY"}


def test_feed_with_no_subscriptions_sends_nothing_until_one_appears() -> None:
    async def scenario() -> FakeListener:
        listener = FakeListener()
        port = await listener.start()
        feed = Feed(make_source(), make_options(port))

        async def during() -> None:
            await wait_for(lambda: feed.stats.connected)
            await asyncio.sleep(0.5)
            assert listener.frames == []
            subscribe("SBIN", "3")
            await wait_for(lambda: listener.tick_count() > 0)

        await run_with(feed, during)
        await listener.stop()
        return listener

    assert asyncio.run(scenario()).symbols() == {"SBIN"}


def test_feed_reconnects_after_the_listener_drops_the_connection() -> None:
    subscribe("TCS", "1")

    async def scenario() -> tuple[FakeListener, Feed]:
        listener = FakeListener(drop_after_frames=3)
        port = await listener.start()
        feed = Feed(make_source(), make_options(port))

        async def during() -> None:
            await wait_for(lambda: listener.symbols(connection=2) == {"TCS"})

        await run_with(feed, during)
        await listener.stop()
        return listener, feed

    listener, feed = asyncio.run(scenario())
    assert len(listener.paths) >= 2
    assert all(path == f"/ticks?token={TOKEN}" for path in listener.paths)
    assert feed.stats.reconnects >= 1
    assert feed.stats.connections == len(listener.paths)


def test_feed_starts_before_the_listener_and_keeps_retrying() -> None:
    subscribe("TCS", "1")
    with socket.socket() as probe:  # a free port nobody listens on yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def scenario() -> tuple[FakeListener, Feed]:
        listener = FakeListener()
        feed = Feed(make_source(), make_options(port))

        async def during() -> None:
            await wait_for(lambda: feed.stats.connect_failures >= 2)
            await listener.start(port)
            await wait_for(lambda: listener.tick_count() > 0)

        await run_with(feed, during)
        await listener.stop()
        return listener, feed

    listener, feed = asyncio.run(scenario())
    assert feed.stats.connections == 1
    assert feed.stats.reconnects == 0
    # Ticks of the down time were coalesced to the last price per symbol, sent first.
    assert feed.stats.ticks_dropped > 0
    assert listener.frames[0][1]["ticks"][0][0] == "TCS"
    assert len(listener.frames[0][1]["ticks"]) == 1


def test_feed_refused_by_the_listener_keeps_retrying_without_sending() -> None:
    subscribe("TCS", "1")

    async def scenario() -> tuple[FakeListener, Feed]:
        listener = FakeListener(token="another-token")
        port = await listener.start()
        feed = Feed(make_source(), make_options(port))

        async def during() -> None:
            await wait_for(lambda: listener.rejected >= 3)

        await run_with(feed, during)
        await listener.stop()
        return listener, feed

    listener, feed = asyncio.run(scenario())
    assert listener.frames == []
    assert feed.stats.connections == 0
    assert feed.stats.connect_failures >= 3


def test_feed_updates_the_metrics_hash() -> None:
    subscribe("TCS", "1")
    subscribe("INFY", "2")

    async def scenario() -> tuple[FakeListener, dict[str, str]]:
        listener = FakeListener()
        port = await listener.start()
        feed = Feed(make_source(rate=1000), make_options(port))
        seen: dict[str, str] = {}

        async def during() -> None:
            nonlocal seen
            r = get_redis()
            await wait_for(
                lambda: int(r.hget(METRICS_KEY, "ticks_sent") or 0) > 0 and r.hget(METRICS_KEY, "connected") == "1"
            )
            await asyncio.sleep(1.0)
            seen = r.hgetall(METRICS_KEY)

        await run_with(feed, during)
        await listener.stop()
        return listener, seen

    listener, seen = asyncio.run(scenario())
    assert seen["connected"] == "1"
    assert seen["subscribed_symbols"] == "2"
    assert seen["reconnects"] == "0"
    assert seen["source"] == "simulator"
    assert 0 < int(seen["ticks_sent"]) <= listener.tick_count()
    assert 0 < int(seen["batches_sent"]) <= len(listener.frames)
    assert float(seen["last_batch_at"]) > 0
    assert 500 <= float(seen["ticks_per_second"]) <= 1500
    final = get_redis().hgetall(METRICS_KEY)
    assert final["connected"] == "0"  # written on a clean stop
    assert int(final["ticks_sent"]) == listener.tick_count()


def test_large_batches_are_split_into_frames() -> None:
    async def scenario() -> FakeListener:
        listener = FakeListener()
        port = await listener.start()
        feed = Feed(make_source(rate=20_000), make_options(port, all_symbols=True, max_ticks_per_frame=100))

        async def during() -> None:
            await wait_for(lambda: listener.tick_count() >= 5000)

        await run_with(feed, during)
        await listener.stop()
        return listener

    listener = asyncio.run(scenario())
    assert max(len(frame["ticks"]) for _, frame in listener.frames) == 100
    assert len(listener.symbols()) == 50  # --all-symbols: the whole NIFTY 50


def test_feed_stops_by_itself_after_its_duration() -> None:
    async def scenario() -> Feed:
        listener = FakeListener()
        port = await listener.start()
        feed = Feed(make_source(), make_options(port, duration=0.5, all_symbols=True))
        await asyncio.wait_for(feed.run(), timeout=5)
        await listener.stop()
        return feed

    feed = asyncio.run(scenario())
    assert feed.stats.ticks_sent > 0
    assert feed.stats.connected is False


def test_redacted_url_hides_the_token() -> None:
    url = listener_url("127.0.0.1", 8001, "s3cret/+=")
    assert "s3cret" not in redact_url(url)
    assert url.endswith("token=s3cret%2F%2B%3D")


def test_build_simulator_source_with_extra_symbols_and_replay_turns_the_walk_off(tmp_path: Any) -> None:
    csv = tmp_path / "ticks.csv"
    csv.write_text("1,TCS,3500\n2,TCS,3490\n")
    source = build_simulator_source(rate=1000, seed=1, symbols_extra=500, replay=csv, walk=False)
    assert len(source.simulator.symbols) == 550
    assert source.next_batch(1_764_560_000.0) == [("TCS", "3500.00")]
    assert source.next_batch(1_764_560_000.5) == []


@pytest.fixture
def threaded_listener() -> Iterator[FakeListener]:
    """The stand-in listener on its own thread and loop, for the command's own asyncio.run."""
    listener = FakeListener()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve_forever() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(listener.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve_forever, daemon=True)
    thread.start()
    assert ready.wait(5)
    yield listener
    asyncio.run_coroutine_threadsafe(listener.stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def test_run_feed_command_streams_for_its_duration(settings: Any, threaded_listener: FakeListener) -> None:
    settings.LISTENER_HOST = "127.0.0.1"
    settings.LISTENER_PORT = threaded_listener.port
    settings.FEED_TOKEN = TOKEN
    settings.MARKET_FEED = "simulator"
    call_command("run_feed", "--duration", "1", "--rate", "400", "--seed", "3", "--all-symbols", "--batch-ms", "50")
    assert threaded_listener.paths == [f"/ticks?token={TOKEN}"]
    assert 200 <= threaded_listener.tick_count() <= 500
    assert get_redis().hget(METRICS_KEY, "connected") == "0"


def test_run_feed_command_refuses_an_unbuilt_broker_feed(settings: Any) -> None:
    from django.core.management.base import CommandError

    settings.MARKET_FEED = "zerodha"
    with pytest.raises(CommandError, match="not available yet"):
        call_command("run_feed", "--duration", "0.1")


def test_run_feed_command_reports_a_bad_scenario_line(settings: Any, tmp_path: Any) -> None:
    from django.core.management.base import CommandError

    settings.MARKET_FEED = "simulator"
    scenario = tmp_path / "bad.txt"
    scenario.write_text("+1s TCS 3490\n+2s TCS cheap\n")
    with pytest.raises(CommandError, match=r"bad.txt, line 2: bad price"):
        call_command("run_feed", "--scenario", str(scenario), "--duration", "0.1")
