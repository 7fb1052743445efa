from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brokers.base import BrokerError, ErrorKind, OrderRequest, OrderStatus, OrderType, Side
from brokers.paper import (
    PaperBroker,
    clear_faults,
    paper_orders,
    paper_reset,
    paper_tag_counts,
    parse_faults,
    set_faults,
)
from brokers.paper.store import get_connection
from brokers.tests import _workers
from brokers.tests.conftest import new_account_ref
from brokers.tests.contract import AdapterContract, new_tag

CREDENTIALS = {"api_key": "paper-key-do-not-show", "api_secret": "paper-secret-do-not-show"}

_FAULTS: dict[str, dict[str, Any]] = {
    "token": {"token_expired": True},
    "reject": {"reject_rate": 1},
    "timeout": {"timeout_rate": 1, "timeout_ms": 1},
    "lose_reply": {"lose_reply_rate": 1},
    "rate_limit": {"rate_limit_rate": 1},
}


def make_adapter(redis_url: str, account_ref: str) -> PaperBroker:
    return PaperBroker(account_ref=account_ref, credentials=CREDENTIALS, options={"redis_url": redis_url})


@pytest.fixture
def adapter(redis_url: str, account_ref: str) -> PaperBroker:
    return make_adapter(redis_url, account_ref)


@pytest.fixture
def set_fault(redis_url: str, account_ref: str) -> Callable[[str | None], None]:
    def set_(kind: str | None) -> None:
        clear_faults(redis_url, account_ref)
        if kind is not None:
            set_faults(redis_url, account_ref, **_FAULTS[kind])

    return set_


class TestPaperContract(AdapterContract):
    pass


def buy(symbol: str = "INFY", quantity: int = 1, tag: str | None = None, **fields: Any) -> OrderRequest:
    return OrderRequest(
        tag=new_tag() if tag is None else tag,
        symbol=symbol,
        exchange=fields.pop("exchange", "NSE"),
        side=Side.BUY,
        quantity=quantity,
        **fields,
    )


def sell(symbol: str = "INFY", quantity: int = 1, tag: str | None = None, **fields: Any) -> OrderRequest:
    return OrderRequest(
        tag=new_tag() if tag is None else tag,
        symbol=symbol,
        exchange=fields.pop("exchange", "NSE"),
        side=Side.SELL,
        quantity=quantity,
        **fields,
    )


def position(adapter: PaperBroker, symbol: str, exchange: str = "NSE"):
    return next(p for p in adapter.positions() if p.symbol == symbol and p.exchange == exchange)


# -- faults ---------------------------------------------------------------------------------


def test_rejection_is_recorded_and_counted(adapter: PaperBroker, redis_url: str, account_ref: str) -> None:
    set_faults(redis_url, account_ref, reject_rate=1)
    request = buy(quantity=3)
    with pytest.raises(BrokerError) as caught:
        adapter.submit(request)
    assert caught.value.kind is ErrorKind.REJECTED
    assert caught.value.raw["broker_order_id"].startswith("P")
    [stored] = paper_orders(redis_url, account_ref)
    assert stored["status"] == "REJECTED" and stored["tag"] == request.tag and stored["filled_quantity"] == 0
    assert paper_tag_counts(redis_url, account_ref) == {request.tag: 1}
    [found] = adapter.order_by_tag(request.tag)
    assert found.status is OrderStatus.REJECTED and found.average_price is None
    assert adapter.positions() == []


def test_timeout_sleeps_and_records_nothing(adapter: PaperBroker, redis_url: str, account_ref: str) -> None:
    set_faults(redis_url, account_ref, timeout_rate=1, timeout_ms=30)
    request = buy()
    started = time.monotonic()
    with pytest.raises(BrokerError) as caught:
        adapter.submit(request)
    assert time.monotonic() - started >= 0.03
    assert caught.value.kind is ErrorKind.UNKNOWN
    assert adapter.order_by_tag(request.tag) == []
    assert paper_orders(redis_url, account_ref) == []
    assert paper_tag_counts(redis_url, account_ref) == {}


def test_lost_reply_records_the_filled_order(adapter: PaperBroker, redis_url: str, account_ref: str) -> None:
    set_faults(redis_url, account_ref, lose_reply_rate=1)
    request = buy(quantity=4)
    with pytest.raises(BrokerError) as caught:
        adapter.submit(request)
    assert caught.value.kind is ErrorKind.UNKNOWN
    [found] = adapter.order_by_tag(request.tag)
    assert found.status is OrderStatus.FILLED and found.filled_quantity == 4
    assert found.broker_order_id == caught.value.raw["broker_order_id"]
    assert position(adapter, "INFY").quantity == 4


def test_expired_token_fails_every_call_and_records_nothing(
    adapter: PaperBroker, redis_url: str, account_ref: str
) -> None:
    set_faults(redis_url, account_ref, token_expired=True)
    calls: list[Callable[[], object]] = [
        lambda: adapter.submit(buy()),
        lambda: adapter.order_by_tag("x"),
        lambda: adapter.positions(),
        lambda: adapter.quote("INFY", "NSE"),
        lambda: adapter.cancel("P0000000001"),
        lambda: adapter.validate_credentials(),
    ]
    for call in calls:
        with pytest.raises(BrokerError) as caught:
            call()
        assert caught.value.kind is ErrorKind.TOKEN
    assert paper_orders(redis_url, account_ref) == []


def test_faults_are_read_on_every_call(adapter: PaperBroker, redis_url: str, account_ref: str) -> None:
    set_faults(redis_url, account_ref, reject_rate=1)
    with pytest.raises(BrokerError):
        adapter.submit(buy())
    clear_faults(redis_url, account_ref)
    assert adapter.submit(buy()).status is OrderStatus.FILLED


def test_clear_faults_can_remove_single_fields(redis_url: str, account_ref: str, redis_client: redis.Redis) -> None:
    set_faults(redis_url, account_ref, reject_rate=0.5, latency_ms=3)
    clear_faults(redis_url, account_ref, ["latency_ms"])
    assert redis_client.hgetall(f"paper:{account_ref}:faults") == {"reject_rate": "0.5"}


def test_latency_delays_the_order(adapter: PaperBroker, redis_url: str, account_ref: str) -> None:
    set_faults(redis_url, account_ref, latency_ms=40)
    started = time.time()
    result = adapter.submit(buy())
    assert time.time() - started >= 0.04
    assert result.placed_at is not None and result.placed_at.timestamp() >= started + 0.04


def test_partial_rates_follow_random(
    adapter: PaperBroker, redis_url: str, account_ref: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_faults(redis_url, account_ref, reject_rate=0.5)
    draws = iter([0.7, 0.2])
    monkeypatch.setattr("brokers.paper.broker.random.random", lambda: next(draws))
    assert adapter.submit(buy()).status is OrderStatus.FILLED
    with pytest.raises(BrokerError) as caught:
        adapter.submit(buy())
    assert caught.value.kind is ErrorKind.REJECTED


def test_account_faults_override_global_ones() -> None:
    merged = parse_faults({"reject_rate": "1", "latency_ms": "5"}, {"reject_rate": "0", "token_expired": "1"})
    assert merged.reject_rate == 0 and merged.latency_ms == 5 and merged.token_expired


def test_bad_fault_values_are_ignored() -> None:
    faults = parse_faults({"reject_rate": "lots", "latency_ms": "-3", "timeout_rate": "7", "bogus": "1"}, {})
    assert faults.reject_rate == 0 and faults.latency_ms == 0 and faults.timeout_rate == 1


@pytest.mark.parametrize(
    "faults", [{"nonsense_rate": 1}, {"reject_rate": 1.5}, {"latency_ms": -1}, {"reject_rate": "abc"}]
)
def test_set_faults_refuses_bad_settings(redis_url: str, account_ref: str, faults: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        set_faults(redis_url, account_ref, **faults)


# -- prices, fills and positions -------------------------------------------------------------


def test_fill_price_follows_simulator_price(adapter: PaperBroker, set_price: Callable[[str, str], None]) -> None:
    assert adapter.submit(buy("TCS")).average_price == Decimal("3151.40")  # reference price
    set_price("TCS", "3200.15")
    assert adapter.submit(buy("TCS")).average_price == Decimal("3200.15")
    assert adapter.quote("TCS", "NSE").last_price == Decimal("3200.15")
    set_price("TCS", "3190.5")
    assert adapter.submit(sell("TCS")).average_price == Decimal("3190.50")


def test_garbage_simulator_price_falls_back_to_reference(
    adapter: PaperBroker, set_price: Callable[[str, str], None]
) -> None:
    set_price("BEL", "not-a-price")
    assert adapter.submit(buy("BEL")).average_price == Decimal("411.25")


def test_realised_pnl_of_a_round_trip(adapter: PaperBroker, set_price: Callable[[str, str], None]) -> None:
    set_price("SBIN", "100")
    adapter.submit(buy("SBIN", 10))
    set_price("SBIN", "110")
    adapter.submit(sell("SBIN", 10))
    sbin = position(adapter, "SBIN")
    assert sbin.quantity == 0
    assert sbin.realised_pnl == Decimal("100.00")
    assert sbin.last_price == Decimal("110.00")


def test_partial_close_and_short_cover(adapter: PaperBroker, set_price: Callable[[str, str], None]) -> None:
    set_price("SBIN", "100")
    adapter.submit(buy("SBIN", 10))
    set_price("SBIN", "110")
    adapter.submit(sell("SBIN", 4))
    sbin = position(adapter, "SBIN")
    assert (sbin.quantity, sbin.average_price, sbin.realised_pnl) == (6, Decimal("100.00"), Decimal("40.00"))
    adapter.submit(sell("SBIN", 11))
    set_price("SBIN", "90")
    adapter.submit(buy("SBIN", 5, exchange="BSE"))  # BSE is a separate position
    sbin = position(adapter, "SBIN")
    assert (sbin.quantity, sbin.average_price) == (-5, Decimal("110.00"))
    assert position(adapter, "SBIN", "BSE").quantity == 5


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    trades=st.lists(
        st.tuples(st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 40), st.integers(1000, 3000)),
        min_size=1,
        max_size=6,
    )
)
def test_flat_book_realises_exactly_its_cash_flow(
    redis_url: str, set_price: Callable[[str, Decimal], None], trades: list[tuple[Side, int, int]]
) -> None:
    account_ref = new_account_ref()
    adapter = make_adapter(redis_url, account_ref)
    tick = Decimal("0.05")
    try:
        net, cash = 0, Decimal(0)
        for side, quantity, ticks in trades:
            set_price("ITC", ticks * tick)
            adapter.submit(OrderRequest(tag=new_tag(), symbol="ITC", exchange="NSE", side=side, quantity=quantity))
            net += quantity if side is Side.BUY else -quantity
            cash += (quantity if side is Side.SELL else -quantity) * ticks * tick
        assert position(adapter, "ITC").quantity == net
        if net:
            set_price("ITC", Decimal("150.05"))
            adapter.submit(
                OrderRequest(
                    tag=new_tag(),
                    symbol="ITC",
                    exchange="NSE",
                    side=Side.SELL if net > 0 else Side.BUY,
                    quantity=abs(net),
                )
            )
            cash += net * Decimal("150.05")
        itc = position(adapter, "ITC")
        assert itc.quantity == 0
        assert itc.realised_pnl == cash.quantize(Decimal("0.01"))
    finally:
        paper_reset(redis_url, account_ref)


# -- order types, validation, cancel ----------------------------------------------------------


def test_marketable_limit_fills_at_last_price(adapter: PaperBroker, set_price: Callable[[str, str], None]) -> None:
    set_price("HDFCBANK", "1000.00")
    result = adapter.submit(buy("HDFCBANK", order_type=OrderType.LIMIT, price=Decimal("1010.00")))
    assert (result.status, result.average_price) == (OrderStatus.FILLED, Decimal("1000.00"))
    result = adapter.submit(sell("HDFCBANK", order_type=OrderType.LIMIT, price=Decimal("995.05")))
    assert (result.status, result.average_price) == (OrderStatus.FILLED, Decimal("1000.00"))
    result = adapter.submit(sell("HDFCBANK", order_type=OrderType.LIMIT, price=Decimal("1000.05")))
    assert result.status is OrderStatus.OPEN and result.average_price is None
    assert position(adapter, "HDFCBANK").quantity == 0


def test_stop_orders_wait_for_their_trigger(adapter: PaperBroker, set_price: Callable[[str, str], None]) -> None:
    set_price("WIPRO", "250.00")
    waiting = adapter.submit(sell("WIPRO", order_type=OrderType.SL_M, trigger_price=Decimal("240.00")))
    assert waiting.status is OrderStatus.OPEN
    triggered = adapter.submit(sell("WIPRO", order_type=OrderType.SL_M, trigger_price=Decimal("255.00")))
    assert triggered.status is OrderStatus.FILLED
    stop_limit = adapter.submit(
        buy("WIPRO", order_type=OrderType.SL, trigger_price=Decimal("249.00"), price=Decimal("249.50"))
    )
    assert stop_limit.status is OrderStatus.OPEN  # triggered, but the limit is below the market


@pytest.mark.parametrize(
    "request_",
    [
        buy(order_type=OrderType.LIMIT),
        buy(order_type=OrderType.LIMIT, price=Decimal("1500.03")),
        buy(order_type=OrderType.LIMIT, price=Decimal("-5")),
        buy(order_type=OrderType.SL, price=Decimal("1500")),
        buy(order_type=OrderType.SL_M),
        buy(exchange="MCX"),
        buy(tag=""),
        buy("tcs"),
    ],
    ids=[
        "limit-no-price",
        "off-tick",
        "negative",
        "sl-no-trigger",
        "slm-no-trigger",
        "exchange",
        "no-tag",
        "lowercase",
    ],
)
def test_invalid_orders_are_input_errors(
    adapter: PaperBroker, redis_url: str, account_ref: str, request_: OrderRequest
) -> None:
    with pytest.raises(BrokerError) as caught:
        adapter.submit(request_)
    assert caught.value.kind is ErrorKind.INPUT
    assert paper_orders(redis_url, account_ref) == []


def test_cancel_rules(adapter: PaperBroker, new_account: Callable[[], str], redis_url: str) -> None:
    open_order = adapter.submit(buy(order_type=OrderType.LIMIT, price=Decimal("1.00")))
    other = make_adapter(redis_url, new_account())
    with pytest.raises(BrokerError) as caught:
        other.cancel(open_order.broker_order_id)  # another account's order is not found
    assert caught.value.kind is ErrorKind.INPUT
    with pytest.raises(BrokerError) as caught:
        adapter.cancel("P9999999999")
    assert caught.value.kind is ErrorKind.INPUT
    cancelled = adapter.cancel(open_order.broker_order_id)
    assert cancelled.status is OrderStatus.CANCELLED and cancelled.raw["updated_at"]
    assert cancelled.placed_at == open_order.placed_at
    with pytest.raises(BrokerError) as caught:
        adapter.cancel(open_order.broker_order_id)
    assert caught.value.kind is ErrorKind.INPUT


# -- recording, concurrency, introspection -----------------------------------------------------


def test_same_tag_twice_is_recorded_twice(adapter: PaperBroker, redis_url: str, account_ref: str) -> None:
    tag = new_tag()
    first = adapter.submit(buy(tag=tag))
    second = adapter.submit(buy(tag=tag))
    assert first.broker_order_id != second.broker_order_id
    assert [o.broker_order_id for o in adapter.order_by_tag(tag)] == [first.broker_order_id, second.broker_order_id]
    assert paper_tag_counts(redis_url, account_ref) == {tag: 2}
    assert paper_tag_counts(redis_url)[tag] == 2


def test_concurrent_threads_get_distinct_ids(redis_url: str, account_ref: str) -> None:
    tag = new_tag()
    barrier = threading.Barrier(8)

    def place(_: int) -> str:
        adapter = make_adapter(redis_url, account_ref)  # adapters are built per task, as in workers
        barrier.wait()
        return adapter.submit(buy(tag=tag, quantity=2)).broker_order_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(place, range(8)))
    assert len(set(ids)) == 8
    assert paper_tag_counts(redis_url, account_ref) == {tag: 8}
    assert position(make_adapter(redis_url, account_ref), "INFY").quantity == 16


def test_concurrent_processes_share_one_book(redis_url: str, account_ref: str) -> None:
    tag = new_tag()
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        batches = pool.starmap(_workers.place_orders, [(redis_url, account_ref, tag, 5)] * 4)
    ids = [order_id for batch in batches for order_id in batch]
    assert len(set(ids)) == 20
    assert paper_tag_counts(redis_url, account_ref) == {tag: 20}
    assert len(make_adapter(redis_url, account_ref).order_by_tag(tag)) == 20


def test_order_ids_are_unique_across_accounts(redis_url: str, new_account: Callable[[], str]) -> None:
    ids = {make_adapter(redis_url, new_account()).submit(buy()).broker_order_id for _ in range(3)}
    assert len(ids) == 3


def test_paper_orders_lists_oldest_first_with_utc_microsecond_times(
    adapter: PaperBroker, redis_url: str, account_ref: str
) -> None:
    before = dt.datetime.now(dt.UTC)
    placed = [adapter.submit(buy()).broker_order_id for _ in range(3)]
    after = dt.datetime.now(dt.UTC)
    orders = paper_orders(redis_url, account_ref)
    assert [o["broker_order_id"] for o in orders] == placed
    for order in orders:
        stamp = order["placed_at"]
        assert len(stamp.split(".")[1].split("+")[0]) == 6 and stamp.endswith("+00:00")
        assert before <= dt.datetime.fromisoformat(stamp) <= after
    assert int(get_connection(redis_url).client.get(f"paper:{account_ref}:counter")) == 3


def test_reset_of_one_account_leaves_others(
    redis_url: str, new_account: Callable[[], str], redis_client: redis.Redis
) -> None:
    keep, drop = new_account(), new_account()
    tag = new_tag()
    make_adapter(redis_url, keep).submit(buy(tag=tag))
    make_adapter(redis_url, drop).submit(buy(tag=tag))
    make_adapter(redis_url, drop).submit(buy(tag=tag))
    assert paper_tag_counts(redis_url)[tag] == 3
    paper_reset(redis_url, drop)
    assert paper_tag_counts(redis_url)[tag] == 1
    assert paper_orders(redis_url, drop) == []
    assert list(redis_client.scan_iter(match=f"paper:{drop}:*")) == []
    assert len(paper_orders(redis_url, keep)) == 1


def test_submit_without_faults_takes_two_round_trips(adapter: PaperBroker, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter.submit(buy())  # loads the Lua script once per process
    trips: list[str] = []
    client = adapter._conn.client
    real_command, real_execute = client.execute_command, redis.client.Pipeline.execute

    def command(*args: Any, **kwargs: Any) -> Any:
        trips.append(str(args[0]))
        return real_command(*args, **kwargs)

    def execute(self: redis.client.Pipeline, *args: Any, **kwargs: Any) -> Any:
        trips.append("pipeline")
        return real_execute(self, *args, **kwargs)

    monkeypatch.setattr(client, "execute_command", command)
    monkeypatch.setattr(redis.client.Pipeline, "execute", execute)
    adapter.submit(buy())
    assert trips == ["pipeline", "EVALSHA"]


# -- construction, credentials, store failures -------------------------------------------------


def test_validate_credentials(redis_url: str, account_ref: str) -> None:
    assert make_adapter(redis_url, account_ref).validate_credentials().account_name == f"Paper {account_ref}"
    assert PaperBroker(account_ref=account_ref, credentials={}, options={"redis_url": redis_url}).validate_credentials()
    for bad in ({"password": "x"}, {"api_key": "k" * 513}):
        with pytest.raises(BrokerError) as caught:
            PaperBroker(
                account_ref=account_ref, credentials=bad, options={"redis_url": redis_url}
            ).validate_credentials()
        assert caught.value.kind is ErrorKind.CREDENTIALS
        assert "k" * 513 not in caught.value.message


@pytest.mark.parametrize("ref", ["", "a:b", "with space"])
def test_account_ref_must_be_a_plain_name(ref: str) -> None:
    with pytest.raises(ValueError):
        PaperBroker(account_ref=ref, credentials={})


def test_unreachable_store_is_an_unknown_outcome(account_ref: str) -> None:
    adapter = PaperBroker(account_ref=account_ref, credentials={}, options={"redis_url": "redis://127.0.0.1:1/0"})
    with pytest.raises(BrokerError) as caught:
        adapter.submit(buy())
    assert caught.value.kind is ErrorKind.UNKNOWN and not caught.value.final
