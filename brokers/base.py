"""The one interface every broker adapter implements.

Adapters are plain Python (no Django import) so they can be tested and reused alone.
Every failure is a `BrokerError` that says whether it is final (do not retry: the broker
said no) or unknown (timeout, network error, 5xx, 429: the order may or may not exist,
look it up by tag before sending again).
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import enum
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar


class Side(enum.StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(enum.StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    SL = "SL"
    SL_M = "SL-M"


class OrderStatus(enum.StrEnum):
    OPEN = "OPEN"  # accepted by the broker, not (fully) filled yet
    FILLED = "FILLED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self is not OrderStatus.OPEN


class ErrorKind(enum.StrEnum):
    REJECTED = "rejected"  # final: the broker refused this order (margin, bad symbol, ...)
    TOKEN = "token"  # noqa: S105 - final: session expired or invalid; needs a fresh login, never retry
    CREDENTIALS = "credentials"  # final: the credentials themselves are wrong
    INPUT = "input"  # final: we sent something the broker cannot accept
    UNKNOWN = "unknown"  # timeout, network error, 5xx: outcome unknown, resolve by tag
    RATE_LIMIT = "rate_limit"  # 429: not placed as far as we know, but confirm by tag
    NOT_SENT = "not_sent"  # never written to the wire: the send window of the order closed first


FINAL_KINDS = frozenset({ErrorKind.REJECTED, ErrorKind.TOKEN, ErrorKind.CREDENTIALS, ErrorKind.INPUT})


class BrokerError(Exception):
    """The one error type adapters raise. `final` tells the engine whether to retry."""

    def __init__(self, message: str, *, kind: ErrorKind, raw: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.raw = raw

    @property
    def final(self) -> bool:
        return self.kind in FINAL_KINDS

    def __repr__(self) -> str:
        return f"BrokerError(kind={self.kind.value!r}, message={self.message!r})"


@dataclasses.dataclass(frozen=True, slots=True)
class CredentialField:
    name: str
    label: str
    required: bool = True
    secret: bool = True


@dataclasses.dataclass(frozen=True, slots=True)
class OrderRequest:
    tag: str  # our order-intent id; the broker's order tag / correlation id
    symbol: str
    exchange: str
    side: Side
    quantity: int
    product: str = "MIS"
    order_type: OrderType = OrderType.MARKET
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    algo_id: str | None = None
    # time.monotonic() after which this request must not be written any more (None: no limit).
    # The engine's claim on an order lasts ORDER_CLAIM_LEASE_SECONDS; after that another worker
    # may take it over and, when the broker has no such order, send it again. A process that
    # was paused (GC, swap, SIGSTOP) between claiming and sending must then not send as well.
    send_before: float | None = None


def ensure_send_window(order: OrderRequest) -> None:
    """Call immediately before the request goes on the wire: refuses once the window closed."""
    if order.send_before is not None and time.monotonic() >= order.send_before:
        raise BrokerError(
            "Not sent: the order's send window closed before it could be sent", kind=ErrorKind.NOT_SENT
        )


@dataclasses.dataclass(frozen=True, slots=True)
class OrderResult:
    broker_order_id: str
    tag: str
    status: OrderStatus
    side: Side
    quantity: int
    filled_quantity: int = 0
    average_price: Decimal | None = None
    message: str = ""
    placed_at: dt.datetime | None = None
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class Position:
    symbol: str
    exchange: str
    quantity: int  # net; negative is short
    average_price: Decimal
    realised_pnl: Decimal = Decimal("0")
    last_price: Decimal | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Quote:
    symbol: str
    exchange: str
    last_price: Decimal
    timestamp: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class AccountCheck:
    """What credential validation learned about the account."""

    account_name: str
    token_valid_until: dt.datetime | None = None


class BrokerAdapter(abc.ABC):
    """A broker account's connection. One instance per (account, process); cheap to build."""

    name: ClassVar[str]
    display_name: ClassVar[str]
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()

    def __init__(self, *, account_ref: str, credentials: Mapping[str, str], options: Mapping[str, Any] | None = None) -> None:
        self.account_ref = account_ref
        self.credentials = dict(credentials)
        self.options = dict(options or {})

    def __repr__(self) -> str:  # never show credentials
        return f"<{type(self).__name__} account={self.account_ref}>"

    @classmethod
    def check_credential_shape(cls, credentials: Mapping[str, Any]) -> dict[str, list[str]]:
        """Field errors for a credentials mapping, before any network call ({} when fine)."""
        errors: dict[str, list[str]] = {}
        known = {f.name for f in cls.credential_fields}
        for key in credentials:
            if key not in known:
                errors[key] = [f"Unknown credential field for {cls.display_name}."]
        for f in cls.credential_fields:
            value = credentials.get(f.name)
            if value is None or value == "":
                if f.required:
                    errors[f.name] = ["This field is required."]
                continue
            if not isinstance(value, str):
                errors[f.name] = ["Must be a string."]
            elif len(value) > 512:
                errors[f.name] = ["At most 512 characters."]
        return errors

    @abc.abstractmethod
    def validate_credentials(self) -> AccountCheck:
        """Prove the credentials work (raises BrokerError with kind CREDENTIALS or TOKEN)."""

    @abc.abstractmethod
    def submit(self, order: OrderRequest) -> OrderResult:
        """Place one order. Raises BrokerError; never retries by itself."""

    @abc.abstractmethod
    def cancel(self, broker_order_id: str) -> OrderResult: ...

    @abc.abstractmethod
    def order_by_tag(self, tag: str) -> list[OrderResult]:
        """Every order the broker holds with this tag today ([] when confirmed absent)."""

    @abc.abstractmethod
    def positions(self) -> list[Position]: ...

    @abc.abstractmethod
    def quote(self, symbol: str, exchange: str) -> Quote: ...
