from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from brokers.base import BrokerError, ErrorKind, OrderStatus, OrderType, Side
from brokers.fyers import FyersBroker
from brokers.fyers.broker import split_symbol
from brokers.fyers.client import fyers_error
from brokers.simulators.fyers import FyersSimulator
from brokers.tests.contract import AdapterContract

APP_ID, SECRET = "SIMAPP-100", "fyers-secret-do-not-show"
TIMEOUT = 1.0


@pytest.fixture
def sim() -> Iterator[FyersSimulator]:
    with FyersSimulator(app_id=APP_ID, secret_key=SECRET) as simulator:
        yield simulator


def make_adapter(sim: FyersSimulator, credentials: dict[str, str] | None = None, **options: Any) -> FyersBroker:
    values = {"app_id": APP_ID, "secret_key": SECRET, "access_token": sim.access_token}
    if credentials is not None:
        values = credentials
    return FyersBroker(
        account_ref="f1", credentials=values, options={"api_root": sim.base_url, "timeout": TIMEOUT, **options}
    )


@pytest.fixture
def adapter(sim: FyersSimulator) -> FyersBroker:
    return make_adapter(sim)


@pytest.fixture
def set_fault(sim: FyersSimulator):  # noqa: ANN201 - the contract's callable fixture
    return sim.set_fault


class TestFyersContract(AdapterContract):
    pass


def test_symbols_and_tag_use_fyers_shapes(adapter: FyersBroker, sim: FyersSimulator) -> None:
    request = AdapterContract().order(symbol="BAJAJ-AUTO")
    placed = adapter.submit(request)
    order = sim.book.get(placed.broker_order_id)
    assert order is not None and (order.symbol, order.tag) == ("BAJAJ-AUTO", request.tag)
    assert placed.raw["symbol"] == "NSE:BAJAJ-AUTO-EQ" and placed.raw["orderTag"] == request.tag
    assert [p.symbol for p in adapter.positions()] == ["BAJAJ-AUTO"]
    assert split_symbol("BSE:M&M-A") == ("BSE", "M&M")
    assert adapter.quote("M&M", "BSE").last_price == Decimal("3702.40")


def test_auth_code_login_and_profile(sim: FyersSimulator) -> None:
    adapter = make_adapter(sim, {"app_id": APP_ID, "secret_key": SECRET})
    assert adapter.login_url("https://app.example/cb", "s1").startswith(
        f"{sim.base_url}/api/v3/generate-authcode?client_id={APP_ID}&redirect_uri="
    )
    with pytest.raises(BrokerError) as caught:
        adapter.validate_credentials()
    assert caught.value.kind is ErrorKind.TOKEN
    token = adapter.complete_login(sim.issue_auth_code())
    check = adapter.validate_credentials()
    assert check.account_name == "FYERS SIMULATOR"
    assert check.token_valid_until is not None and adapter.credentials["access_token"] == token
    wrong = make_adapter(sim, {"app_id": APP_ID, "secret_key": "wrong"})
    with pytest.raises(BrokerError) as caught:
        wrong.complete_login(sim.issue_auth_code())
    assert caught.value.kind is ErrorKind.CREDENTIALS


def test_timeout_after_accept_then_exactly_one_order_by_tag(adapter: FyersBroker, sim: FyersSimulator) -> None:
    sim.set_fault("lose_reply")
    request = AdapterContract().order()
    started = time.monotonic()
    with pytest.raises(BrokerError) as caught:
        adapter.submit(request)
    assert caught.value.kind is ErrorKind.UNKNOWN
    assert time.monotonic() - started < TIMEOUT + 1.5
    sim.set_fault(None)
    assert [o.status for o in adapter.order_by_tag(request.tag)] == [OrderStatus.FILLED]


def test_market_protection_and_limit_prices(sim: FyersSimulator) -> None:
    adapter = make_adapter(sim, market_protection_pct=Decimal("0.5"))
    sim.set_price("WIPRO", "245.65")
    sell = adapter.submit(AdapterContract().order(symbol="WIPRO", side=Side.SELL))
    placed = sim.book.get(sell.broker_order_id)
    assert placed is not None and (placed.order_type, placed.price) == ("LIMIT", Decimal("244.45"))
    far = adapter.submit(AdapterContract().order(symbol="WIPRO", order_type=OrderType.LIMIT, price=Decimal("200")))
    assert far.status is OrderStatus.OPEN and adapter.cancel(far.broker_order_id).status is OrderStatus.CANCELLED


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (401, -8, ErrorKind.TOKEN),
        (200, -16, ErrorKind.TOKEN),
        (429, -429, ErrorKind.RATE_LIMIT),
        (400, -99, ErrorKind.REJECTED),
        (400, -50, ErrorKind.INPUT),
        (400, -352, ErrorKind.CREDENTIALS),
        (503, -503, ErrorKind.UNKNOWN),
    ],
)
def test_fyers_error_codes_map_to_kinds(status: int, code: int, kind: ErrorKind) -> None:
    assert fyers_error(status, {"s": "error", "code": code, "message": "m"}).kind is kind
