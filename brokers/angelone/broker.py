"""Angel One (SmartAPI) through our thin client. Our tag is Angel's ordertag.

The adapter logs in itself (client code + PIN + TOTP from the stored seed) when it has no
session, and keeps the JWT per process until it expires or Angel calls it invalid. It never
logs in again and retries inside one call: a token error is final for that call.

Options: api_root (default https://apiconnect.angelone.in), timeout (seconds, default 7),
scrip_master_url (Angel's instrument list, JSON; downloaded once a day per process),
symbol_tokens ({"NSE:INFY": "1594", ...}: skips the download), client_public_ip /
client_local_ip / mac_address (sent as X-Client* headers; SEBI's static-IP rule makes the
public IP matter), market_protection_pct (MARKET orders go out as protected LIMIT orders).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from brokers.angelone.client import DEFAULT_API_ROOT, DEFAULT_SCRIP_MASTER_URL, AngelClient, totp
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
    DailyCache,
    check_order,
    input_error,
    ist_to_utc,
    jwt_expiry,
    market_protection_percent,
    now_utc,
    price_text,
    protected_limit_price,
    to_decimal,
    to_int,
)

TAG_MAX = 20
VARIETY = "NORMAL"
PRODUCTS = {"MIS": "INTRADAY", "CNC": "DELIVERY", "NRML": "CARRYFORWARD", "MARGIN": "MARGIN"}
ORDER_TYPES = {
    OrderType.MARKET: "MARKET",
    OrderType.LIMIT: "LIMIT",
    OrderType.SL: "STOPLOSS_LIMIT",
    OrderType.SL_M: "STOPLOSS_MARKET",
}
STATUSES = {"complete": OrderStatus.FILLED, "rejected": OrderStatus.REJECTED, "cancelled": OrderStatus.CANCELLED}
_TIME_FORMATS = ("%d-%b-%Y %H:%M:%S",)
_MASTERS = DailyCache()
_SESSIONS: dict[tuple[str, str, str], tuple[str, dt.datetime | None]] = {}
_SESSIONS_LOCK = threading.Lock()


def order_result(order: Mapping[str, Any]) -> OrderResult:
    filled = to_int(order.get("filledshares"))
    average = to_decimal(order.get("averageprice"))
    status = str(order.get("status") or order.get("orderstatus") or "").lower()
    return OrderResult(
        broker_order_id=str(order.get("orderid")),
        tag=str(order.get("ordertag") or ""),
        status=STATUSES.get(status, OrderStatus.OPEN),
        side=Side(str(order.get("transactiontype")).upper()),
        quantity=to_int(order.get("quantity")),
        filled_quantity=filled,
        average_price=average if filled and average else None,
        message=str(order.get("text") or ""),
        placed_at=ist_to_utc(order.get("updatetime"), _TIME_FORMATS),
        raw=dict(order),
    )


def forget_sessions() -> None:
    with _SESSIONS_LOCK:
        _SESSIONS.clear()


class AngelOneBroker(BrokerAdapter):
    name = "angelone"
    display_name = "Angel One"
    credential_fields = (
        CredentialField("api_key", "SmartAPI key"),
        CredentialField("client_code", "Client code", secret=False),
        CredentialField("pin", "PIN"),
        CredentialField("totp_secret", "TOTP secret (the base32 key behind the authenticator QR code)"),
    )

    def __init__(
        self, *, account_ref: str, credentials: Mapping[str, str], options: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(account_ref=account_ref, credentials=credentials, options=options)
        self.api_root: str = (self.options.get("api_root") or DEFAULT_API_ROOT).rstrip("/")
        self.timeout = float(self.options.get("timeout") or DEFAULT_TIMEOUT)
        self._client: AngelClient | None = None

    @property
    def client(self) -> AngelClient:
        if self._client is None:
            self._client = AngelClient(
                api_key=self.credentials.get("api_key", ""),
                base_url=self.api_root,
                timeout=self.timeout,
                local_ip=self.options.get("client_local_ip") or "127.0.0.1",
                public_ip=self.options.get("client_public_ip") or "127.0.0.1",
                mac_address=self.options.get("mac_address") or "00:00:00:00:00:00",
            )
        return self._client

    # -- session ----------------------------------------------------------------------------

    def _session_key(self) -> tuple[str, str, str]:
        key_hash = hashlib.sha256(self.credentials.get("api_key", "").encode()).hexdigest()
        return self.api_root, self.credentials.get("client_code", ""), key_hash

    def login(self) -> str:
        """generateSession: client code + PIN + current TOTP -> JWT (also refreshToken, feedToken)."""
        for field in ("api_key", "client_code", "pin", "totp_secret"):
            if not self.credentials.get(field):
                raise BrokerError(f"Angel One: {field} is missing", kind=ErrorKind.CREDENTIALS)
        body = {
            "clientcode": self.credentials["client_code"],
            "password": self.credentials["pin"],
            "totp": totp(self.credentials["totp_secret"]),
        }
        try:
            data = self.client.request("POST", "login", json_body=body)
        except BrokerError as exc:
            if exc.final:  # a refused login is about the credentials, whatever code Angel used
                raise BrokerError(exc.message, kind=ErrorKind.CREDENTIALS, raw=exc.raw) from exc
            raise
        jwt = str((data or {}).get("jwtToken") or "").removeprefix("Bearer ")
        if not jwt:
            raise BrokerError("Angel One: login reply had no token", kind=ErrorKind.UNKNOWN, raw=data)
        with _SESSIONS_LOCK:
            _SESSIONS[self._session_key()] = (jwt, jwt_expiry(jwt))
        return jwt

    def _jwt(self) -> str:
        with _SESSIONS_LOCK:
            cached = _SESSIONS.get(self._session_key())
        if cached is not None and (cached[1] is None or cached[1] > now_utc() + dt.timedelta(minutes=1)):
            return cached[0]
        return self.login()

    def _call(self, method: str, route: str, **kwargs: Any) -> Any:
        jwt = self._jwt()
        try:
            return self.client.request(method, route, jwt=jwt, **kwargs)
        except BrokerError as exc:
            if exc.kind is ErrorKind.TOKEN:
                with _SESSIONS_LOCK:  # the next call logs in afresh; this one stays failed
                    if _SESSIONS.get(self._session_key(), ("",))[0] == jwt:
                        del _SESSIONS[self._session_key()]
            raise

    # -- instruments ------------------------------------------------------------------------

    def symbol_tokens(self) -> Mapping[tuple[str, str], tuple[str, str]]:
        """(exchange, symbol) -> (symbol token, Angel trading symbol)."""
        pinned = self.options.get("symbol_tokens")
        if pinned is not None:
            result = {}
            for key, token in pinned.items():
                exchange, symbol = key.split(":", 1)
                result[(exchange, symbol)] = (str(token), f"{symbol}-EQ" if exchange == "NSE" else symbol)
            return result
        url = self.options.get("scrip_master_url") or DEFAULT_SCRIP_MASTER_URL
        return _MASTERS.get(url, lambda: self.client.download_scrip_master(url))

    def _instrument(self, symbol: str, exchange: str) -> tuple[str, str]:
        if exchange not in ("NSE", "BSE"):
            raise input_error(f"Angel One adapter trades NSE and BSE equities, not {exchange}")
        found = self.symbol_tokens().get((exchange, symbol))
        if found is None:
            raise input_error(f"Angel One has no instrument {exchange}:{symbol}")
        return found

    # -- BrokerAdapter ----------------------------------------------------------------------

    def validate_credentials(self) -> AccountCheck:
        errors = self.check_credential_shape(self.credentials)
        if errors:
            raise BrokerError(
                f"Invalid Angel One credentials: {', '.join(sorted(errors))}", kind=ErrorKind.CREDENTIALS, raw=errors
            )
        jwt = self.login()  # proves PIN and TOTP seed, not just a cached session
        data = self._call("GET", "profile") or {}
        return AccountCheck(
            account_name=str(data.get("name") or data.get("clientcode") or self.account_ref),
            token_valid_until=jwt_expiry(jwt),
        )

    def submit(self, order: OrderRequest) -> OrderResult:
        check_order(order, max_tag_length=TAG_MAX, broker="Angel One")
        token, trading_symbol = self._instrument(order.symbol, order.exchange)
        order_type = OrderType(order.order_type)
        side = Side(order.side)
        price = to_decimal(order.price)
        protection = market_protection_percent(self.options)
        if protection is not None and order_type is OrderType.MARKET:
            last = self.quote(order.symbol, order.exchange).last_price
            order_type, price = OrderType.LIMIT, protected_limit_price(side, last, protection)
        body = {
            "variety": "STOPLOSS" if order_type in (OrderType.SL, OrderType.SL_M) else VARIETY,
            "tradingsymbol": trading_symbol,
            "symboltoken": token,
            "transactiontype": side.value,
            "exchange": order.exchange,
            "ordertype": ORDER_TYPES[order_type],
            "producttype": PRODUCTS.get(order.product, order.product),
            "duration": "DAY",
            "price": price_text(price) if order_type in (OrderType.LIMIT, OrderType.SL) else "0",
            "triggerprice": price_text(to_decimal(order.trigger_price)),
            "squareoff": "0",
            "stoploss": "0",
            "quantity": str(order.quantity),
            "ordertag": order.tag,
        }
        ensure_send_window(order)
        placed = self._call("POST", "place", json_body=body) or {}
        order_id = str(placed.get("orderid") or "")
        if not order_id:
            raise BrokerError("Angel One: placement reply had no order id", kind=ErrorKind.UNKNOWN, raw=placed)
        found = self._read(order_id, placed.get("uniqueorderid"))
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
                f"Angel One rejected the order: {found.message or 'no reason given'}",
                kind=ErrorKind.REJECTED,
                raw=found,
            )
        return found

    def _read(self, order_id: str, unique_order_id: Any) -> OrderResult | None:
        """One order's state: by its unique id when we have it, else from the order book."""
        try:
            if unique_order_id:
                data = self._call("GET", "details", path_args={"unique_order_id": str(unique_order_id)})
                return order_result(data) if data else None
            book = self._call("GET", "order_book") or []
        except BrokerError:
            return None
        matches = [o for o in book if str(o.get("orderid")) == order_id]
        return order_result(matches[-1]) if matches else None

    def cancel(self, broker_order_id: str) -> OrderResult:
        data = self._call("POST", "cancel", json_body={"variety": VARIETY, "orderid": broker_order_id}) or {}
        found = self._read(broker_order_id, data.get("uniqueorderid"))
        if found is None:
            raise BrokerError(f"Angel One: order {broker_order_id} not found after cancelling", kind=ErrorKind.UNKNOWN)
        return found

    def order_by_tag(self, tag: str) -> list[OrderResult]:
        book = self._call("GET", "order_book") or []  # Angel sends data: null for an empty book
        return [order_result(o) for o in book if str(o.get("ordertag") or "") == tag]

    def positions(self) -> list[Position]:
        rows = self._call("GET", "positions") or []
        by_token = {(exchange, token): symbol for (exchange, symbol), (token, _) in self.symbol_tokens().items()}
        result = []
        for p in rows:
            exchange = str(p.get("exchange"))
            symbol = by_token.get((exchange, str(p.get("symboltoken"))))
            if symbol is None:
                symbol = str(p.get("tradingsymbol") or "").removesuffix("-EQ")
            result.append(
                Position(
                    symbol=symbol,
                    exchange=exchange,
                    quantity=to_int(p.get("netqty")),
                    average_price=to_decimal(p.get("avgnetprice")) or Decimal(0),
                    realised_pnl=to_decimal(p.get("realised")) or Decimal(0),
                    last_price=to_decimal(p.get("ltp")),
                )
            )
        return result

    def quote(self, symbol: str, exchange: str) -> Quote:
        token, trading_symbol = self._instrument(symbol, exchange)
        body = {"exchange": exchange, "tradingsymbol": trading_symbol, "symboltoken": token}
        data = self._call("POST", "ltp", json_body=body) or {}
        price = to_decimal(data.get("ltp"))
        if price is None or price <= 0:
            raise BrokerError(f"Angel One has no price for {exchange}:{symbol}", kind=ErrorKind.INPUT, raw=data)
        return Quote(symbol=symbol, exchange=exchange, last_price=price, timestamp=now_utc())
