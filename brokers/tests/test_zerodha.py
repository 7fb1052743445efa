from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests
from kiteconnect import KiteConnect
from kiteconnect import exceptions as kex

from brokers.base import BrokerError, ErrorKind, OrderStatus, OrderType, Side
from brokers.common import IST
from brokers.simulators.kite import KiteSimulator
from brokers.tests.contract import AdapterContract, new_tag
from brokers.zerodha import ZerodhaBroker
from brokers.zerodha.broker import kite_error

API_KEY, API_SECRET, ACCESS_TOKEN = "zkey1", "zsecret-do-not-show", "ztoken-do-not-show"
TIMEOUT = 1.0


@pytest.fixture
def sim() -> Iterator[KiteSimulator]:
    with KiteSimulator(api_key=API_KEY, api_secret=API_SECRET, access_token=ACCESS_TOKEN) as simulator:
        yield simulator


def make_adapter(sim: KiteSimulator, **credentials: str) -> ZerodhaBroker:
    values = {"api_key": API_KEY, "api_secret": API_SECRET, "access_token": ACCESS_TOKEN}
    values.update(credentials)
    return ZerodhaBroker(account_ref="z1", credentials=values, options={"api_root": sim.base_url, "timeout": TIMEOUT})


@pytest.fixture
def adapter(sim: KiteSimulator) -> ZerodhaBroker:
    return make_adapter(sim)


@pytest.fixture
def set_fault(sim: KiteSimulator):  # noqa: ANN201 - the contract's callable fixture
    return sim.set_fault


class TestZerodhaContract(AdapterContract):
    pass


def test_login_exchanges_request_token_with_sha256_checksum(sim: KiteSimulator) -> None:
    adapter = make_adapter(sim, access_token="")
    assert adapter.login_url() == f"https://kite.zerodha.com/connect/login?v=3&api_key={API_KEY}"
    with pytest.raises(BrokerError) as caught:
        adapter.validate_credentials()
    assert caught.value.kind is ErrorKind.TOKEN  # no session yet

    request_token = sim.issue_request_token()
    session = adapter.complete_login(request_token)
    assert session.access_token and session.access_token not in repr(session)
    local_expiry = session.valid_until.astimezone(IST)
    assert (local_expiry.hour, local_expiry.minute) == (6, 0)
    assert dt.timedelta(0) < session.valid_until - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=24)
    assert adapter.credentials["access_token"] == session.access_token
    assert adapter.validate_credentials().account_name == "Kite Simulator"

    # The request token is single use, and the checksum proves the api_secret.
    with pytest.raises(BrokerError) as caught:
        adapter.complete_login(request_token)
    assert caught.value.kind is ErrorKind.TOKEN
    wrong_secret = make_adapter(sim, api_secret="not-the-secret", access_token="")
    with pytest.raises(BrokerError) as caught:
        wrong_secret.complete_login(sim.issue_request_token())
    assert caught.value.kind is ErrorKind.CREDENTIALS


def test_simulator_checks_the_documented_checksum(sim: KiteSimulator) -> None:
    request_token = sim.issue_request_token()
    url = sim.base_url + "/session/token"
    bad = requests.post(url, data={"api_key": API_KEY, "request_token": request_token, "checksum": "0" * 64}, timeout=5)
    assert bad.status_code == 403 and bad.json()["error_type"] == "TokenException"
    checksum = hashlib.sha256((API_KEY + request_token + API_SECRET).encode()).hexdigest()
    good = requests.post(
        url, data={"api_key": API_KEY, "request_token": request_token, "checksum": checksum}, timeout=5
    )
    assert good.status_code == 200 and good.json()["data"]["access_token"]


def test_token_exception_is_final_and_never_retried(adapter: ZerodhaBroker, sim: KiteSimulator) -> None:
    sim.expire_tokens()
    with pytest.raises(BrokerError) as caught:
        adapter.submit(AdapterContract().order())
    assert caught.value.kind is ErrorKind.TOKEN and caught.value.final
    assert sim.request_count("POST", r"/orders/regular") == 1
    for call in (adapter.validate_credentials, adapter.positions, lambda: adapter.order_by_tag("x")):
        with pytest.raises(BrokerError) as caught:
            call()
        assert caught.value.kind is ErrorKind.TOKEN


def test_timeout_after_accept_is_unknown_and_the_tag_finds_exactly_one_order(
    adapter: ZerodhaBroker, sim: KiteSimulator
) -> None:
    sim.set_fault("lose_reply")
    request = AdapterContract().order(quantity=3)
    started = time.monotonic()
    with pytest.raises(BrokerError) as caught:
        adapter.submit(request)
    assert caught.value.kind is ErrorKind.UNKNOWN and not caught.value.final
    assert time.monotonic() - started < TIMEOUT + 1.5  # gave up at the client timeout, no retry
    assert sim.request_count("POST", r"/orders/regular") == 1
    sim.set_fault(None)
    found = adapter.order_by_tag(request.tag)
    assert len(found) == 1 and found[0].status is OrderStatus.FILLED and found[0].filled_quantity == 3
    assert len(sim.orders_with_tag(request.tag)) == 1


def test_rate_limit_and_margin_rejection(adapter: ZerodhaBroker, sim: KiteSimulator) -> None:
    sim.set_fault("rate_limit")
    with pytest.raises(BrokerError) as caught:
        adapter.submit(AdapterContract().order())
    assert caught.value.kind is ErrorKind.RATE_LIMIT and not caught.value.final
    sim.set_fault("reject")
    request = AdapterContract().order()
    with pytest.raises(BrokerError) as caught:
        adapter.submit(request)
    assert caught.value.kind is ErrorKind.REJECTED and caught.value.final
    assert "Insufficient funds" in caught.value.message
    assert [o.status for o in sim.orders_with_tag(request.tag)] == ["REJECTED"]
    sim.set_fault("server_error")
    with pytest.raises(BrokerError) as caught:
        adapter.submit(AdapterContract().order())
    assert caught.value.kind is ErrorKind.UNKNOWN


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (kex.TokenException("expired", code=403), ErrorKind.TOKEN),
        (kex.PermissionException("no", code=403), ErrorKind.CREDENTIALS),
        (kex.InputException("bad", code=400), ErrorKind.INPUT),
        (kex.OrderException("margin", code=400), ErrorKind.REJECTED),
        (kex.NetworkException("oms down", code=503), ErrorKind.UNKNOWN),
        (kex.DataException("bad reply", code=502), ErrorKind.UNKNOWN),
        (kex.NetworkException("Too many requests", code=429), ErrorKind.RATE_LIMIT),
        (kex.GeneralException("slow down", code=429), ErrorKind.RATE_LIMIT),
        (kex.GeneralException("boom", code=500), ErrorKind.UNKNOWN),
        (kex.GeneralException("nope", code=404), ErrorKind.INPUT),
        (requests.ReadTimeout("read timed out"), ErrorKind.UNKNOWN),
        (requests.ConnectionError("refused"), ErrorKind.UNKNOWN),
        (KeyError("content-type"), ErrorKind.UNKNOWN),
    ],
)
def test_kite_errors_map_to_kinds(exc: Exception, kind: ErrorKind) -> None:
    assert kite_error(exc).kind is kind


def test_limit_order_with_price_market_protection_and_algo_id_reach_kite(sim: KiteSimulator) -> None:
    adapter = ZerodhaBroker(
        account_ref="z1",
        credentials={"api_key": API_KEY, "api_secret": API_SECRET, "access_token": ACCESS_TOKEN},
        options={"api_root": sim.base_url, "timeout": TIMEOUT, "market_protection": -1},
    )
    sim.set_price("SBIN", "970.00")
    market = adapter.submit(AdapterContract().order(symbol="SBIN", algo_id="ALGO42"))
    placed = sim.book.get(market.broker_order_id)
    assert placed is not None and placed.extra["market_protection"] == "-1" and placed.extra["algo_id"] == "ALGO42"
    assert market.average_price == Decimal("970.00") and market.placed_at is not None

    limit = adapter.submit(
        AdapterContract().order(symbol="SBIN", side=Side.SELL, order_type=OrderType.LIMIT, price=Decimal("975.50"))
    )
    assert limit.status is OrderStatus.OPEN
    placed = sim.book.get(limit.broker_order_id)
    assert (
        placed is not None
        and placed.price == Decimal("975.50")
        and "market_protection" not in {k for k, v in placed.extra.items() if v is not None}
    )


@pytest.mark.parametrize("tag", ["", "has-dash", "x" * 21, "abc\n"])
def test_tags_kite_cannot_take_are_refused_before_sending(adapter: ZerodhaBroker, sim: KiteSimulator, tag: str) -> None:
    with pytest.raises(BrokerError) as caught:
        adapter.submit(AdapterContract().order(tag=tag))
    assert caught.value.kind is ErrorKind.INPUT
    assert sim.request_count("POST", r"/orders/.*") == 0


def test_instrument_master_maps_symbols_to_tokens_once_a_day(adapter: ZerodhaBroker, sim: KiteSimulator) -> None:
    assert adapter.instrument_token("INFY") == sim.instrument_token("INFY")
    assert adapter.instrument_tokens(["SBIN", "M&M"], "BSE") == {
        "SBIN": sim.instrument_token("SBIN", "BSE"),
        "M&M": sim.instrument_token("M&M", "BSE"),
    }
    assert sim.instrument_token("INFY") & 0xFF == 1 and sim.instrument_token("INFY", "BSE") & 0xFF == 4
    with pytest.raises(BrokerError) as caught:
        adapter.instrument_token("NOSUCHSTOCK")
    assert caught.value.kind is ErrorKind.INPUT
    make_adapter(sim).instrument_token("TCS")  # another adapter in the process reuses the master
    assert sim.request_count("GET", r"/instruments/NSE") == 1


def test_official_client_runs_unmodified_against_the_simulator(sim: KiteSimulator) -> None:
    kite = KiteConnect(API_KEY, access_token=ACCESS_TOKEN, root=sim.base_url, timeout=2)
    expired: list[bool] = []
    kite.set_session_expiry_hook(lambda: expired.append(True))
    assert kite.profile()["user_id"]
    assert kite.margins()["equity"]["net"] > 0
    tag = new_tag()
    order_id = kite.place_order(
        variety=kite.VARIETY_REGULAR,
        exchange=kite.EXCHANGE_NSE,
        tradingsymbol="TCS",
        transaction_type=kite.TRANSACTION_TYPE_BUY,
        quantity=4,
        product=kite.PRODUCT_MIS,
        order_type=kite.ORDER_TYPE_MARKET,
        tag=tag,
    )
    history = kite.order_history(order_id)
    assert history[0]["status"] == "PUT ORDER REQ RECEIVED" and history[-1]["status"] == kite.STATUS_COMPLETE
    assert isinstance(history[-1]["order_timestamp"], dt.datetime)  # the client parsed our format
    assert [o["order_id"] for o in kite.orders() if o["tag"] == tag] == [order_id]
    assert kite.ltp("NSE:TCS")["NSE:TCS"]["last_price"] == 3151.4
    assert kite.positions()["net"][0]["quantity"] == 4
    rows = kite.instruments("NSE")
    assert len(rows) == 50 and {r["instrument_type"] for r in rows} == {"EQ"}
    assert all(r["instrument_token"] & 0xFF == 1 for r in rows)
    open_id = kite.place_order(
        variety="regular",
        exchange="NSE",
        tradingsymbol="TCS",
        transaction_type="BUY",
        quantity=1,
        product="CNC",
        order_type="LIMIT",
        price=3000,
    )
    assert kite.cancel_order("regular", open_id) == open_id
    assert kite.order_history(open_id)[-1]["status"] == kite.STATUS_CANCELLED
    with pytest.raises(kex.InputException):
        kite.cancel_order("regular", open_id)
    with pytest.raises(kex.InputException):
        kite.place_order(
            variety="regular", exchange="NSE", tradingsymbol="NOPE", transaction_type="BUY",
            quantity=1, product="MIS", order_type="MARKET",
        )  # fmt: skip
    sim.set_fault("rate_limit")
    with pytest.raises(kex.NetworkException) as caught:
        kite.place_order(
            variety="regular", exchange="NSE", tradingsymbol="TCS", transaction_type="BUY",
            quantity=1, product="MIS", order_type="MARKET",
        )  # fmt: skip
    assert caught.value.code == 429
    sim.set_fault("token")
    with pytest.raises(kex.TokenException):
        kite.profile()
    assert expired == [True]
