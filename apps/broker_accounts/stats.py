from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from apps.core.policy import ADMIN
from brokers.registry import BROKER_CHOICES

from .models import BrokerAccount, BrokerAccountStatus


def broker_stats(*, user: Any, broker: str | None = None) -> list[dict[str, Any]]:
    """Per-broker flow figures, scoped: broker staff only ever see their own broker."""
    if user.role == ADMIN:
        brokers = [broker] if broker else [name for name, _ in BROKER_CHOICES]
    else:
        brokers = [user.broker]
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
    return [found.get(b, {"broker": b, "accounts": 0, "active_accounts": 0, "clients": 0}) for b in brokers]
