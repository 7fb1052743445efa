"""The KiteTicker feed source against the Kite simulator's ticker WebSocket: the real bridge
child process (`python -m brokers.zerodha.ticker`), subscriptions following the feed, session
changes, and a session Kite refuses."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from apps.marketdata.kite_feed import KiteFeedSession, KiteTickerSource, price_text
from apps.marketdata.tests.helpers_kite import kite_session
from brokers.simulators.kite import KiteSimulator
from brokers.zerodha.instruments import clear_cache


@pytest.fixture
def sim() -> Iterator[KiteSimulator]:
    clear_cache()
    with KiteSimulator(ticker=True, tick_interval=0.05) as simulator:
        yield simulator


@pytest.fixture
def source_for() -> Iterator[Callable[..., KiteTickerSource]]:
    made: list[KiteTickerSource] = []

    def make(provider: Callable[[], KiteFeedSession | None], **kwargs: Any) -> KiteTickerSource:
        made.append(KiteTickerSource(provider, refresh_seconds=kwargs.pop("refresh_seconds", 0.2), **kwargs))
        return made[-1]

    yield make
    for source in made:
        source.close()


def _collect(source: KiteTickerSource, until: Callable[[list[tuple[str, str]]], bool], timeout: float = 20) -> list:
    seen: list[tuple[str, str]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += source.next_batch(time.time())
        if until(seen):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"ticks not seen in {timeout} s; got {seen[-10:]}")


def test_prices_show_two_decimals_at_least() -> None:
    assert [price_text(Decimal(v)) for v in ("3500.0", "3390.05", "12", "0.1234")] == [
        "3500.00", "3390.05", "12.00", "0.1234"]


def test_ticks_of_the_wanted_symbols_arrive_and_follow_the_price(sim: KiteSimulator, source_for: Any) -> None:
    sim.set_price("TCS", "3500.00")
    source = source_for(lambda: kite_session(sim))
    source.set_symbols({"TCS", "NOSUCHCO"})
    _collect(source, lambda seen: ("TCS", "3500.00") in seen)
    assert source.symbol_count() == 1
    assert source.set_symbols({"TCS", "NOSUCHCO"}) == {"NOSUCHCO"}  # Kite lists no such symbol
    sim.set_price("TCS", "3390.05")
    seen = _collect(source, lambda seen: ("TCS", "3390.05") in seen)
    assert {symbol for symbol, _ in seen} == {"TCS"}


def test_a_new_subscription_switches_bridges_without_a_gap(sim: KiteSimulator, source_for: Any) -> None:
    source = source_for(lambda: kite_session(sim))
    source.set_symbols({"TCS"})
    _collect(source, lambda seen: any(s == "TCS" for s, _ in seen))
    first = source.bridge_pid
    source.set_symbols({"TCS", "INFY"})
    _collect(source, lambda seen: any(s == "INFY" for s, _ in seen))
    assert source.bridge_pid != first and source.spawned == 2
    source.set_symbols(set())  # nothing running: no bridge at all
    deadline = time.monotonic() + 10
    while source.bridge_pid is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert source.bridge_pid is None


def test_a_refused_session_waits_for_a_new_login_instead_of_reconnecting(sim: KiteSimulator, source_for: Any) -> None:
    current = {"token": "expired-token"}
    source = source_for(lambda: kite_session(sim, access_token=current["token"]))
    source.set_symbols({"ITC"})
    deadline = time.monotonic() + 20
    while source.spawned < 1 or source.bridge_pid is not None:  # started, refused (exit 3), gone
        assert time.monotonic() < deadline, "the refused bridge did not exit"
        time.sleep(0.05)
    time.sleep(1.0)
    assert source.spawned == 1 and source.next_batch(time.time()) == []  # not restarted with the dead token

    current["token"] = sim.access_token  # the trader logged in again
    _collect(source, lambda seen: any(s == "ITC" for s, _ in seen))
    assert source.spawned == 2


def test_no_session_no_bridge(source_for: Any) -> None:
    source = source_for(lambda: None)
    source.set_symbols({"TCS"})
    time.sleep(0.5)
    assert source.bridge_pid is None and source.spawned == 0
