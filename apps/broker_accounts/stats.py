from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone

from apps.core.policy import ADMIN
from brokers.registry import BROKER_CHOICES

from .models import BrokerAccount, BrokerAccountStatus

FINAL = ("FILLED", "REJECTED", "FAILED", "CANCELLED")
# API health: share of last hour's intents whose outcome was UNKNOWN, that FAILED, or that
# needed more than one attempt (the broker's API timed out or errored on the first).
DEGRADED_SHARE = 0.05
_PAISE = Decimal("0.01")


def broker_stats(*, user: Any, broker: str | None = None, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per-broker flow figures, scoped: broker staff only ever see their own broker."""
    if user.role == ADMIN:
        brokers = [broker] if broker else [name for name, _ in BROKER_CHOICES]
    else:
        brokers = [user.broker]
    now = now or timezone.now()
    rows = (
        BrokerAccount.objects.filter(broker__in=brokers)
        .values("broker")
        .annotate(
            accounts=Count("id"),
            active_accounts=Count("id", filter=Q(status=BrokerAccountStatus.ACTIVE)),
            clients=Count("user", distinct=True),
        )
    )
    found = {row["broker"]: row for row in rows}
    out = []
    for b in brokers:
        row = dict(found.get(b, {"broker": b, "accounts": 0, "active_accounts": 0, "clients": 0}))
        row.update(_flow(b, now))
        out.append(row)
    return out


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _flow(broker: str, now: dt.datetime) -> dict[str, Any]:
    from apps.operations.selectors import static_ips_of_broker
    from apps.orders.models import OrderIntent
    from apps.strategies.models import Strategy

    strategies = Strategy.objects.filter(broker_account__broker=broker, deleted_at__isnull=True).aggregate(
        total=Count("id"), running=Count("id", filter=Q(status="RUNNING"))
    )
    intents = OrderIntent.objects.filter(broker_account__broker=broker)

    day = intents.filter(created_at__gte=now - dt.timedelta(hours=24))
    counts = {r["status"]: r["n"] for r in day.values("status").annotate(n=Count("id"))}
    final = sum(counts.get(s, 0) for s in FINAL)
    traded = day.filter(status="FILLED").aggregate(
        quantity=Coalesce(Sum("filled_quantity"), 0),
        turnover=Sum(F("filled_quantity") * F("average_price")),
    )

    hour = intents.filter(created_at__gte=now - dt.timedelta(hours=1))
    hour_total = hour.count()
    troubled = hour.filter(Q(status__in=["UNKNOWN", "FAILED"]) | Q(attempts__gt=1)).count()
    share = _ratio(troubled, hour_total)

    # Orders per second per client over the last minute: the peak second of each client.
    sent_at = Coalesce("submitted_at", "created_at")
    per_second = (
        intents.annotate(sent=sent_at)
        .filter(sent__gte=now - dt.timedelta(seconds=60))
        .annotate(second=Trunc("sent", "second"))
        .values("user_id", "second")
        .annotate(n=Count("id"))
    )
    peaks: dict[int, int] = {}
    for r in per_second:
        peaks[r["user_id"]] = max(peaks.get(r["user_id"], 0), r["n"])

    clients: dict[int, dict[str, Any]] = {}
    for ip in static_ips_of_broker(broker=broker):
        client = clients.setdefault(
            ip["user"],
            {"user": ip["user"], "email": ip["email"], "peak_orders_per_second": peaks.get(ip["user"], 0), "accounts": []},
        )
        client["accounts"].append(
            {"broker_account": ip["broker_account"], "label": ip["label"], "primary_ip": ip["primary"], "secondary_ip": ip["secondary"]}
        )
    return {
        "strategies": strategies["total"],
        "running_strategies": strategies["running"],
        "orders_24h": {
            "total": sum(counts.values()),
            "by_status": counts,
            "filled_quantity": traded["quantity"],
            "turnover": str(traded["turnover"].quantize(_PAISE)) if traded["turnover"] is not None else "0.00",
            "success_rate": _ratio(counts.get("FILLED", 0), final),
            "reject_rate": _ratio(counts.get("REJECTED", 0), final),
        },
        "api_health": {
            "orders_last_hour": hour_total,
            "unknown_or_failed_share": share,
            "status": "idle" if share is None else ("degraded" if share > DEGRADED_SHARE else "ok"),
        },
        "peak_orders_per_second": max(peaks.values(), default=0),
        "client_list": sorted(clients.values(), key=lambda c: c["user"]),
    }
