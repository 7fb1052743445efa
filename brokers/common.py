"""Helpers shared by the live-broker adapters: order checks, prices, times, and a small HTTP
client that turns transport failures into `BrokerError`s.

Plain Python like the rest of `brokers/`: no Django here.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import threading
from collections.abc import Callable, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from brokers.base import BrokerError, ErrorKind, OrderRequest, OrderType, Side

IST = ZoneInfo("Asia/Kolkata")
DEFAULT_TIMEOUT = 7.0
TICK = Decimal("0.05")
_ALNUM = re.compile(r"[A-Za-z0-9]+")


def input_error(message: str, raw: Any = None) -> BrokerError:
    return BrokerError(message, kind=ErrorKind.INPUT, raw=raw)


def check_order(order: OrderRequest, *, max_tag_length: int, broker: str) -> None:
    """Refuse, before any network call, what no broker accepts (final INPUT errors)."""
    if not isinstance(order.tag, str) or not _ALNUM.fullmatch(order.tag) or len(order.tag) > max_tag_length:
        raise input_error(f"{broker} needs an alphanumeric order tag of at most {max_tag_length} characters")
    if isinstance(order.quantity, bool) or not isinstance(order.quantity, int) or order.quantity <= 0:
        raise input_error(f"Quantity must be a positive whole number, got {order.quantity!r}")
    if not order.symbol or not order.exchange:
        raise input_error("Symbol and exchange are required")
    try:
        order_type = OrderType(order.order_type)
        Side(order.side)
    except ValueError as exc:
        raise input_error(str(exc)) from exc
    if order_type in (OrderType.LIMIT, OrderType.SL) and order.price is None:
        raise input_error(f"{order_type.value} orders need a price")
    if order_type in (OrderType.SL, OrderType.SL_M) and order.trigger_price is None:
        raise input_error(f"{order_type.value} orders need a trigger price")
    for name in ("price", "trigger_price"):
        value = getattr(order, name)
        if value is not None:
            number = to_decimal(value)
            if number is None or number <= 0:
                raise input_error(f"{name} must be a positive number, got {value!r}")


def to_decimal(value: Any) -> Decimal | None:
    """A broker's number (str, int, float or Decimal) as a Decimal; None when absent or junk."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def to_int(value: Any) -> int:
    number = to_decimal(value)
    return int(number) if number is not None else 0


def price_text(value: Decimal | None) -> str:
    return "0" if value is None else format(value, "f")


def protected_limit_price(side: Side, last_price: Decimal, percent: Decimal, tick: Decimal = TICK) -> Decimal:
    """The LIMIT price that stands in for a MARKET order with market protection: at most `percent`
    worse than the last price, rounded to the tick towards the last price (never beyond the band)."""
    if percent <= 0:
        raise input_error("Market protection must be a positive percentage")
    band = last_price * percent / 100
    if side is Side.BUY:
        price = ((last_price + band) / tick).to_integral_value(rounding=ROUND_FLOOR) * tick
    else:
        price = ((last_price - band) / tick).to_integral_value(rounding=ROUND_CEILING) * tick
    return max(price, tick)


def market_protection_percent(options: Mapping[str, Any]) -> Decimal | None:
    """options["market_protection_pct"]: when set, MARKET orders go out as protected LIMIT orders."""
    raw = options.get("market_protection_pct")
    if raw is None:
        return None
    percent = to_decimal(raw)
    if percent is None or percent <= 0:
        raise input_error(f"market_protection_pct must be a positive number, got {raw!r}")
    return percent


def ist_to_utc(text: Any, formats: tuple[str, ...]) -> dt.datetime | None:
    """A broker's naive Indian-time timestamp (string or naive datetime) as an aware UTC datetime."""
    if isinstance(text, dt.datetime):
        moment = text if text.tzinfo is not None else text.replace(tzinfo=IST)
        return moment.astimezone(dt.UTC)
    if not isinstance(text, str) or not text:
        return None
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=IST).astimezone(dt.UTC)
        except ValueError:
            continue
    return None


def next_ist_time(after: dt.datetime, hour: int, minute: int = 0) -> dt.datetime:
    """The first hour:minute in Indian time strictly after `after`, as UTC."""
    local = after.astimezone(IST)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate.astimezone(dt.UTC)


def jwt_expiry(token: str | None) -> dt.datetime | None:
    """The `exp` claim of a JWT, read without verifying it (only to tell the user when to log in
    again; the broker is the one that checks the signature)."""
    if not token or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return dt.datetime.fromtimestamp(int(claims["exp"]), tz=dt.UTC)
    except (binascii.Error, ValueError, KeyError, TypeError, OverflowError):
        return None


class DailyCache:
    """Values (instrument masters) kept per key for one Indian trading day, shared by every
    adapter in the process: adapters are built per task, masters change once a day."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[Any, tuple[dt.date, Any]] = {}

    def get(self, key: Any, load: Callable[[], Any]) -> Any:
        today = now_utc().astimezone(IST).date()
        with self._lock:
            hit = self._values.get(key)
        if hit is not None and hit[0] == today:
            return hit[1]
        value = load()  # outside the lock: a slow download must not block other keys
        with self._lock:
            self._values[key] = (today, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def json_loads(content: bytes | str) -> Any:
    """JSON with exact prices: floats become Decimals."""
    return json.loads(content, parse_float=Decimal)


class HttpClient:
    """httpx with one rule: any transport failure (timeout, refused, reset) is an UNKNOWN outcome.

    A request that failed in transit may still have reached the broker, so the caller must look
    the order up by tag before sending it again. Never retries.
    """

    def __init__(self, *, broker: str, base_url: str, timeout: float, headers: Mapping[str, str] | None = None) -> None:
        self.broker = broker
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(timeout=timeout, headers=dict(headers or {}), follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        url: str | None = None,
    ) -> httpx.Response:
        target = url if url is not None else self.base_url + path
        content = None
        extra = dict(headers or {})
        if json_body is not None:
            content = json.dumps(json_body, default=_json_default).encode()
            extra.setdefault("Content-Type", "application/json")
        try:
            return self._client.request(method, target, content=content, params=params, headers=extra)
        except httpx.TimeoutException as exc:
            raise BrokerError(
                f"{self.broker}: no reply within the timeout ({type(exc).__name__}); the outcome is unknown",
                kind=ErrorKind.UNKNOWN,
                raw=repr(exc),
            ) from exc
        except httpx.HTTPError as exc:
            raise BrokerError(
                f"{self.broker}: network error ({type(exc).__name__}); the outcome is unknown",
                kind=ErrorKind.UNKNOWN,
                raw=repr(exc),
            ) from exc


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def kind_for_status(status: int) -> ErrorKind:
    """The fallback classification of an HTTP error status when the body says nothing clearer."""
    if status == 429:
        return ErrorKind.RATE_LIMIT
    if status >= 500:
        return ErrorKind.UNKNOWN
    if status == 401:
        return ErrorKind.TOKEN
    if status == 403:
        return ErrorKind.CREDENTIALS
    return ErrorKind.INPUT
