"""Zerodha through the official `kiteconnect` client (REST only; ticks: `brokers.zerodha.ticker`).

Options: api_root (default https://api.kite.trade), timeout (seconds, default 7), login_url
(default https://kite.zerodha.com/connect/login), variety (default "regular"), and
market_protection (-1 for Kite's automatic protection, or a percentage up to 100) sent with
MARKET orders where brokers now require it.

`kiteconnect` is imported on first use: it imports Twisted (for its ticker) at import time,
which processes that never talk to Kite should not pay for.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar
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
    ist_to_utc,
    next_ist_time,
    now_utc,
    price_text,
    to_decimal,
    to_int,
)
from brokers.zerodha.instruments import InstrumentMaster

if TYPE_CHECKING:
    from kiteconnect import KiteConnect

logger = logging.getLogger(__name__)

DEFAULT_API_ROOT = "https://api.kite.trade"
DEFAULT_LOGIN_URL = "https://kite.zerodha.com/connect/login"
TAG_MAX = 20
TOKEN_RESET_HOUR_IST = 6  # Kite access tokens stop working at about 06:00 IST the next day
_KITE_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S",)
_FINAL_STATES = {"COMPLETE": OrderStatus.FILLED, "REJECTED": OrderStatus.REJECTED, "CANCELLED": OrderStatus.CANCELLED}
T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class KiteSession:
    """What the login flow yields. Store access_token with the account's credentials."""

    access_token: str = dataclasses.field(repr=False)
    user_id: str
    user_name: str
    valid_until: dt.datetime


def kite_error(exc: Exception) -> BrokerError:
    """A kiteconnect or requests exception as our error. The exception type is the OMS's own
    classification, so it wins over the HTTP status, except 429 (rate limit) and unclassified
    GeneralExceptions, which fall back to the status."""
    import requests
    from kiteconnect import exceptions as kex

    message = str(exc) or type(exc).__name__
    code = getattr(exc, "code", None)
    if isinstance(exc, kex.KiteException):
        if code == 429:
            kind = ErrorKind.RATE_LIMIT
        elif isinstance(exc, kex.TokenException):
            kind = ErrorKind.TOKEN
        elif isinstance(exc, kex.PermissionException):
            kind = ErrorKind.CREDENTIALS
        elif isinstance(exc, kex.InputException):
            kind = ErrorKind.INPUT
        elif isinstance(exc, kex.OrderException):
            kind = ErrorKind.REJECTED
        elif isinstance(exc, kex.NetworkException | kex.DataException):
            kind = ErrorKind.UNKNOWN
        elif isinstance(code, int) and 400 <= code < 500:
            kind = ErrorKind.INPUT
        else:
            kind = ErrorKind.UNKNOWN
        return BrokerError(f"Kite: {message}", kind=kind, raw={"error_type": type(exc).__name__, "code": code})
    if isinstance(exc, requests.RequestException):
        return BrokerError(
            f"Kite: network error ({type(exc).__name__}); the outcome is unknown",
            kind=ErrorKind.UNKNOWN,
            raw=repr(exc),
        )
    # Anything else (a malformed reply the client choked on): we cannot tell what happened.
    return BrokerError(f"Kite: unexpected error ({type(exc).__name__})", kind=ErrorKind.UNKNOWN, raw=repr(exc))


def order_result(order: Mapping[str, Any]) -> OrderResult:
    """A Kite order (from /orders or the last entry of /orders/{id}) as our result."""
    raw_status = str(order.get("status") or "")
    status = _FINAL_STATES.get(raw_status)
    if status is None:
        # OPEN, TRIGGER PENDING and the transient states (PUT ORDER REQ RECEIVED, VALIDATION
        # PENDING, OPEN PENDING, MODIFY PENDING, CANCEL PENDING, AMO REQ RECEIVED, ...).
        status = OrderStatus.CANCELLED if raw_status.startswith("CANCELLED") else OrderStatus.OPEN
    filled = to_int(order.get("filled_quantity"))
    average = to_decimal(order.get("average_price"))
    return OrderResult(
        broker_order_id=str(order.get("order_id")),
        tag=str(order.get("tag") or ""),
        status=status,
        side=Side(order.get("transaction_type")),
        quantity=to_int(order.get("quantity")),
        filled_quantity=filled,
        average_price=average if filled and average else None,
        message=str(order.get("status_message") or ""),
        placed_at=ist_to_utc(order.get("order_timestamp"), _KITE_TIME_FORMATS),
        raw={k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in order.items()},
    )


def _has_tag(order: Mapping[str, Any], tag: str) -> bool:
    return order.get("tag") == tag or tag in (order.get("tags") or ())


class ZerodhaBroker(BrokerAdapter):
    name = "zerodha"
    display_name = "Zerodha (Kite Connect)"
    credential_fields = (
        CredentialField("api_key", "API key", secret=False),
        CredentialField("api_secret", "API secret"),
        CredentialField("access_token", "Access token", required=False),
    )

    def __init__(
        self, *, account_ref: str, credentials: Mapping[str, str], options: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(account_ref=account_ref, credentials=credentials, options=options)
        self.api_root: str = self.options.get("api_root") or DEFAULT_API_ROOT
        self.timeout = float(self.options.get("timeout") or DEFAULT_TIMEOUT)
        self.variety: str = self.options.get("variety") or "regular"
        self._kite_client: KiteConnect | None = None
        self._instruments = InstrumentMaster(self)

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def kite(self) -> KiteConnect:
        """The official client, pointed at api_root. Never retries (kiteconnect does not)."""
        if self._kite_client is None:
            from kiteconnect import KiteConnect

            self._kite_client = KiteConnect(
                self.credentials.get("api_key", ""),
                access_token=self.credentials.get("access_token") or None,
                root=self.api_root,
                timeout=self.timeout,
            )
        return self._kite_client

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One kiteconnect call; every failure becomes a BrokerError."""
        try:
            return fn(*args, **kwargs)
        except BrokerError:
            raise
        except Exception as exc:
            raise kite_error(exc) from exc

    def _require_session(self) -> None:
        if not self.credentials.get("api_key"):
            raise BrokerError("Kite: api_key is missing", kind=ErrorKind.CREDENTIALS)
        if not self.credentials.get("access_token"):
            raise BrokerError("Kite: no access token; log in to Kite first", kind=ErrorKind.TOKEN)

    # -- login ------------------------------------------------------------------------------

    def login_url(self) -> str:
        """Where the user logs in; Kite then redirects to the app's URL with ?request_token=."""
        base = self.options.get("login_url") or DEFAULT_LOGIN_URL
        return f"{base}?{urlencode({'v': 3, 'api_key': self.credentials.get('api_key', '')})}"

    def complete_login(self, request_token: str) -> KiteSession:
        """Exchange the redirect's request_token for an access token (POST /session/token with
        checksum sha256(api_key + request_token + api_secret)). The adapter uses the new token
        from now on; the caller stores it."""
        if not self.credentials.get("api_key") or not self.credentials.get("api_secret"):
            raise BrokerError("Kite: api_key and api_secret are needed to log in", kind=ErrorKind.CREDENTIALS)
        try:
            data = self.kite.generate_session(request_token, api_secret=self.credentials["api_secret"])
        except Exception as exc:
            error = kite_error(exc)
            # A bad checksum means a wrong api_secret; any other token error, a stale request_token.
            if error.kind is ErrorKind.TOKEN and "checksum" in error.message.lower():
                error = BrokerError(error.message, kind=ErrorKind.CREDENTIALS, raw=error.raw)
            raise error from exc
        login_time = ist_to_utc(data.get("login_time"), _KITE_TIME_FORMATS) or now_utc()
        self.credentials["access_token"] = data["access_token"]
        self._kite_client = None
        return KiteSession(
            access_token=data["access_token"],
            user_id=str(data.get("user_id") or ""),
            user_name=str(data.get("user_name") or ""),
            valid_until=next_ist_time(login_time, TOKEN_RESET_HOUR_IST),
        )

    # -- instruments ------------------------------------------------------------------------

    def instrument_token(self, symbol: str, exchange: str = "NSE") -> int:
        """Kite's instrument_token for a trading symbol (from the day's instrument master)."""
        return self._instruments.token(symbol, exchange)

    def instrument_tokens(self, symbols: Iterable[str], exchange: str = "NSE") -> dict[str, int]:
        return {symbol: self._instruments.token(symbol, exchange) for symbol in symbols}

    # -- BrokerAdapter ----------------------------------------------------------------------

    def validate_credentials(self) -> AccountCheck:
        errors = self.check_credential_shape(self.credentials)
        if errors:
            raise BrokerError(
                f"Invalid Kite credentials: {', '.join(sorted(errors))}", kind=ErrorKind.CREDENTIALS, raw=errors
            )
        self._require_session()
        profile = self.call(self.kite.profile)
        name = profile.get("user_name") or profile.get("user_id") or self.account_ref
        # The profile does not say when the token was issued; it works until the next reset.
        return AccountCheck(account_name=str(name), token_valid_until=next_ist_time(now_utc(), TOKEN_RESET_HOUR_IST))

    def submit(self, order: OrderRequest) -> OrderResult:
        check_order(order, max_tag_length=TAG_MAX, broker="Kite")
        self._require_session()
        order_type = OrderType(order.order_type)
        params: dict[str, Any] = {
            "variety": self.variety,
            "exchange": order.exchange,
            "tradingsymbol": order.symbol,
            "transaction_type": Side(order.side).value,
            "quantity": order.quantity,
            "product": order.product,
            "order_type": order_type.value,
            "validity": "DAY",
            "tag": order.tag,
        }
        if order.price is not None and order_type in (OrderType.LIMIT, OrderType.SL):
            params["price"] = price_text(to_decimal(order.price))
        if order.trigger_price is not None and order_type in (OrderType.SL, OrderType.SL_M):
            params["trigger_price"] = price_text(to_decimal(order.trigger_price))
        protection = self.options.get("market_protection")
        if protection is not None and order_type in (OrderType.MARKET, OrderType.SL_M):
            params["market_protection"] = protection
        if order.algo_id:
            params["algo_id"] = order.algo_id
        ensure_send_window(order)
        order_id = self.call(self.kite.place_order, **params)
        result = self._after_placement(str(order_id), order)
        if result.status is OrderStatus.REJECTED:
            raise BrokerError(
                f"Kite rejected the order: {result.message or 'no reason given'}", kind=ErrorKind.REJECTED, raw=result
            )
        return result

    def _after_placement(self, order_id: str, order: OrderRequest) -> OrderResult:
        """The order's state right after placement. Kite answers a placement with the id only
        and rejects (margin, RMS) asynchronously, so one history read follows. If that read
        fails the order still exists: report it OPEN and let the engine reconcile by tag."""
        try:
            history = self.call(self.kite.order_history, order_id)
        except BrokerError as exc:
            logger.warning("kite: order %s placed but its status could not be read: %s", order_id, exc.message)
            history = []
        if history:
            return order_result(history[-1])
        return OrderResult(
            broker_order_id=order_id,
            tag=order.tag,
            status=OrderStatus.OPEN,
            side=Side(order.side),
            quantity=order.quantity,
            message="Placed; status not read yet",
        )

    def cancel(self, broker_order_id: str) -> OrderResult:
        self._require_session()
        self.call(self.kite.cancel_order, self.variety, broker_order_id)
        history = self.call(self.kite.order_history, broker_order_id)
        if not history:
            raise BrokerError(f"Kite: order {broker_order_id} has no history", kind=ErrorKind.UNKNOWN)
        return order_result(history[-1])

    def order_by_tag(self, tag: str) -> list[OrderResult]:
        self._require_session()
        orders = self.call(self.kite.orders)
        return [order_result(o) for o in orders if _has_tag(o, tag)]

    def positions(self) -> list[Position]:
        self._require_session()
        data = self.call(self.kite.positions)
        result = []
        for p in data.get("net") or []:
            result.append(
                Position(
                    symbol=str(p.get("tradingsymbol")),
                    exchange=str(p.get("exchange")),
                    quantity=to_int(p.get("quantity")),
                    average_price=to_decimal(p.get("average_price")) or Decimal(0),
                    realised_pnl=to_decimal(p.get("realised")) or Decimal(0),
                    last_price=to_decimal(p.get("last_price")),
                )
            )
        return result

    def quote(self, symbol: str, exchange: str) -> Quote:
        self._require_session()
        key = f"{exchange}:{symbol}"
        data = self.call(self.kite.ltp, key)
        price = to_decimal((data.get(key) or {}).get("last_price"))
        if price is None or price <= 0:
            raise BrokerError(f"Kite has no price for {key}", kind=ErrorKind.INPUT, raw=data)
        # /quote/ltp carries no timestamp: the price is as of now.
        return Quote(symbol=symbol, exchange=exchange, last_price=price, timestamp=now_utc())
