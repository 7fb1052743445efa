"""The orders-per-second limiter on real Redis. A window of 200 ms (margin -800 ms) keeps the
tests fast; the rule is the same at one second."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import redis

from apps.broker_accounts import ratelimit
from apps.core.redis import get_redis
from brokers.base import BrokerError, ErrorKind, OrderRequest, Side

WINDOW = 0.2


@pytest.fixture(autouse=True)
def fast_window(settings: Any) -> None:
    settings.BROKER_ORDERS_PER_SECOND = 3
    settings.BROKER_RATE_MARGIN_MS = -800
    settings.BROKER_RATE_MAX_WAIT_SECONDS = 5.0


def _acquire_in_thread(*args: Any) -> tuple[threading.Thread, list[float]]:
    done: list[float] = []

    def run() -> None:
        ratelimit.acquire(*args)
        done.append(time.monotonic())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


def test_orders_up_to_the_limit_go_at_once_and_the_next_waits_a_window_after_the_first_reply() -> None:
    started = time.monotonic()
    tickets = [ratelimit.acquire(7, "NSE") for _ in range(3)]
    assert time.monotonic() - started < 0.1
    ratelimit.release(tickets[0])
    released = time.monotonic()
    ratelimit.acquire(7, "NSE")
    assert time.monotonic() - released >= WINDOW - 0.01


def test_an_order_waits_for_the_reply_of_the_one_a_window_before_it() -> None:
    tickets = [ratelimit.acquire(7, "NSE") for _ in range(3)]  # the first one's reply is late
    thread, done = _acquire_in_thread(7, "NSE")
    time.sleep(WINDOW * 3)
    assert done == []  # the first order may still reach the broker: a fourth now could make 4 in a window
    ratelimit.release(tickets[0])
    released = time.monotonic()
    thread.join(5)
    assert done and done[0] - released >= WINDOW - 0.01


def test_accounts_and_exchanges_are_limited_separately() -> None:
    for _ in range(3):
        ratelimit.acquire(7, "NSE")
    started = time.monotonic()
    ratelimit.acquire(8, "NSE")
    ratelimit.acquire(7, "BSE")
    assert time.monotonic() - started < 0.1


def test_many_waiting_orders_leave_in_order_at_the_limit() -> None:
    times: list[float] = []
    lock = threading.Lock()

    def order() -> None:
        ticket = ratelimit.acquire(9, "NSE")
        with lock:
            times.append(time.monotonic())
        ratelimit.release(ticket)

    threads = [threading.Thread(target=order) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    times.sort()
    assert len(times) == 12
    assert min(b - a for a, b in zip(times, times[3:], strict=False)) >= WINDOW - 0.01  # 3 per window
    assert times[-1] - times[0] < 4 * WINDOW + 0.5  # and no slower than needed


def test_a_wait_longer_than_the_maximum_is_refused_as_a_rate_limit_and_reserves_nothing(settings: Any) -> None:
    settings.BROKER_ORDERS_PER_SECOND = 1
    settings.BROKER_RATE_MAX_WAIT_SECONDS = 0.3
    ratelimit.acquire(5, "NSE")  # no reply yet
    thread, done = _acquire_in_thread(5, "NSE")  # planned 200 ms later: fine, waits
    time.sleep(0.05)
    with pytest.raises(BrokerError) as refused:
        ratelimit.acquire(5, "NSE")  # would be planned 400 ms later
    assert refused.value.kind is ErrorKind.RATE_LIMIT and not refused.value.final
    assert get_redis().get(ratelimit.key_prefix(5, "NSE") + ":seq") == "2"
    ratelimit.release(ratelimit.Ticket(ratelimit.key_prefix(5, "NSE"), 1))
    thread.join(5)
    assert done


def test_an_unreachable_redis_lets_the_order_go(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(source: str) -> Any:
        def call(**kwargs: Any) -> Any:
            raise redis.ConnectionError("down")

        return call

    monkeypatch.setattr(ratelimit, "_script", down)
    assert ratelimit.acquire(1, "NSE") is None
    ratelimit.release(ratelimit.Ticket("x", 1))  # no error either


class _Adapter:
    def __init__(self, name: str) -> None:
        self.name = name
        self.sent = 0

    def submit(self, order: OrderRequest) -> str:
        self.sent += 1
        return "ok"


def _order() -> OrderRequest:
    return OrderRequest(tag="AT1", symbol="TCS", exchange="NSE", side=Side.BUY, quantity=1)


def test_paper_orders_are_not_limited_unless_asked(settings: Any) -> None:
    paper = _Adapter("paper")
    ratelimit.submit(paper, _order(), account_id=3)  # type: ignore[arg-type]
    assert paper.sent == 1 and get_redis().keys("ratelimit:*") == []
    settings.BROKER_OPTIONS = {**settings.BROKER_OPTIONS, "paper": {"rate_limit": True}}
    ratelimit.submit(paper, _order(), account_id=3)  # type: ignore[arg-type]
    assert get_redis().get(ratelimit.key_prefix(3, "NSE") + ":1").startswith("e")  # released after the reply


def test_live_broker_orders_are_limited_and_released_even_when_the_send_fails() -> None:
    class Failing(_Adapter):
        def submit(self, order: OrderRequest) -> str:
            raise BrokerError("boom", kind=ErrorKind.UNKNOWN)

    with pytest.raises(BrokerError):
        ratelimit.submit(Failing("zerodha"), _order(), account_id=4)  # type: ignore[arg-type]
    assert get_redis().get(ratelimit.key_prefix(4, "NSE") + ":1").startswith("e")
