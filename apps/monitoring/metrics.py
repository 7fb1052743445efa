"""Latency samples the platform measures about itself, kept in Redis for every process.

    observe_ms("stoploss_latency_ms", 12.5)      # tick seen -> order sent, from the engine
    observe_ms("schedule_lateness_ms", 3.1)      # due second -> order sent, from the engine
    percentiles("stoploss_latency_ms")           # {"count", "p50", "p90", "p99", "max"}

Each name keeps its most recent SAMPLE_LIMIT samples in a capped Redis list
(`metrics:samples:{name}`: LPUSH + LTRIM in one pipeline round trip), so the figures describe
recent behaviour and the write costs one round trip on the hot path. Percentiles use the
nearest-rank method over those samples. Reading the admin system page or /metrics calls
percentiles(); nothing else does.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Any

from apps.core.redis import get_redis

log = logging.getLogger(__name__)

SAMPLE_LIMIT = 1000
KNOWN = ("stoploss_latency_ms", "schedule_lateness_ms")


def samples_key(name: str) -> str:
    return f"metrics:samples:{name}"


def observe_ms(name: str, value: float, *, client: Any = None) -> None:
    """Record one sample (milliseconds). Never raises: a metric must not break an order."""
    try:
        pipe = (client or get_redis()).pipeline(transaction=False)
        pipe.lpush(samples_key(name), f"{float(value):.3f}")
        pipe.ltrim(samples_key(name), 0, SAMPLE_LIMIT - 1)
        pipe.execute()
    except Exception:  # noqa: BLE001 - whatever went wrong, the order path goes on
        log.warning("metric sample not recorded", extra={"metric": name}, exc_info=True)


def observe_many_ms(name: str, values: Iterable[float], *, client: Any = None) -> None:
    """Record a batch of samples in one round trip (a market-open batch of orders). Never raises."""
    try:
        items = [f"{float(v):.3f}" for v in values]
        if not items:
            return
        pipe = (client or get_redis()).pipeline(transaction=False)
        pipe.lpush(samples_key(name), *items)
        pipe.ltrim(samples_key(name), 0, SAMPLE_LIMIT - 1)
        pipe.execute()
    except Exception:  # noqa: BLE001
        log.warning("metric samples not recorded", extra={"metric": name}, exc_info=True)


def nearest_rank(ordered: list[float], p: float) -> float:
    """The p-th percentile (0 < p <= 100) of already sorted values, nearest-rank method."""
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summarise(values: Iterable[float]) -> dict[str, float | int | None]:
    ordered = sorted(values)
    if not ordered:
        return {"count": 0, "p50": None, "p90": None, "p99": None, "max": None}
    return {
        "count": len(ordered),
        "p50": nearest_rank(ordered, 50),
        "p90": nearest_rank(ordered, 90),
        "p99": nearest_rank(ordered, 99),
        "max": ordered[-1],
    }


def percentiles(name: str, *, client: Any = None) -> dict[str, float | int | None]:
    raw = (client or get_redis()).lrange(samples_key(name), 0, SAMPLE_LIMIT - 1)
    values = []
    for item in raw:
        try:
            values.append(float(item))
        except (TypeError, ValueError):
            continue
    return summarise(values)
