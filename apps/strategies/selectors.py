from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.errors import NotFound
from apps.core.policy import ADMIN
from apps.orders.models import OrderIntent

from .models import Strategy


def strategy_list(*, user: Any, status: str | None = None) -> QuerySet[Strategy]:
    """Own strategies; an admin sees everybody's."""
    qs = Strategy.objects.filter(deleted_at__isnull=True).order_by("id")
    if user.role != ADMIN:
        qs = qs.filter(user=user)
    if status is not None:
        qs = qs.filter(status=status)
    return qs


def strategy_get(*, user: Any, strategy_id: int, for_update: bool = False) -> Strategy:
    """The caller's strategy (any strategy for an admin); otherwise 404, as if it did not exist.
    One query, built in one step: every status poll starts here."""
    filters: dict[str, Any] = {"pk": strategy_id, "deleted_at__isnull": True}
    if user.role != ADMIN:
        filters["user"] = user
    qs = Strategy.objects.filter(**filters)
    if for_update:
        qs = qs.select_for_update()
    strategy = next(iter(qs[:1]), None)
    if strategy is None:
        raise NotFound("Strategy not found.")
    return strategy


def strategy_orders(*, strategy: Strategy, limit: int = 200) -> QuerySet[OrderIntent]:
    return OrderIntent.objects.filter(strategy=strategy).order_by("-created_at", "-id")[:limit]


def strategy_day_legs(*, strategy: Strategy, trading_day: Any) -> dict[str, OrderIntent]:
    return {i.leg: i for i in OrderIntent.objects.filter(strategy=strategy, trading_day=trading_day)}
