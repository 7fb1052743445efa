from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from brokers.angelone import AngelOneBroker
from brokers.angelone.broker import forget_sessions
from brokers.angelone.client import angel_error, parse_scrip_master, totp
from brokers.base import BrokerError, ErrorKind, OrderStatus, OrderType, Side
from brokers.simulators.angelone import AngelOneSimulator
from brokers.tests.contract import AdapterContract

CREDENTIALS = {
    "api_key": "angel-key-do-not-show",
    "client_code": "S1234",
    "pin": "4321",
    "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DP",
}
TIMEOUT = 1.0


@pytest.fixture
def sim() -> Iterator[AngelOneSimulator]:
    with AngelOneSimulator(
        api_key=CREDENTIALS["api_key"],
        client_code=CREDENTIALS["client_code"],
        pin=CREDENTIALS["pin"],
        totp_secret=CREDENTIALS["totp_secret"],
    ) as simulator:
        yield simulator
    forget_sessions()


def make_adapter(sim: AngelOneSimulator, credentials: dict[str, str] | None = None, **options: Any) -> AngelOneBroker:
    return AngelOneBroker(
        account_ref="a1",
        credentials=credentials or CREDENTIALS,
        options={"api_root": sim.base_url, "scrip_master_url": sim.scrip_master_url, "timeout": TIMEOUT, **options},
    )


@pytest.fixture
def adapter(sim: AngelOneSimulator) -> AngelOneBroker:
    return make_adapter(sim)


@pytest.fixture
def set_fault(sim: AngelOneSimulator):  # noqa: ANN201 - the contract's callable fixture
    return sim.set_fault


class TestAngelOneContract(AdapterContract):
    pass


def test_totp_matches_rfc_6238() -> None:
    seed = base64.b32encode(b"12345678901234567890").decode()
    assert totp(seed, 59, digits=8) == "94287082"
    assert totp(seed, 1111111109, digits=8) == "07081804"
    assert totp(seed, 59) == "287082"


def test_login_once_per_process_and_validate(adapter: AngelOneBroker, sim: AngelOneSimulator) -> None:
    check = adapter.validate_credentials()
    assert check.account_name == "ANGEL SIMULATOR" and check.token_valid_until is not None
    make_adapter(sim).positions()
    make_adapter(sim).order_by_tag("x")
    assert sim.request_count("POST", r".*/loginByPassword") == 1  # validate logs in; the others reuse it


@pytest.mark.parametrize("field", ["pin", "totp_secret"])
def test_wrong_pin_or_totp_is_a_credentials_error(sim: AngelOneSimulator, field: str) -> None:
    bad = {**CREDENTIALS, field: "ABCDEFGHABCDEFGH" if field == "totp_secret" else "0000"}
    with pytest.raises(BrokerError) as caught:
        make_adapter(sim, bad).validate_credentials()
    assert caught.value.kind is ErrorKind.CREDENTIALS
    assert CREDENTIALS["pin"] not in caught.value.message


def test_expired_session_fails_once_then_logs_in_again(adapter: AngelOneBroker, sim: AngelOneSimulator) -> None:
    adapter.positions()
    sim.expire_sessions()
    with pytest.raises(BrokerError) as caught:
        adapter.positions()
    assert caught.value.kind is ErrorKind.TOKEN
    assert adapter.positions() == []  # the next call logs in afresh
    assert sim.request_count("POST", r".*/loginByPassword") == 2


def test_ordertag_and_symbol_token_reach_angel(adapter: AngelOneBroker, sim: AngelOneSimulator) -> None:
    request = AdapterContract().order(symbol="M&M", exchange="BSE")
    placed = adapter.submit(request)
    assert placed.raw["tradingsymbol"] == "M&M" and placed.raw["symboltoken"] == sim.symbol_token("M&M", "BSE")
    assert [o.tag for o in sim.orders_with_tag(request.tag)] == [request.tag]
    assert [p.symbol for p in adapter.positions()] == ["M&M"]


def test_timeout_after_accept_then_exactly_one_order_by_tag(adapter: AngelOneBroker, sim: AngelOneSimulator) -> None:
    adapter.validate_credentials()  # log in first so the timing below is the order's alone
    sim.set_fault("lose_reply")
    request = AdapterContract().order()
    started = time.monotonic()
    with pytest.raises(BrokerError) as caught:
        adapter.submit(request)
    assert caught.value.kind is ErrorKind.UNKNOWN
    assert time.monotonic() - started < TIMEOUT + 1.5
    sim.set_fault(None)
    assert [o.status for o in adapter.order_by_tag(request.tag)] == [OrderStatus.FILLED]


def test_stop_orders_and_market_protection(sim: AngelOneSimulator) -> None:
    adapter = make_adapter(sim, market_protection_pct=1)
    sim.set_price("NTPC", "331.20")
    buy = adapter.submit(AdapterContract().order(symbol="NTPC"))
    placed = sim.book.get(buy.broker_order_id)
    assert placed is not None and (placed.order_type, placed.price) == ("LIMIT", Decimal("334.50"))
    stop = adapter.submit(
        AdapterContract().order(
            symbol="NTPC", side=Side.SELL, order_type=OrderType.SL, price=Decimal("320"), trigger_price=Decimal("321")
        )
    )
    assert stop.status is OrderStatus.OPEN and stop.raw["status"] == "trigger pending"
    assert stop.raw["variety"] == "STOPLOSS"


def test_scrip_master_keeps_equities_only() -> None:
    rows = [
        {"token": "1594", "symbol": "INFY-EQ", "instrumenttype": "", "exch_seg": "NSE"},
        {"token": "500209", "symbol": "INFY", "instrumenttype": "", "exch_seg": "BSE"},
        {"token": "9", "symbol": "INFY-BE", "instrumenttype": "", "exch_seg": "NSE"},
        {"token": "7", "symbol": "INFY25NOVFUT", "instrumenttype": "FUTSTK", "exch_seg": "NFO"},
    ]
    assert parse_scrip_master(rows) == {("NSE", "INFY"): ("1594", "INFY-EQ"), ("BSE", "INFY"): ("500209", "INFY")}


@pytest.mark.parametrize(
    ("status", "body", "text", "kind"),
    [
        (200, {"status": False, "errorcode": "AG8002", "message": "Token Expired"}, "", ErrorKind.TOKEN),
        (401, {"success": False, "errorCode": "AG8001", "message": "Invalid Token"}, "", ErrorKind.TOKEN),
        (403, None, "Access denied because of exceeding access rate", ErrorKind.RATE_LIMIT),
        (429, None, "", ErrorKind.RATE_LIMIT),
        (200, {"status": False, "errorcode": "AB1004", "message": "Something went wrong"}, "", ErrorKind.UNKNOWN),
        (500, {"status": False, "errorcode": "AB2000", "message": "Internal error"}, "", ErrorKind.UNKNOWN),
        (200, {"status": False, "errorcode": "AB4008", "message": "ordertag too long"}, "", ErrorKind.INPUT),
    ],
)
def test_angel_errors_map_to_kinds(status: int, body: Any, text: str, kind: ErrorKind) -> None:
    assert angel_error(status, body, text).kind is kind
