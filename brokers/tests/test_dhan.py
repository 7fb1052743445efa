from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from brokers.base import BrokerError, ErrorKind, OrderStatus, OrderType, Side
from brokers.dhan import DhanBroker
from brokers.dhan.client import dhan_error, parse_scrip_master
from brokers.simulators.dhan import CLIENT_ID, DhanSimulator
from brokers.tests.contract import AdapterContract

ACCESS_TOKEN = "dhan-token-do-not-show"
TIMEOUT = 1.0


@pytest.fixture
def sim() -> Iterator[DhanSimulator]:
    with DhanSimulator(access_token=ACCESS_TOKEN) as simulator:
        yield simulator


def make_adapter(sim: DhanSimulator, **options: Any) -> DhanBroker:
    values = {"api_root": sim.api_root, "scrip_master_url": sim.scrip_master_url, "timeout": TIMEOUT}
    values.update(options)
    return DhanBroker(
        account_ref="d1", credentials={"client_id": CLIENT_ID, "access_token": ACCESS_TOKEN}, options=values
    )


@pytest.fixture
def adapter(sim: DhanSimulator) -> DhanBroker:
    return make_adapter(sim)


@pytest.fixture
def set_fault(sim: DhanSimulator):  # noqa: ANN201 - the contract's callable fixture
    return sim.set_fault


class TestDhanContract(AdapterContract):
    pass


def test_correlation_id_carries_the_tag_and_finds_the_order(adapter: DhanBroker, sim: DhanSimulator) -> None:
    request = AdapterContract().order(symbol="BAJAJ-AUTO")
    placed = adapter.submit(request)
    assert [o.tag for o in sim.orders_with_tag(request.tag)] == [request.tag]
    assert sim.request_count("GET", rf"/v2/orders/external/{request.tag}") == 0
    assert [o.broker_order_id for o in adapter.order_by_tag(request.tag)] == [placed.broker_order_id]
    assert sim.request_count("GET", rf"/v2/orders/external/{request.tag}") == 1
    assert placed.placed_at is not None and placed.placed_at.tzinfo is not None


def test_validate_credentials_reads_the_profile(adapter: DhanBroker, sim: DhanSimulator) -> None:
    check = adapter.validate_credentials()
    assert check.account_name == CLIENT_ID and check.token_valid_until is not None
    sim.set_fault("token")
    with pytest.raises(BrokerError) as caught:
        adapter.validate_credentials()
    assert caught.value.kind is ErrorKind.TOKEN
    other = DhanBroker(
        account_ref="d1",
        credentials={"client_id": "999", "access_token": ACCESS_TOKEN},
        options={"api_root": sim.api_root, "timeout": TIMEOUT},
    )
    sim.set_fault(None)
    with pytest.raises(BrokerError) as caught:
        other.validate_credentials()
    assert caught.value.kind is ErrorKind.CREDENTIALS


def test_credential_fields_mark_the_token_secret() -> None:
    fields = {f.name: f for f in DhanBroker.credential_fields}
    assert not fields["client_id"].secret and fields["access_token"].secret


def test_timeout_after_accept_then_exactly_one_order_by_tag(adapter: DhanBroker, sim: DhanSimulator) -> None:
    sim.set_fault("lose_reply")
    request = AdapterContract().order()
    started = time.monotonic()
    with pytest.raises(BrokerError) as caught:
        adapter.submit(request)
    assert caught.value.kind is ErrorKind.UNKNOWN
    assert time.monotonic() - started < TIMEOUT + 1.5
    sim.set_fault(None)
    assert [o.status for o in adapter.order_by_tag(request.tag)] == [OrderStatus.FILLED]


def test_market_protection_sends_a_limit_order_inside_the_band(sim: DhanSimulator) -> None:
    adapter = make_adapter(sim, market_protection_pct="2")
    sim.set_price("INFY", "1000.00")
    buy = adapter.submit(AdapterContract().order())
    placed = sim.book.get(buy.broker_order_id)
    assert placed is not None and (placed.order_type, placed.price) == ("LIMIT", Decimal("1020.00"))
    assert buy.status is OrderStatus.FILLED and buy.average_price == Decimal("1000.00")
    sell = adapter.submit(AdapterContract().order(side=Side.SELL))
    placed = sim.book.get(sell.broker_order_id)
    assert placed is not None and placed.price == Decimal("980.00")


def test_limit_order_price_and_stop_types_are_sent(adapter: DhanBroker, sim: DhanSimulator) -> None:
    sim.set_price("ITC", "400.00")
    limit = adapter.submit(AdapterContract().order(symbol="ITC", order_type=OrderType.LIMIT, price=Decimal("390.05")))
    assert limit.status is OrderStatus.OPEN
    stop = adapter.submit(
        AdapterContract().order(symbol="ITC", side=Side.SELL, order_type=OrderType.SL_M, trigger_price=Decimal("380"))
    )
    placed = sim.book.get(stop.broker_order_id)
    assert placed is not None and (placed.order_type, placed.trigger_price) == ("SL-M", Decimal("380"))


def test_pinned_security_ids_skip_the_master_download(sim: DhanSimulator) -> None:
    adapter = make_adapter(sim, security_ids={"NSE:INFY": sim.security_id("INFY")}, scrip_master_url=None)
    assert adapter.quote("INFY", "NSE").last_price == Decimal("1548.70")
    with pytest.raises(BrokerError) as caught:
        adapter.submit(AdapterContract().order(symbol="TCS"))
    assert caught.value.kind is ErrorKind.INPUT
    assert sim.request_count("GET", r"/api-data/.*") == 0


def test_scrip_master_prefers_the_eq_series(sim: DhanSimulator, adapter: DhanBroker) -> None:
    ids = adapter.security_ids()
    assert ids[("NSE", "INFY")] == sim.security_id("INFY")
    assert ids[("BSE", "M&M")] == sim.security_id("M&M", "BSE")
    text = "SEM_EXM_EXCH_ID,SEM_SEGMENT,SEM_SMST_SECURITY_ID,SEM_INSTRUMENT_NAME,SEM_TRADING_SYMBOL,SEM_SERIES\n"
    text += "NSE,E,1,EQUITY,ABC,EQ\nNSE,E,2,EQUITY,ABC,BE\nNSE,D,3,FUTSTK,ABC-FUT,NA\n"
    assert parse_scrip_master(text) == {("NSE", "ABC"): "1"}


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (401, "DH-901", ErrorKind.TOKEN),
        (403, "DH-902", ErrorKind.CREDENTIALS),
        (429, "DH-904", ErrorKind.RATE_LIMIT),
        (400, "DH-905", ErrorKind.INPUT),
        (400, "DH-906", ErrorKind.REJECTED),
        (500, "DH-908", ErrorKind.UNKNOWN),
        (502, None, ErrorKind.UNKNOWN),
        (429, None, ErrorKind.RATE_LIMIT),
    ],
)
def test_dhan_error_codes_map_to_kinds(status: int, code: str | None, kind: ErrorKind) -> None:
    body = {"errorType": "x", "errorCode": code, "errorMessage": "m"} if code else "<html>bad gateway</html>"
    assert dhan_error(status, body).kind is kind
