"""Fault injection for the paper broker, stored in Redis so a test process can flip faults
while separate worker processes keep trading.

`paper:faults` holds global settings; `paper:{account_ref}:faults` overrides them field by
field for one account. Both are read on every call (one pipelined round trip, nothing cached)
so a change takes effect on the next call in every process.

Fields:
    latency_ms       every call sleeps this long before it is handled
    token_expired    "1": every call raises BrokerError(kind=TOKEN)
    rate_limit_rate  0..1, submit only: raise RATE_LIMIT, nothing recorded
    timeout_rate     0..1, submit only: sleep timeout_ms, raise UNKNOWN, nothing recorded
    timeout_ms       how long a simulated timeout waits (default 50)
    reject_rate      0..1, submit only: record the order as REJECTED, raise REJECTED
    lose_reply_rate  0..1, submit only: record and fill the order, then raise UNKNOWN
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

from brokers.paper.store import faults_key, get_client

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_MS = 50.0
_RATES = ("rate_limit_rate", "timeout_rate", "reject_rate", "lose_reply_rate")
_DURATIONS = ("latency_ms", "timeout_ms")
FAULT_FIELDS: frozenset[str] = frozenset({*_RATES, *_DURATIONS, "token_expired"})
_TRUE = frozenset({"1", "true", "yes", "on"})


@dataclasses.dataclass(frozen=True, slots=True)
class Faults:
    latency_ms: float = 0.0
    token_expired: bool = False
    rate_limit_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_ms: float = DEFAULT_TIMEOUT_MS
    reject_rate: float = 0.0
    lose_reply_rate: float = 0.0


NO_FAULTS = Faults()


def parse_faults(global_fields: Mapping[str, str], account_fields: Mapping[str, str]) -> Faults:
    """Merge the two hashes (account wins). Bad values are ignored, not raised: a typo in a
    test's fault hash must not turn into a crash inside a worker's order path."""
    merged = {**global_fields, **account_fields}
    if not merged:
        return NO_FAULTS
    values: dict[str, Any] = {}
    for name, raw in merged.items():
        if name == "token_expired":
            values[name] = str(raw).strip().lower() in _TRUE
        elif name in _RATES or name in _DURATIONS:
            try:
                number = float(raw)
            except (TypeError, ValueError):
                logger.warning("paper broker: ignoring fault %s=%r (not a number)", name, raw)
                continue
            if not math.isfinite(number) or number < 0:
                logger.warning("paper broker: ignoring fault %s=%r (out of range)", name, raw)
                continue
            values[name] = min(number, 1.0) if name in _RATES else number
        else:
            logger.warning("paper broker: ignoring unknown fault field %r", name)
    return Faults(**values)


def _encode(name: str, value: Any) -> str:
    if name == "token_expired":
        if isinstance(value, str):
            return "1" if value.strip().lower() in _TRUE else "0"
        return "1" if value else "0"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"fault {name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0 or (name in _RATES and number > 1):
        raise ValueError(f"fault {name} out of range: {value!r}")
    return repr(number)


def set_faults(redis_url: str, account_ref: str | None = None, **faults: Any) -> None:
    """Set fault fields globally (account_ref None) or for one account. Unknown names and
    out-of-range values raise ValueError here, where the test author sees them."""
    unknown = set(faults) - FAULT_FIELDS
    if unknown:
        raise ValueError(f"unknown fault fields: {sorted(unknown)}; known: {sorted(FAULT_FIELDS)}")
    if not faults:
        return
    mapping = {name: _encode(name, value) for name, value in faults.items()}
    get_client(redis_url).hset(faults_key(account_ref), mapping=mapping)


def clear_faults(redis_url: str, account_ref: str | None = None, fields: Iterable[str] | None = None) -> None:
    """Remove the given fault fields, or every fault when `fields` is None."""
    key = faults_key(account_ref)
    client = get_client(redis_url)
    if fields is None:
        client.delete(key)
        return
    names = list(fields)
    if names:
        client.hdel(key, *names)
