"""A trader's dashboard: today's positions, realised and unrealised P&L, order history.

Everything is derived from the order ledger (OrderIntent) of the caller only; the live price
comes from Redis `price:{symbol}` (written by the market feed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.core.redis import get_redis
from apps.orders.models import IntentStatus, OrderIntent
from apps.strategies.calendar import trading_day_of
from apps.strategies.runtime import EXITING, LONG, position_of

PAISE = Decimal("0.01")


def _money(value: Decimal | None) -> Decimal | None:
    return value.quantize(PAISE) if value is not None else None


def _prices(symbols: set[str]) -> dict[str, Decimal]:
    if not symbols:
        return {}
    ordered = sorted(symbols)
    try:
        raw = get_redis().mget([f"price:{s}" for s in ordered])
    except Exception:  # noqa: BLE001 - the dashboard still shows positions without live prices
        return {}
    prices = {}
    for symbol, value in zip(ordered, raw, strict=True):
        try:
            if value is not None:
                prices[symbol] = Decimal(value)
        except InvalidOperation:
            continue
    return prices


def positions_today(*, user: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    """Per strategy traded today: position, entry/exit, realised and unrealised P&L."""
    day = trading_day_of(now or timezone.now())
    legs: dict[int, dict[str, OrderIntent]] = {}
    for intent in OrderIntent.objects.filter(user=user, trading_day=day).select_related("strategy"):
        legs.setdefault(intent.strategy_id, {})[intent.leg] = intent
    prices = _prices({i.symbol for day_legs in legs.values() for i in day_legs.values()})
    rows = []
    unrealised_total = Decimal("0")
    for sid in sorted(legs):
        entry, exit_ = legs[sid].get("ENTRY"), legs[sid].get("EXIT")
        first = entry if entry is not None else exit_
        if first is None:
            continue
        position = position_of(entry.status if entry else None, exit_.status if exit_ else None)
        entry_filled = entry is not None and entry.status == IntentStatus.FILLED and entry.average_price is not None
        exit_filled = exit_ is not None and exit_.status == IntentStatus.FILLED and exit_.average_price is not None
        open_qty = entry.filled_quantity if entry_filled and position in (LONG, EXITING) else 0
        last = prices.get(first.symbol)
        realised = (
            (exit_.average_price - entry.average_price) * exit_.filled_quantity if entry_filled and exit_filled else None
        )
        unrealised = (last - entry.average_price) * open_qty if open_qty and last is not None and entry_filled else None
        if unrealised is not None:
            unrealised_total += unrealised
        rows.append(
            {
                "strategy": sid,
                "name": first.strategy.name,
                "symbol": first.symbol,
                "position": position,
                "quantity": open_qty,
                "entry_price": _money(entry.average_price) if entry_filled else None,
                "exit_price": _money(exit_.average_price) if exit_filled else None,
                "exit_reason": exit_.reason if exit_ is not None else None,
                "last_price": _money(last),
                "realised_pnl": _money(realised),
                "unrealised_pnl": _money(unrealised),
            }
        )
    return {"trading_day": day, "positions": rows, "unrealised_total": _money(unrealised_total)}


def realised_pnl(*, user: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Closed round trips (FILLED ENTRY and FILLED EXIT of one strategy and day) between two
    trading days inclusive: P&L = (exit average - entry average) x exit filled quantity."""
    rows = OrderIntent.objects.filter(
        user=user, status=IntentStatus.FILLED, trading_day__gte=start, trading_day__lte=end, average_price__isnull=False
    ).values_list("strategy_id", "strategy__name", "symbol", "trading_day", "leg", "average_price", "filled_quantity")
    legs: dict[tuple[int, dt.date], dict[str, tuple[Decimal, int]]] = {}
    names: dict[int, tuple[str, str]] = {}
    for sid, name, symbol, day, leg, price, qty in rows:
        legs.setdefault((sid, day), {})[leg] = (price, qty)
        names[sid] = (name, symbol)
    by_strategy: dict[int, dict[str, Any]] = {}
    by_day: dict[dt.date, dict[str, Any]] = {}
    total = Decimal("0")
    for (sid, day), pair in sorted(legs.items(), key=lambda item: (item[0][1], item[0][0])):
        if "ENTRY" not in pair or "EXIT" not in pair:
            continue
        (entry_price, _), (exit_price, qty) = pair["ENTRY"], pair["EXIT"]
        pnl = (exit_price - entry_price) * qty
        total += pnl
        s = by_strategy.setdefault(
            sid, {"strategy": sid, "name": names[sid][0], "symbol": names[sid][1], "pnl": Decimal("0"), "trades": 0, "wins": 0}
        )
        s["pnl"] += pnl
        s["trades"] += 1
        s["wins"] += pnl > 0
        d = by_day.setdefault(day, {"day": day, "pnl": Decimal("0"), "trades": 0})
        d["pnl"] += pnl
        d["trades"] += 1
    for row in (*by_strategy.values(), *by_day.values()):
        row["pnl"] = _money(row["pnl"])
    return {
        "start": start,
        "end": end,
        "total": _money(total),
        "by_strategy": sorted(by_strategy.values(), key=lambda r: r["strategy"]),
        "by_day": sorted(by_day.values(), key=lambda r: r["day"]),
    }


def execution_history(
    *, user: Any, strategy: int | None = None, status: str | None = None
) -> QuerySet[OrderIntent]:
    qs = OrderIntent.objects.filter(user=user).order_by("-created_at", "-id")
    if strategy is not None:
        qs = qs.filter(strategy_id=strategy)
    if status:
        qs = qs.filter(status=status)
    return qs
