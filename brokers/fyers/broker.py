"""Fyers (API v3) through our thin client. Our tag is Fyers' orderTag; symbols look like NSE:SBIN-EQ.

Options: api_root (default https://api-t1.fyers.in; REST under /api/v3, quotes under /data),
timeout (seconds, default 7), market_protection_pct (MARKET orders go out as LIMIT orders at
most this far from the last price).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from brokers.base import (
    AccountCheck,
    BrokerAdapter,
    BrokerError,
    CredentialField,
    ErrorKind,
    OrderRequest,
    OrderResult,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Side,
    ensure_send_window,
)
from brokers.common import (
    DEFAULT_TIMEOUT,
    check_order,
    input_error,
    ist_to_utc,
    jwt_expiry,
    market_protection_percent,
    now_utc,
    protected_limit_price,
    to_decimal,
    to_int,
)
from brokers.fyers.client import API_PREFIX, DATA_PREFIX, DEFAULT_API_ROOT, FyersClient

TAG_MAX = 20
# Equity series suffixes: NSE's main board is EQ; on BSE the symbol carries its group (A for
# the large caps this platform trades).
SERIES = {"NSE": "EQ", "BSE": "A"}
ORDER_TYPES = {OrderType.LIMIT: 1, OrderType.MARKET: 2, OrderType.SL_M: 3, OrderType.SL: 4}
SIDES = {Side.BUY: 1, Side.SELL: -1}
PRODUCTS = {"MIS": "INTRADAY", "CNC": "CNC", "NRML": "MARGIN", "MTF": "MTF"}
# 1 cancelled, 2 traded, 4 transit, 5 rejected, 6 pending, 7 expired
STATUSES = {1: OrderStatus.CANCELLED, 2: OrderStatus.FILLED, 5: OrderStatus.REJECTED, 7: OrderStatus.CANCELLED}
_TIME_FORMATS = ("%d-%b-%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S")


def fyers_symbol(symbol: str, exchange: str) -> str:
    if exchange not in SERIES:
        raise input_error(f"Fyers adapter trades NSE and BSE equities, not {exchange}")
    return f"{exchange}:{symbol}-{SERIES[exchange]}"


def split_symbol(fyers: str) -> tuple[str, str]:
    """ "NSE:BAJAJ-AUTO-EQ" -> ("NSE", "BAJAJ-AUTO")."""
    exchange, _, rest = fyers.partition(":")
    return exchange, rest.rsplit("-", 1)[0] if "-" in rest else rest


def order_tag(order: Mapping[str, Any]) -> str:
    # Some Fyers replies prefix the tag with its type ("1:tag"); our tags never contain ':'.
    return str(order.get("orderTag") or "").rsplit(":", 1)[-1]


def order_result(order: Mapping[str, Any]) -> OrderResult:
    filled = to_int(order.get("filledQty"))
    average = to_decimal(order.get("tradedPrice"))
    return OrderResult(
        broker_order_id=str(order.get("id")),
        tag=order_tag(order),
        status=STATUSES.get(to_int(order.get("status")), OrderStatus.OPEN),
        side=Side.BUY if to_int(order.get("side")) == 1 else Side.SELL,
        quantity=to_int(order.get("qty")),
        filled_quantity=filled,
        average_price=average if filled and average else None,
        message=str(order.get("message") or ""),
        placed_at=ist_to_utc(order.get("orderDateTime"), _TIME_FORMATS),
        raw=dict(order),
    )


class FyersBroker(BrokerAdapter):
    name = "fyers"
    display_name = "Fyers"
    credential_fields = (
        CredentialField("app_id", "App ID (client id, e.g. XXXX-100)", secret=False),
        CredentialField("secret_key", "App secret", required=False),
        CredentialField("access_token", "Access token", required=False),
    )

    def __init__(
        self, *, account_ref: str, credentials: Mapping[str, str], options: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(account_ref=account_ref, credentials=credentials, options=options)
        self.api_root: str = (self.options.get("api_root") or DEFAULT_API_ROOT).rstrip("/")
        self.timeout = float(self.options.get("timeout") or DEFAULT_TIMEOUT)
        self._client: FyersClient | None = None

    @property
    def client(self) -> FyersClient:
        if self._client is None:
            self._client = FyersClient(
                app_id=self.credentials.get("app_id", ""),
                access_token=self.credentials.get("access_token", ""),
                base_url=self.api_root,
                timeout=self.timeout,
            )
        return self._client

    def _require_session(self) -> None:
        if not self.credentials.get("access_token"):
            raise BrokerError("Fyers: no access token; log in to Fyers first", kind=ErrorKind.TOKEN)

    # -- login (auth-code flow) ---------------------------------------------------------------

    def login_url(self, redirect_uri: str, state: str = "") -> str:
        query = {
            "client_id": self.credentials.get("app_id", ""),
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "state": state,
        }
        return f"{self.api_root}{API_PREFIX}/generate-authcode?{urlencode(query)}"

    def complete_login(self, auth_code: str) -> str:
        """Exchange the redirect's auth_code for an access token (validate-authcode with
        appIdHash = sha256("app_id:secret")). The adapter uses it from now on; the caller stores it."""
        app_id, secret = self.credentials.get("app_id", ""), self.credentials.get("secret_key", "")
        if not app_id or not secret:
            raise BrokerError("Fyers: app_id and secret_key are needed to log in", kind=ErrorKind.CREDENTIALS)
        body = {
            "grant_type": "authorization_code",
            "appIdHash": hashlib.sha256(f"{app_id}:{secret}".encode()).hexdigest(),
            "code": auth_code,
        }
        anonymous = FyersClient(app_id=app_id, access_token="", base_url=self.api_root, timeout=self.timeout)
        try:
            reply = anonymous.request("POST", "/validate-authcode", json_body=body)
        except BrokerError as exc:
            if exc.kind in (ErrorKind.TOKEN, ErrorKind.INPUT) and "hash" in exc.message.lower():
                raise BrokerError(exc.message, kind=ErrorKind.CREDENTIALS, raw=exc.raw) from exc
            raise
        finally:
            anonymous.close()
        token = str(reply.get("access_token") or "")
        if not token:
            raise BrokerError("Fyers: login reply had no access token", kind=ErrorKind.UNKNOWN, raw=reply)
        self.credentials["access_token"] = token
        self._client = None
        return token

    # -- BrokerAdapter ----------------------------------------------------------------------

    def validate_credentials(self) -> AccountCheck:
        errors = self.check_credential_shape(self.credentials)
        if errors:
            raise BrokerError(
                f"Invalid Fyers credentials: {', '.join(sorted(errors))}", kind=ErrorKind.CREDENTIALS, raw=errors
            )
        self._require_session()
        data = self.client.request("GET", "/profile").get("data") or {}
        return AccountCheck(
            account_name=str(data.get("name") or data.get("fy_id") or self.account_ref),
            token_valid_until=jwt_expiry(self.credentials.get("access_token")),
        )

    def submit(self, order: OrderRequest) -> OrderResult:
        check_order(order, max_tag_length=TAG_MAX, broker="Fyers")
        self._require_session()
        symbol = fyers_symbol(order.symbol, order.exchange)
        order_type = OrderType(order.order_type)
        side = Side(order.side)
        price = to_decimal(order.price)
        protection = market_protection_percent(self.options)
        if protection is not None and order_type is OrderType.MARKET:
            last = self.quote(order.symbol, order.exchange).last_price
            order_type, price = OrderType.LIMIT, protected_limit_price(side, last, protection)
        body = {
            "symbol": symbol,
            "qty": order.quantity,
            "type": ORDER_TYPES[order_type],
            "side": SIDES[side],
            "productType": PRODUCTS.get(order.product, order.product),
            "limitPrice": price if order_type in (OrderType.LIMIT, OrderType.SL) and price is not None else 0,
            "stopPrice": to_decimal(order.trigger_price) or 0,
            "validity": "DAY",
            "disclosedQty": 0,
            "offlineOrder": False,
            "orderTag": order.tag,
        }
        ensure_send_window(order)
        placed = self.client.request("POST", "/orders/sync", json_body=body)
        order_id = str(placed.get("id"))
        found = self._order(order_id)
        if found is None:
            # Placed, but not readable yet: report it working; the engine reconciles by tag.
            return OrderResult(
                broker_order_id=order_id,
                tag=order.tag,
                status=OrderStatus.OPEN,
                side=side,
                quantity=order.quantity,
                message="Placed; status not read yet",
                raw=placed,
            )
        if found.status is OrderStatus.REJECTED:
            raise BrokerError(
                f"Fyers rejected the order: {found.message or 'no reason given'}", kind=ErrorKind.REJECTED, raw=found
            )
        return found

    def _order(self, order_id: str) -> OrderResult | None:
        try:
            book = self.client.request("GET", "/orders", params={"id": order_id}).get("orderBook") or []
        except BrokerError:
            return None
        matches = [o for o in book if str(o.get("id")) == order_id]
        return order_result(matches[-1]) if matches else None

    def cancel(self, broker_order_id: str) -> OrderResult:
        self._require_session()
        self.client.request("DELETE", "/orders/sync", json_body={"id": broker_order_id})
        found = self._order(broker_order_id)
        if found is None:
            raise BrokerError(f"Fyers: order {broker_order_id} not found after cancelling", kind=ErrorKind.UNKNOWN)
        return found

    def order_by_tag(self, tag: str) -> list[OrderResult]:
        self._require_session()
        book = self.client.request("GET", "/orders").get("orderBook") or []
        return [order_result(o) for o in book if order_tag(o) == tag]

    def positions(self) -> list[Position]:
        self._require_session()
        rows = self.client.request("GET", "/positions").get("netPositions") or []
        result = []
        for p in rows:
            exchange, symbol = split_symbol(str(p.get("symbol")))
            result.append(
                Position(
                    symbol=symbol,
                    exchange=exchange,
                    quantity=to_int(p.get("netQty")),
                    average_price=to_decimal(p.get("netAvg")) or Decimal(0),
                    realised_pnl=to_decimal(p.get("realized_profit")) or Decimal(0),
                    last_price=to_decimal(p.get("ltp")),
                )
            )
        return result

    def quote(self, symbol: str, exchange: str) -> Quote:
        self._require_session()
        name = fyers_symbol(symbol, exchange)
        reply = self.client.request("GET", "/quotes", params={"symbols": name}, prefix=DATA_PREFIX)
        for item in reply.get("d") or []:
            values = item.get("v") or {}
            price = to_decimal(values.get("lp"))
            if item.get("n") == name and item.get("s") == "ok" and price is not None and price > 0:
                stamp = to_int(values.get("tt"))
                moment = dt.datetime.fromtimestamp(stamp, tz=dt.UTC) if stamp else now_utc()
                return Quote(symbol=symbol, exchange=exchange, last_price=price, timestamp=moment)
        raise BrokerError(f"Fyers has no price for {name}", kind=ErrorKind.INPUT, raw=reply)
