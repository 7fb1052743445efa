"""A local Angel One SmartAPI server for tests: the /rest/... routes the SDK uses, Angel's
{"status", "message", "errorcode", "data"} envelope (refusals mostly with HTTP 200), the TOTP
login, the plain-text 403 of its rate limiter, and the JSON scrip master.

    with AngelOneSimulator() as sim:
        AngelOneBroker(..., options={"api_root": sim.base_url, "scrip_master_url": sim.scrip_master_url})

Symbol tokens: 20000 + universe token on NSE, 600000 + universe token on BSE.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
import uuid
from typing import Any

from brokers.angelone.client import totp
from brokers.common import IST
from brokers.simulators._base import (
    BaseSimulator,
    Handler,
    Reply,
    Request,
    SimError,
    SimOrder,
    fake_jwt,
    json_reply,
    parse_price,
)
from brokers.universe import INSTRUMENTS, get_instrument

_TOKEN_BASE = {"NSE": 20000, "BSE": 600000}
PRODUCTS = {"INTRADAY": "MIS", "DELIVERY": "CNC", "CARRYFORWARD": "NRML", "MARGIN": "MARGIN"}
ORDER_TYPES = {"MARKET": "MARKET", "LIMIT": "LIMIT", "STOPLOSS_LIMIT": "SL", "STOPLOSS_MARKET": "SL-M"}
_STATUS = {"OPEN": "open", "FILLED": "complete", "REJECTED": "rejected", "CANCELLED": "cancelled"}
_SECURE = "/rest/secure/angelbroking"
FUNDS_MESSAGE = "Your order has been rejected due to Insufficient Funds. Available funds - Rs. 0.00"


def symbol_token(symbol: str, exchange: str = "NSE") -> str:
    instrument = get_instrument(symbol, exchange)
    if instrument is None or exchange not in _TOKEN_BASE:
        raise KeyError(f"{exchange}:{symbol}")
    return str(_TOKEN_BASE[exchange] + instrument.token)


def trading_symbol(symbol: str, exchange: str) -> str:
    return f"{symbol}-EQ" if exchange == "NSE" else symbol


def _instrument_for(exchange: str, token: str) -> str | None:
    if exchange not in _TOKEN_BASE or not token.isdigit():
        return None
    for instrument in INSTRUMENTS.values():
        if _TOKEN_BASE[exchange] + instrument.token == int(token):
            return instrument.symbol
    return None


def _angel_time(moment: dt.datetime) -> str:
    return moment.astimezone(IST).strftime("%d-%b-%Y %H:%M:%S")


class AngelOneSimulator(BaseSimulator):
    name = "angelone"
    id_prefix = "24"

    def __init__(
        self,
        *,
        api_key: str = "angel_sim_key",
        client_code: str = "S1234",
        pin: str = "1111",
        totp_secret: str = "JBSWY3DPEHPK3PXP",  # noqa: S107 - a simulator's fixed test account
        hang_seconds: float = 3.0,
    ) -> None:
        self.api_key = api_key
        self.client_code = client_code
        self.pin = pin
        self.totp_secret = totp_secret
        self._jwts: set[str] = set()
        super().__init__(hang_seconds=hang_seconds)

    @property
    def scrip_master_url(self) -> str:
        return self.base_url + "/OpenAPI_File/files/OpenAPIScripMaster.json"

    def symbol_token(self, symbol: str, exchange: str = "NSE") -> str:
        return symbol_token(symbol, exchange)

    def expire_sessions(self) -> None:
        with self._lock:
            self._jwts.clear()

    # -- envelopes --------------------------------------------------------------------------

    @staticmethod
    def ok(data: Any) -> Reply:
        return json_reply(200, {"status": True, "message": "SUCCESS", "errorcode": "", "data": data})

    @staticmethod
    def refuse(code: str, message: str, status: int = 200) -> Reply:
        return json_reply(status, {"status": False, "message": message, "errorcode": code, "data": None})

    def error_reply(self, error: SimError) -> Reply:
        if error.kind == "not_found":
            return self.refuse("AB1013", "Order not found")
        if error.kind == "state":
            return self.refuse("AB4009", error.message)
        return self.refuse("AB1012", error.message)

    def not_found(self, request: Request) -> Reply:
        return self.refuse("AB1004", "Route not found", status=404)

    def _authed(self, handler: Handler) -> Handler:
        def wrapped(request: Request, match: Any) -> Reply:
            if request.headers.get("X-PrivateKey") != self.api_key:
                return self.refuse("AG8004", "Invalid API Key", status=403)
            jwt = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
            with self._lock:
                valid = jwt in self._jwts
            if self.fault == "token" or not valid:
                # This one reply uses the other spelling of the envelope, as Angel's does.
                return json_reply(
                    401, {"success": False, "message": "Invalid Token", "errorCode": "AG8001", "data": ""}
                )
            return handler(request, match)

        return wrapped

    def routes(self) -> list[tuple[str, str, Handler]]:
        a = self._authed
        return [
            ("POST", r"/rest/auth/angelbroking/user/v1/loginByPassword", self._login),
            ("GET", _SECURE + r"/user/v1/getProfile", a(self._profile)),
            ("POST", _SECURE + r"/order/v1/placeOrder", a(self._place)),
            ("POST", _SECURE + r"/order/v1/cancelOrder", a(self._cancel)),
            ("GET", _SECURE + r"/order/v1/getOrderBook", a(self._order_book)),
            ("GET", _SECURE + r"/order/v1/details/(?P<uid>[\w-]+)", a(self._details)),
            ("GET", _SECURE + r"/order/v1/getPosition", a(self._positions)),
            ("POST", _SECURE + r"/order/v1/getLtpData", a(self._ltp)),
            ("GET", r"/OpenAPI_File/files/OpenAPIScripMaster\.json", self._scrip_master),
        ]

    # -- handlers ---------------------------------------------------------------------------

    def _login(self, request: Request, match: Any) -> Reply:
        if request.headers.get("X-PrivateKey") != self.api_key:
            return self.refuse("AG8004", "Invalid API Key", status=403)
        body = request.json() or {}
        if body.get("clientcode") != self.client_code or body.get("password") != self.pin:
            return self.refuse("AB1000", "Invalid Email Or Password")
        now = time.time()
        if body.get("totp") not in {totp(self.totp_secret, now + skew) for skew in (-30, 0, 30)}:
            return self.refuse("AB1050", "Invalid totp")
        jwt = fake_jwt(sub=self.client_code)
        with self._lock:
            self._jwts.add(jwt)
        return self.ok(
            {
                "jwtToken": f"Bearer {jwt}",
                "refreshToken": secrets.token_hex(16),
                "feedToken": secrets.token_hex(8),
                "state": None,
            }
        )

    def _profile(self, request: Request, match: Any) -> Reply:
        return self.ok(
            {
                "clientcode": self.client_code,
                "name": "ANGEL SIMULATOR",
                "email": "",
                "mobileno": "",
                "exchanges": "[NSE, BSE]",
                "products": "[DELIVERY, INTRADAY, MARGIN]",
                "lastlogintime": "",
                "brokerid": "B2C",
            }
        )

    def order_json(self, order: SimOrder) -> dict[str, Any]:
        products = {v: k for k, v in PRODUCTS.items()}
        types = {v: k for k, v in ORDER_TYPES.items()}
        status = _STATUS[order.status]
        if status == "open" and order.trigger_price is not None:
            status = "trigger pending"
        return {
            "variety": order.extra.get("variety", "NORMAL"),
            "ordertype": types.get(order.order_type, order.order_type),
            "producttype": products.get(order.product, order.product),
            "duration": "DAY",
            "price": order.price or 0,
            "triggerprice": order.trigger_price or 0,
            "quantity": str(order.quantity),
            "disclosedquantity": "0",
            "squareoff": 0,
            "stoploss": 0,
            "trailingstoploss": 0,
            "tradingsymbol": trading_symbol(order.symbol, order.exchange),
            "transactiontype": order.side,
            "exchange": order.exchange,
            "symboltoken": symbol_token(order.symbol, order.exchange),
            "ordertag": order.tag,
            "instrumenttype": "",
            "strikeprice": -1,
            "optiontype": "",
            "expirydate": "",
            "lotsize": "1",
            "cancelsize": str(order.quantity - order.filled_quantity) if order.status == "CANCELLED" else "0",
            "averageprice": order.average_price or 0,
            "filledshares": str(order.filled_quantity),
            "unfilledshares": str(order.quantity - order.filled_quantity),
            "orderid": order.order_id,
            "text": order.message if order.status == "REJECTED" else "",
            "status": status,
            "orderstatus": status,
            "updatetime": _angel_time(order.updated_at),
            "exchtime": _angel_time(order.updated_at) if order.status != "REJECTED" else "",
            "exchorderupdatetime": _angel_time(order.updated_at),
            "fillid": "",
            "filltime": "",
            "parentorderid": "",
            "uniqueorderid": order.extra["uniqueorderid"],
        }

    def _place(self, request: Request, match: Any) -> Reply:
        body = request.json()
        if not isinstance(body, dict):
            raise SimError("input", "Invalid request")
        exchange = str(body.get("exchange"))
        symbol = _instrument_for(exchange, str(body.get("symboltoken")))
        if symbol is None or body.get("tradingsymbol") != trading_symbol(symbol, exchange):
            return self.refuse("AB1018", "Failed to get symbol details")
        tag = str(body.get("ordertag") or "")
        if len(tag) > 20:
            return self.refuse("AB4008", "ordertag length should be less than 20 characters")
        order_type = ORDER_TYPES.get(str(body.get("ordertype")))
        product = PRODUCTS.get(str(body.get("producttype")))
        if order_type is None or product is None:
            return self.refuse("AB1012", "Invalid ordertype or producttype")
        try:
            quantity = int(str(body.get("quantity")))
        except ValueError:
            return self.refuse("AB1012", "Invalid quantity")
        fault = self.placement_fault()
        if fault == "rate_limit":
            return Reply(403, b"Access denied because of exceeding access rate", content_type="text/plain")
        if fault == "server_error":
            return self.refuse("AB2000", "Internal server error", status=500)
        if fault == "timeout":
            return self.hang()
        order = self.book.place(
            tag=tag,
            symbol=symbol,
            exchange=exchange,
            side=str(body.get("transactiontype")),
            quantity=quantity,
            order_type=order_type,
            product=product,
            price=parse_price(body.get("price"), "price"),
            trigger_price=parse_price(body.get("triggerprice"), "triggerprice"),
            reject=FUNDS_MESSAGE if fault == "reject" else None,
            extra={"uniqueorderid": str(uuid.uuid4()), "variety": body.get("variety")},
        )
        reply = self.ok(
            {
                "script": trading_symbol(symbol, exchange),
                "orderid": order.order_id,
                "uniqueorderid": order.extra["uniqueorderid"],
            }
        )
        return self.hang(reply) if fault == "lose_reply" else reply

    def _cancel(self, request: Request, match: Any) -> Reply:
        body = request.json() or {}
        order = self.book.cancel(str(body.get("orderid")))
        return self.ok({"orderid": order.order_id, "uniqueorderid": order.extra["uniqueorderid"]})

    def _order_book(self, request: Request, match: Any) -> Reply:
        orders = self.book.orders()
        return self.ok([self.order_json(o) for o in orders] if orders else None)

    def _details(self, request: Request, match: Any) -> Reply:
        for order in self.book.orders():
            if order.extra.get("uniqueorderid") == match["uid"]:
                return self.ok(self.order_json(order))
        return self.refuse("AB1013", "Order not found")

    def _positions(self, request: Request, match: Any) -> Reply:
        products = {v: k for k, v in PRODUCTS.items()}
        rows = []
        for p in self.book.positions():
            rows.append(
                {
                    "exchange": p.exchange,
                    "symboltoken": symbol_token(p.symbol, p.exchange),
                    "producttype": products.get(p.product, p.product),
                    "tradingsymbol": trading_symbol(p.symbol, p.exchange),
                    "symbolname": p.symbol,
                    "instrumenttype": "",
                    "multiplier": "-1",
                    "boardlotsize": "1",
                    "buyqty": str(p.buy_quantity),
                    "sellqty": str(p.sell_quantity),
                    "buyamount": str(p.buy_quantity * p.buy_average),
                    "sellamount": str(p.sell_quantity * p.sell_average),
                    "cfbuyqty": "0",
                    "cfsellqty": "0",
                    "buyavgprice": str(p.buy_average),
                    "sellavgprice": str(p.sell_average),
                    "avgnetprice": str(p.average_price),
                    "netvalue": str(p.sell_quantity * p.sell_average - p.buy_quantity * p.buy_average),
                    "netqty": str(p.quantity),
                    "totalbuyvalue": str(p.buy_quantity * p.buy_average),
                    "totalsellvalue": str(p.sell_quantity * p.sell_average),
                    "netprice": str(p.average_price),
                    "realised": str(p.realised),
                    "unrealised": str(p.unrealised),
                    "ltp": str(p.last_price),
                    "close": str(p.last_price),
                }
            )
        return self.ok(rows or None)

    def _ltp(self, request: Request, match: Any) -> Reply:
        body = request.json() or {}
        exchange = str(body.get("exchange"))
        symbol = _instrument_for(exchange, str(body.get("symboltoken")))
        if symbol is None:
            return self.refuse("AB1018", "Failed to get symbol details")
        price = self.book.last_price(symbol, exchange)
        return self.ok(
            {
                "exchange": exchange,
                "tradingsymbol": trading_symbol(symbol, exchange),
                "symboltoken": symbol_token(symbol, exchange),
                "open": price,
                "high": price,
                "low": price,
                "close": price,
                "ltp": price,
            }
        )

    def _scrip_master(self, request: Request, match: Any) -> Reply:
        rows = []
        for exchange in _TOKEN_BASE:
            for i in INSTRUMENTS.values():
                rows.append(
                    {
                        "token": symbol_token(i.symbol, exchange),
                        "symbol": trading_symbol(i.symbol, exchange),
                        "name": i.symbol,
                        "expiry": "",
                        "strike": "-1.000000",
                        "lotsize": "1",
                        "instrumenttype": "",
                        "exch_seg": exchange,
                        "tick_size": f"{i.tick_size * 100:f}",
                    }
                )
        rows.append(
            {
                "token": "99926000",
                "symbol": "Nifty 50",
                "name": "NIFTY",
                "expiry": "",
                "strike": "0.000000",
                "lotsize": "1",
                "instrumenttype": "AMXIDX",
                "exch_seg": "NSE",
                "tick_size": "-1.000000",
            }
        )
        return json_reply(200, rows)
