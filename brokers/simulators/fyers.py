"""A local Fyers API v3 server for tests: /api/v3 REST and /data quotes, every reply in Fyers'
{"s": "ok" | "error", "code", "message"} envelope, plus the auth-code login.

    with FyersSimulator() as sim:
        FyersBroker(..., options={"api_root": sim.base_url})
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from brokers.common import IST
from brokers.simulators._base import (
    MARGIN_MESSAGE,
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
from brokers.universe import get_instrument

SERIES = {"NSE": "EQ", "BSE": "A"}
EXCHANGE_CODES = {"NSE": 10, "BSE": 12}
ORDER_TYPES = {1: "LIMIT", 2: "MARKET", 3: "SL-M", 4: "SL"}
PRODUCTS = {"INTRADAY": "MIS", "CNC": "CNC", "MARGIN": "NRML", "MTF": "MTF"}
_STATUS = {"OPEN": 6, "FILLED": 2, "REJECTED": 5, "CANCELLED": 1}
FY_ID = "XF0001"


def fyers_symbol(symbol: str, exchange: str) -> str:
    return f"{exchange}:{symbol}-{SERIES[exchange]}"


def _parse_symbol(name: str) -> tuple[str, str] | None:
    exchange, _, rest = name.partition(":")
    symbol, _, series = rest.rpartition("-")
    if SERIES.get(exchange) != series or get_instrument(symbol, exchange) is None:
        return None
    return exchange, symbol


def _fyers_time(moment: dt.datetime) -> str:
    return moment.astimezone(IST).strftime("%d-%b-%Y %H:%M:%S")


class FyersSimulator(BaseSimulator):
    name = "fyers"
    id_prefix = "23"

    def __init__(
        self,
        *,
        app_id: str = "SIMAPP-100",
        secret_key: str = "fyers_sim_secret",  # noqa: S107 - a simulator's fixed test account
        access_token: str | None = None,
        hang_seconds: float = 3.0,
    ) -> None:
        self.app_id = app_id
        self.secret_key = secret_key
        self.access_token = access_token or fake_jwt(sub="fyers")
        self._tokens = {self.access_token}
        self._auth_codes: set[str] = set()
        super().__init__(hang_seconds=hang_seconds)

    def issue_auth_code(self) -> str:
        """What Fyers puts on the redirect URL after the user logs in (single use)."""
        code = fake_jwt(dt.timedelta(minutes=5), sub="auth_code")
        with self._lock:
            self._auth_codes.add(code)
        return code

    # -- envelopes --------------------------------------------------------------------------

    @staticmethod
    def ok(**fields: Any) -> Reply:
        return json_reply(200, {"s": "ok", "code": 200, "message": "", **fields})

    @staticmethod
    def error(status: int, code: int, message: str, **fields: Any) -> Reply:
        return json_reply(status, {"s": "error", "code": code, "message": message, **fields})

    def error_reply(self, error: SimError) -> Reply:
        if error.kind == "not_found":
            return self.error(400, -51, "Invalid order id")
        if error.kind == "state":
            return self.error(400, -52, error.message)
        return self.error(400, -50, error.message)

    def not_found(self, request: Request) -> Reply:
        return self.error(404, -404, "Not found")

    def _authed(self, handler: Handler) -> Handler:
        def wrapped(request: Request, match: Any) -> Reply:
            app_id, _, token = (request.headers.get("Authorization") or "").partition(":")
            with self._lock:
                valid = app_id == self.app_id and token in self._tokens
            if self.fault == "token" or not valid:
                return self.error(401, -8, "Your token has expired. Please generate a token")
            return handler(request, match)

        return wrapped

    def routes(self) -> list[tuple[str, str, Handler]]:
        a = self._authed
        return [
            ("POST", r"/api/v3/validate-authcode", self._validate_authcode),
            ("GET", r"/api/v3/profile", a(self._profile)),
            ("POST", r"/api/v3/orders/sync", a(self._place)),
            ("DELETE", r"/api/v3/orders/sync", a(self._cancel)),
            ("GET", r"/api/v3/orders", a(self._orders)),
            ("GET", r"/api/v3/positions", a(self._positions)),
            ("GET", r"/data/quotes", a(self._quotes)),
        ]

    # -- handlers ---------------------------------------------------------------------------

    def _validate_authcode(self, request: Request, match: Any) -> Reply:
        body = request.json() or {}
        expected = hashlib.sha256(f"{self.app_id}:{self.secret_key}".encode()).hexdigest()
        if not hmac.compare_digest(str(body.get("appIdHash", "")), expected):
            return self.error(400, -371, "Invalid appIdHash")
        with self._lock:
            known = body.get("code") in self._auth_codes
            self._auth_codes.discard(body.get("code"))
        if body.get("grant_type") != "authorization_code" or not known:
            return self.error(400, -413, "Invalid auth code")
        token = fake_jwt(sub="fyers")
        with self._lock:
            self._tokens.add(token)
        return self.ok(access_token=token, refresh_token=secrets.token_hex(16))

    def _profile(self, request: Request, match: Any) -> Reply:
        return self.ok(
            data={
                "name": "FYERS SIMULATOR",
                "fy_id": FY_ID,
                "email_id": "sim@example.test",
                "PAN": "XXXXX0000X",
                "mobile_number": "9999999999",
                "totp": True,
                "pwd_to_expire": 90,
                "ddpi_enabled": False,
                "mtf_enabled": False,
            }
        )

    def order_json(self, order: SimOrder) -> dict[str, Any]:
        types = {v: k for k, v in ORDER_TYPES.items()}
        products = {v: k for k, v in PRODUCTS.items()}
        last = self.book.last_price(order.symbol, order.exchange)
        return {
            "clientId": FY_ID,
            "id": order.order_id,
            "exchOrdId": "" if order.status == "REJECTED" else "1100" + order.order_id[-10:],
            "qty": order.quantity,
            "remainingQuantity": order.quantity - order.filled_quantity if order.status == "OPEN" else 0,
            "filledQty": order.filled_quantity,
            "discloseQty": 0,
            "limitPrice": order.price or 0,
            "stopPrice": order.trigger_price or 0,
            "tradedPrice": order.average_price or 0,
            "type": types[order.order_type],
            "fyToken": "10100000" + str(get_instrument(order.symbol, order.exchange).token),  # type: ignore[union-attr]
            "exchange": EXCHANGE_CODES[order.exchange],
            "segment": 10,
            "symbol": fyers_symbol(order.symbol, order.exchange),
            "instrument": 0,
            "message": order.message,
            "offlineOrder": False,
            "orderDateTime": _fyers_time(order.placed_at),
            "orderValidity": "DAY",
            "pan": "",
            "productType": products.get(order.product, order.product),
            "side": 1 if order.side == "BUY" else -1,
            "status": _STATUS[order.status],
            "source": "API",
            "ex_sym": order.symbol,
            "description": order.symbol,
            "ch": 0,
            "chp": 0,
            "lp": last,
            "slNo": 0,
            "dqQtyRem": 0,
            "orderNumStatus": f"{order.order_id}:{_STATUS[order.status]}",
            "disclosedQty": 0,
            "orderTag": order.tag,
        }

    def _place(self, request: Request, match: Any) -> Reply:
        body = request.json()
        if not isinstance(body, dict):
            raise SimError("input", "Invalid input")
        found = _parse_symbol(str(body.get("symbol")))
        if found is None:
            return self.error(400, -300, "Invalid symbol provided")
        order_type = ORDER_TYPES.get(body.get("type"))  # type: ignore[arg-type]
        product = PRODUCTS.get(str(body.get("productType")))
        side = {1: "BUY", -1: "SELL"}.get(body.get("side"))  # type: ignore[arg-type]
        quantity = body.get("qty")
        if order_type is None or product is None or side is None:
            return self.error(400, -50, "Invalid type, side or productType")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            return self.error(400, -50, "Invalid qty")
        tag = str(body.get("orderTag") or "")
        if len(tag) > 30 or (tag and not tag.isalnum()):
            return self.error(400, -50, "Invalid orderTag")
        fault = self.placement_fault()
        if fault == "rate_limit":
            return self.error(429, -429, "request limit reached")
        if fault == "server_error":
            return self.error(503, -503, "Service unavailable")
        if fault == "timeout":
            return self.hang()
        exchange, symbol = found
        order = self.book.place(
            tag=tag,
            symbol=symbol,
            exchange=exchange,
            side=side,
            quantity=quantity,
            order_type=order_type,
            product=product,
            price=parse_price(body.get("limitPrice"), "limitPrice"),
            trigger_price=parse_price(body.get("stopPrice"), "stopPrice"),
            reject=f"RMS:Margin Shortfall: {MARGIN_MESSAGE}" if fault == "reject" else None,
        )
        if order.status == "REJECTED":
            return self.error(400, -99, order.message, id=order.order_id)
        reply = json_reply(
            200,
            {
                "s": "ok",
                "code": 1101,
                "message": f"Order Submitted Successfully. Your Order Ref. No.{order.order_id}",
                "id": order.order_id,
            },
        )
        return self.hang(reply) if fault == "lose_reply" else reply

    def _cancel(self, request: Request, match: Any) -> Reply:
        body = request.json() or {}
        order = self.book.cancel(str(body.get("id")))
        return json_reply(
            200, {"s": "ok", "code": 1103, "message": "Successfully cancelled order", "id": order.order_id}
        )

    def _orders(self, request: Request, match: Any) -> Reply:
        wanted = request.arg("id")
        orders = [o for o in self.book.orders() if wanted is None or o.order_id in wanted.split(",")]
        return self.ok(orderBook=[self.order_json(o) for o in orders])

    def _positions(self, request: Request, match: Any) -> Reply:
        products = {v: k for k, v in PRODUCTS.items()}
        rows = []
        for p in self.book.positions():
            name = fyers_symbol(p.symbol, p.exchange)
            rows.append(
                {
                    "netQty": p.quantity,
                    "qty": abs(p.quantity),
                    "avgPrice": p.average_price,
                    "netAvg": p.average_price,
                    "side": 1 if p.quantity > 0 else -1 if p.quantity < 0 else 0,
                    "productType": products.get(p.product, p.product),
                    "realized_profit": p.realised,
                    "unrealized_profit": p.unrealised,
                    "pl": p.realised + p.unrealised,
                    "ltp": p.last_price,
                    "buyQty": p.buy_quantity,
                    "buyAvg": p.buy_average,
                    "buyVal": p.buy_quantity * p.buy_average,
                    "sellQty": p.sell_quantity,
                    "sellAvg": p.sell_average,
                    "sellVal": p.sell_quantity * p.sell_average,
                    "slNo": 0,
                    "crossCurrency": "N",
                    "rbiRefRate": 1.0,
                    "qtyMulti_com": 1.0,
                    "segment": 10,
                    "symbol": name,
                    "id": f"{name}-{products.get(p.product, p.product)}",
                }
            )
        return self.ok(
            netPositions=rows, overall={"count_total": len(rows), "count_open": sum(1 for p in rows if p["netQty"])}
        )

    def _quotes(self, request: Request, match: Any) -> Reply:
        now = int(dt.datetime.now(dt.UTC).timestamp())
        items = []
        for name in (request.arg("symbols") or "").split(","):
            found = _parse_symbol(name)
            if found is None:
                items.append({"n": name, "s": "error", "v": {"errmsg": "invalid symbol"}})
                continue
            price = self.book.last_price(found[1], found[0])
            items.append(
                {
                    "n": name,
                    "s": "ok",
                    "v": {
                        "ch": 0,
                        "chp": 0,
                        "lp": price,
                        "spread": 0.05,
                        "ask": price,
                        "bid": price,
                        "open_price": price,
                        "high_price": price,
                        "low_price": price,
                        "prev_close_price": price,
                        "volume": 0,
                        "short_name": name.partition(":")[2],
                        "exchange": found[0],
                        "description": name,
                        "original_name": name,
                        "symbol": name,
                        "tt": str(now),
                    },
                }
            )
        return self.ok(d=items)
