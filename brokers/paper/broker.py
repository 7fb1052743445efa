"""A simulated broker whose book lives in Redis, so every process sees the same accounts.

Fills happen at submit time at the simulator's last price (`price:{symbol}`, falling back to
the universe reference price); orders that are not marketable stay OPEN until cancelled (there
is no matching engine sweeping them later). Faults are described in `brokers.paper.faults`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import redis

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
from brokers.paper.faults import Faults, parse_faults
from brokers.paper.store import (
    DEFAULT_REDIS_URL,
    GLOBAL_FAULTS_KEY,
    account_prefix,
    check_account_ref,
    get_connection,
    keys_for,
    parse_position_fields,
    position_field,
    price_key,
    record_args,
)
from brokers.universe import Instrument, get_instrument

logger = logging.getLogger(__name__)

PAISE = Decimal("0.01")


def _now_iso(timestamp: float | None = None) -> str:
    moment = time.time() if timestamp is None else timestamp
    return dt.datetime.fromtimestamp(moment, tz=dt.UTC).isoformat(timespec="microseconds")


def _hit(rate: float) -> bool:
    # Only draw when a rate is set, so seeded tests are not perturbed by fault-free calls.
    return rate > 0 and random.random() < rate


def _to_paise(price: Decimal) -> int:
    return int(price * 100)


@contextlib.contextmanager
def _store_errors() -> Iterator[None]:
    # Redis is this broker's network: a failure talking to it means the outcome is unknown.
    try:
        yield
    except redis.RedisError as exc:
        raise BrokerError(f"Paper broker store error: {exc}", kind=ErrorKind.UNKNOWN, raw=repr(exc)) from exc


@dataclasses.dataclass(frozen=True, slots=True)
class _Checked:
    instrument: Instrument
    side: Side
    order_type: OrderType
    price: Decimal | None
    trigger_price: Decimal | None


def _input_error(message: str) -> BrokerError:
    return BrokerError(message, kind=ErrorKind.INPUT)


def _price_arg(value: Any, name: str, tick: Decimal) -> Decimal:
    try:
        price = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise _input_error(f"{name} is not a number: {value!r}") from exc
    if not price.is_finite() or price <= 0:
        raise _input_error(f"{name} must be positive, got {value!r}")
    if price % tick != 0:
        raise _input_error(f"{name} {price} is not a multiple of the tick size {tick}")
    return price


def _result(order: Mapping[str, Any]) -> OrderResult:
    average = order.get("average_price")
    placed_at = order.get("placed_at")
    return OrderResult(
        broker_order_id=order["broker_order_id"],
        tag=order["tag"],
        status=OrderStatus(order["status"]),
        side=Side(order["side"]),
        quantity=int(order["quantity"]),
        filled_quantity=int(order.get("filled_quantity") or 0),
        average_price=Decimal(average) if average is not None else None,
        message=order.get("message") or "",
        placed_at=dt.datetime.fromisoformat(placed_at) if placed_at else None,
        raw=dict(order),
    )


class PaperBroker(BrokerAdapter):
    name = "paper"
    display_name = "Paper broker"
    credential_fields = (
        CredentialField("api_key", "API key", required=False),
        CredentialField("api_secret", "API secret", required=False),
    )

    def __init__(
        self, *, account_ref: str, credentials: Mapping[str, str], options: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(account_ref=account_ref, credentials=credentials, options=options)
        check_account_ref(account_ref)
        self.redis_url: str = self.options.get("redis_url") or DEFAULT_REDIS_URL
        self._conn = get_connection(self.redis_url)
        self._prefix = account_prefix(account_ref)

    # -- plumbing ---------------------------------------------------------------------------

    def _read(self, *reads: Callable[[Any], Any]) -> tuple[Faults, list[Any]]:
        """Faults plus the caller's reads in one round trip; then apply the faults every call
        suffers (expired token, latency)."""
        with _store_errors():
            pipe = self._conn.client.pipeline(transaction=False)
            pipe.hgetall(GLOBAL_FAULTS_KEY)
            pipe.hgetall(self._prefix + "faults")
            for read in reads:
                read(pipe)
            results = pipe.execute()
        faults = parse_faults(results[0], results[1])
        if faults.token_expired:
            raise BrokerError("Paper broker: access token expired (simulated)", kind=ErrorKind.TOKEN)
        if faults.latency_ms > 0:
            time.sleep(faults.latency_ms / 1000)
        return faults, results[2:]

    def _last_price(self, raw: str | None, instrument: Instrument) -> Decimal:
        if raw is not None:
            try:
                price = Decimal(raw)
            except InvalidOperation:
                price = Decimal(0)
            if price.is_finite() and price > 0:
                return price.quantize(PAISE, rounding=ROUND_HALF_UP)
            logger.warning("paper broker: ignoring bad price %r for %s", raw, instrument.symbol)
        return instrument.reference_price

    def _check(self, order: OrderRequest) -> _Checked:
        if not isinstance(order.tag, str) or not order.tag:
            raise _input_error("Order tag is required")
        instrument = get_instrument(order.symbol, order.exchange)
        if instrument is None:
            raise _input_error(f"Unknown instrument {order.exchange}:{order.symbol}")
        if isinstance(order.quantity, bool) or not isinstance(order.quantity, int) or order.quantity <= 0:
            raise _input_error(f"Quantity must be a positive whole number, got {order.quantity!r}")
        if order.quantity % instrument.lot_size:
            raise _input_error(f"Quantity must be a multiple of the lot size {instrument.lot_size}")
        try:
            side = Side(order.side)
            order_type = OrderType(order.order_type)
        except ValueError as exc:
            raise _input_error(str(exc)) from exc
        price = trigger = None
        if order_type in (OrderType.LIMIT, OrderType.SL):
            if order.price is None:
                raise _input_error(f"{order_type.value} orders need a price")
            price = _price_arg(order.price, "price", instrument.tick_size)
        if order_type in (OrderType.SL, OrderType.SL_M):
            if order.trigger_price is None:
                raise _input_error(f"{order_type.value} orders need a trigger price")
            trigger = _price_arg(order.trigger_price, "trigger price", instrument.tick_size)
        return _Checked(instrument, side, order_type, price, trigger)

    @staticmethod
    def _match(checked: _Checked, last: Decimal) -> tuple[OrderStatus, str]:
        buy = checked.side is Side.BUY
        if checked.trigger_price is not None:
            triggered = last >= checked.trigger_price if buy else last <= checked.trigger_price
            if not triggered:
                return OrderStatus.OPEN, "Trigger pending"
        if checked.price is not None:
            marketable = checked.price >= last if buy else checked.price <= last
            if not marketable:
                return OrderStatus.OPEN, "Open at limit price"
        return OrderStatus.FILLED, ""

    def _record(
        self, order: OrderRequest, checked: _Checked, status: OrderStatus, message: str, fill: Decimal | None
    ) -> dict[str, Any]:
        placed_at = _now_iso()
        filled = status is OrderStatus.FILLED
        stored: dict[str, Any] = {
            "tag": order.tag,
            "account_ref": self.account_ref,
            "symbol": checked.instrument.symbol,
            "exchange": order.exchange,
            "side": checked.side.value,
            "quantity": order.quantity,
            "filled_quantity": order.quantity if filled else 0,
            "product": order.product,
            "order_type": checked.order_type.value,
            "price": str(checked.price) if checked.price is not None else None,
            "trigger_price": str(checked.trigger_price) if checked.trigger_price is not None else None,
            "average_price": str(fill) if filled and fill is not None else None,
            "status": status.value,
            "message": message,
            "algo_id": order.algo_id,
            "placed_at": placed_at,
        }
        deltas: list[tuple[str, int]] = []
        if filled and fill is not None:
            leg = "b" if checked.side is Side.BUY else "s"
            deltas = [
                (position_field(order.exchange, checked.instrument.symbol, leg + "q"), order.quantity),
                (
                    position_field(order.exchange, checked.instrument.symbol, leg + "v"),
                    order.quantity * _to_paise(fill),
                ),
            ]
        tail = json.dumps(stored, separators=(",", ":"))[1:]
        with _store_errors():
            order_id = self._conn.record(
                keys=keys_for(self.account_ref, order.tag), args=record_args(tail, order.tag, deltas)
            )
        return {"broker_order_id": order_id, **stored}

    # -- BrokerAdapter ----------------------------------------------------------------------

    def validate_credentials(self) -> AccountCheck:
        errors = self.check_credential_shape(self.credentials)
        if errors:
            raise BrokerError(
                f"Invalid paper credentials: {', '.join(sorted(errors))}", kind=ErrorKind.CREDENTIALS, raw=errors
            )
        self._read()
        return AccountCheck(account_name=f"Paper {self.account_ref}")

    def submit(self, order: OrderRequest) -> OrderResult:
        checked = self._check(order)
        symbol_price = price_key(checked.instrument.symbol)
        faults, (raw_price,) = self._read(lambda pipe: pipe.get(symbol_price))
        if faults.latency_ms > 0:
            # The order "arrives" after the latency; it must meet the price of that moment.
            with _store_errors():
                raw_price = self._conn.client.get(symbol_price)
        ensure_send_window(order)  # the latency above is spent before the order reaches the book
        if _hit(faults.rate_limit_rate):
            raise BrokerError("Paper broker: too many requests (simulated)", kind=ErrorKind.RATE_LIMIT)
        if _hit(faults.timeout_rate):
            time.sleep(faults.timeout_ms / 1000)
            raise BrokerError("Paper broker: request timed out (simulated, order not placed)", kind=ErrorKind.UNKNOWN)
        if _hit(faults.reject_rate):
            stored = self._record(order, checked, OrderStatus.REJECTED, "Rejected by paper broker (simulated)", None)
            raise BrokerError(stored["message"], kind=ErrorKind.REJECTED, raw=stored)
        last = self._last_price(raw_price, checked.instrument)
        status, message = self._match(checked, last)
        stored = self._record(order, checked, status, message, last)
        if _hit(faults.lose_reply_rate):
            raise BrokerError(
                "Paper broker: reply lost (simulated, order was placed)", kind=ErrorKind.UNKNOWN, raw=stored
            )
        return _result(stored)

    def cancel(self, broker_order_id: str) -> OrderResult:
        self._read()
        with _store_errors():
            reply = self._conn.cancel(keys=[self._prefix + "orders"], args=[broker_order_id, "Cancelled", _now_iso()])
        if reply[0] == 0:
            raise _input_error(f"Unknown order {broker_order_id}")
        order = json.loads(reply[1])
        if reply[0] == 1:
            raise BrokerError(
                f"Order {broker_order_id} is {order['status']}; only OPEN orders can be cancelled",
                kind=ErrorKind.INPUT,
                raw=order,
            )
        return _result(order)

    def order_by_tag(self, tag: str) -> list[OrderResult]:
        _, (ids,) = self._read(lambda pipe: pipe.lrange(self._prefix + "tag:" + tag, 0, -1))
        if not ids:
            return []
        with _store_errors():
            raws = self._conn.client.hmget(self._prefix + "orders", ids)
        return [_result(json.loads(raw)) for raw in raws if raw is not None]

    def positions(self) -> list[Position]:
        _, (fields,) = self._read(lambda pipe: pipe.hgetall(self._prefix + "positions"))
        grouped = sorted(parse_position_fields(fields).items())
        if not grouped:
            return []
        with _store_errors():
            prices = self._conn.client.mget([price_key(symbol) for (_, symbol), _ in grouped])
        result = []
        for ((exchange, symbol), totals), raw_price in zip(grouped, prices, strict=True):
            instrument = get_instrument(symbol, exchange)
            last = self._last_price(raw_price, instrument) if instrument is not None else None
            result.append(_position(exchange, symbol, totals, last))
        return result

    def quote(self, symbol: str, exchange: str) -> Quote:
        instrument = get_instrument(symbol, exchange)
        if instrument is None:
            raise _input_error(f"Unknown instrument {exchange}:{symbol}")
        _, (raw_price,) = self._read(lambda pipe: pipe.get(price_key(symbol)))
        return Quote(
            symbol=symbol,
            exchange=exchange,
            last_price=self._last_price(raw_price, instrument),
            timestamp=dt.datetime.now(dt.UTC),
        )


def _position(exchange: str, symbol: str, totals: Mapping[str, int], last: Decimal | None) -> Position:
    """Day-position convention of Indian brokers: average price is the average of the side
    that is open; realised P&L is closed quantity x (average sell - average buy)."""
    bq, bv, sq, sv = totals["bq"], totals["bv"], totals["sq"], totals["sv"]
    net = bq - sq
    avg_buy = Decimal(bv) / bq / 100 if bq else Decimal(0)
    avg_sell = Decimal(sv) / sq / 100 if sq else Decimal(0)
    average = avg_buy if net > 0 else avg_sell if net < 0 else Decimal(0)
    closed = min(bq, sq)
    realised = closed * (avg_sell - avg_buy) if closed else Decimal(0)
    return Position(
        symbol=symbol,
        exchange=exchange,
        quantity=net,
        average_price=average.quantize(PAISE, rounding=ROUND_HALF_UP),
        realised_pnl=realised.quantize(PAISE, rounding=ROUND_HALF_UP),
        last_price=last,
    )
