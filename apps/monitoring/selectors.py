"""The figures of the admin system page and /metrics, read from PostgreSQL and Redis."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count
from django.utils import timezone

from apps.core.redis import get_redis
from apps.orders.models import OrderIntent
from apps.strategies.models import Strategy

from . import heartbeat, metrics

FINAL = ("FILLED", "REJECTED", "FAILED", "CANCELLED")
WINDOWS = {"1h": dt.timedelta(hours=1), "24h": dt.timedelta(hours=24)}


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def order_rates(*, since: dt.datetime, broker: str | None = None) -> dict[str, Any]:
    """Intents created since `since`, by status. success_rate = FILLED / final intents,
    reject_rate = REJECTED / final, failure_rate = FAILED / final (None with no final one)."""
    qs = OrderIntent.objects.filter(created_at__gte=since)
    if broker is not None:
        qs = qs.filter(broker_account__broker=broker)
    counts = {row["status"]: row["n"] for row in qs.values("status").annotate(n=Count("id"))}
    total = sum(counts.values())
    final = sum(counts.get(s, 0) for s in FINAL)
    return {
        "total": total,
        "by_status": counts,
        "success_rate": _ratio(counts.get("FILLED", 0), final),
        "reject_rate": _ratio(counts.get("REJECTED", 0), final),
        "failure_rate": _ratio(counts.get("FAILED", 0), final),
    }


def ticks_per_second() -> float | None:
    """The market feed's rate (hash `metrics:feed`, written by the feed; the listener's
    `metrics:listener` when no feed reports)."""
    pipe = get_redis().pipeline(transaction=False)
    pipe.hget("metrics:feed", "ticks_per_second")
    pipe.hget("metrics:listener", "ticks_per_second")
    for value in pipe.execute():
        if value is not None:
            try:
                return float(value)
            except ValueError:
                continue
    return None


def recent_errors(*, limit: int = 20) -> list[dict[str, Any]]:
    """The latest FAILED or REJECTED intents with their last error."""
    return list(
        OrderIntent.objects.filter(status__in=["FAILED", "REJECTED"])
        .order_by("-updated_at", "-id")
        .values("id", "strategy_id", "user_id", "symbol", "side", "leg", "reason", "status", "last_error", "updated_at")[
            :limit
        ]
    )


def strategy_counts() -> dict[str, int]:
    rows = Strategy.objects.filter(deleted_at__isnull=True).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def system_figures(*, now: dt.datetime | None = None) -> dict[str, Any]:
    from apps.operations import kill

    now = now or timezone.now()
    return {
        "heartbeats": heartbeat.heartbeats(),
        "ticks_per_second": ticks_per_second(),
        "latency_ms": {name: metrics.percentiles(name) for name in metrics.KNOWN},
        "orders": {label: order_rates(since=now - span) for label, span in WINDOWS.items()},
        "recent_errors": recent_errors(),
        "strategies": strategy_counts(),
        "kill_switches": kill.active_switches(),
    }
