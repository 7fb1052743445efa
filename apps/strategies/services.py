from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.broker_accounts.models import BrokerAccount, BrokerAccountStatus
from apps.core.errors import ApplicationError, Conflict
from brokers.universe import is_known

from . import calendar, runtime, schedules
from .models import Strategy, StrategyStatus
from .selectors import strategy_day_legs

EDITABLE = ("name", "symbol", "exchange", "quantity", "buy_time", "sell_time", "stop_loss", "product", "days", "broker_account")
# While today's position is open only these may change: the rest describes the shares held.
EDITABLE_WHILE_OPEN = {"name", "stop_loss", "sell_time"}
# What the legs' PeriodicTasks are made of (times, weekdays; the symbol is in their description).
# An edit of anything else (name, stop-loss, quantity, ...) leaves them, and beat, alone. Status
# changes go through strategy_start/stop, which re-sync the schedules themselves.
SCHEDULE_FIELDS = {"buy_time", "sell_time", "days", "symbol"}


def _validate(*, user: Any, data: dict[str, Any]) -> dict[str, list[str]]:
    """Field errors for a complete set of strategy fields ({} when valid)."""
    errors: dict[str, list[str]] = {}
    symbol, exchange = data["symbol"], data["exchange"]
    if not is_known(symbol, exchange):
        errors["symbol"] = [f"Unknown symbol {symbol!r} on {exchange}."]
    quantity = data["quantity"]
    if quantity <= 0:
        errors["quantity"] = ["Must be at least 1."]
    elif quantity > settings.STRATEGY_MAX_QUANTITY:
        errors["quantity"] = [f"At most {settings.STRATEGY_MAX_QUANTITY}."]
    if data["stop_loss"] <= Decimal("0"):
        errors["stop_loss"] = ["Must be greater than 0."]
    buy, sell = data["buy_time"], data["sell_time"]
    if buy >= sell:
        errors["sell_time"] = ["Must be after buy_time."]
    if settings.ENFORCE_MARKET_HOURS:
        open_, close = calendar.market_hours()
        for name, t in (("buy_time", buy), ("sell_time", sell)):
            if not open_ <= t <= close:
                errors.setdefault(name, []).append(
                    f"Outside market hours ({open_.strftime('%H:%M')}-{close.strftime('%H:%M')} IST)."
                )
    days = data["days"]
    if not days:
        errors["days"] = ["Pick at least one weekday."]
    account = data["broker_account"]
    if not isinstance(account, BrokerAccount) or account.user_id != user.pk:
        errors["broker_account"] = ["Broker account not found."]
    return errors


def _resolve_account(user: Any, account_id: Any) -> BrokerAccount | None:
    if isinstance(account_id, BrokerAccount):
        return account_id
    return BrokerAccount.objects.filter(pk=account_id, user=user).first()


def _clean_times(data: dict[str, Any]) -> None:
    for name in ("buy_time", "sell_time"):
        if isinstance(data.get(name), dt.time):
            data[name] = data[name].replace(microsecond=0, tzinfo=None)


@transaction.atomic
def strategy_create(*, user: Any, **fields: Any) -> Strategy:
    data = {"exchange": "NSE", "product": "MIS", "days": [0, 1, 2, 3, 4, 5, 6]} | fields
    data["broker_account"] = _resolve_account(user, data.get("broker_account"))
    _clean_times(data)
    errors = _validate(user=user, data=data)
    if errors:
        raise ApplicationError("Invalid strategy: " + ", ".join(sorted(errors)) + ".", fields=errors)
    data["days"] = sorted(set(data["days"]))
    strategy = Strategy.objects.create(user=user, status=StrategyStatus.STOPPED, **data)
    schedules.schedules_sync(strategy)
    transaction.on_commit(lambda: runtime.runtime_sync_strategy(strategy, position=runtime.FLAT))
    return strategy


def _position_today(strategy: Strategy) -> str:
    legs = strategy_day_legs(strategy=strategy, trading_day=calendar.trading_day_of(timezone.now()))
    entry, exit_ = legs.get("ENTRY"), legs.get("EXIT")
    return runtime.position_of(entry.status if entry else None, exit_.status if exit_ else None)


@transaction.atomic
def strategy_update(*, strategy: Strategy, user: Any, **changes: Any) -> Strategy:
    """Edit a strategy; a running one's runtime and schedules change in the same commit.
    The PeriodicTasks are rewritten only when a field they are made of changes: saving one bumps
    django-celery-beat's global change stamp (a row every schedule edit locks until commit, and
    that makes beat reload every strategy's legs)."""
    # Lock only the strategy row; its owner and account come along (validation reads both).
    strategy = (
        Strategy.objects.select_for_update(of=("self",)).select_related("user", "broker_account").get(pk=strategy.pk)
    )
    changes = {k: v for k, v in changes.items() if k in EDITABLE}
    if "broker_account" in changes:
        changes["broker_account"] = _resolve_account(strategy.user, changes["broker_account"])
    _clean_times(changes)
    position = _position_today(strategy)
    if position in (runtime.ENTERING, runtime.LONG, runtime.EXITING):
        locked = sorted(
            k for k, v in changes.items() if k not in EDITABLE_WHILE_OPEN and v != getattr(strategy, k)
        )
        if locked:
            raise ApplicationError(
                "A position is open today; only name, stop_loss and sell_time can change until it closes.",
                code="position_open",
                fields={k: ["Cannot change while a position is open."] for k in locked},
            )
    data = {k: getattr(strategy, k) for k in EDITABLE} | changes
    errors = _validate(user=strategy.user, data=data)
    if errors:
        raise ApplicationError("Invalid strategy: " + ", ".join(sorted(errors)) + ".", fields=errors)
    old_symbol = strategy.symbol
    old_schedule = {k: getattr(strategy, k) for k in SCHEDULE_FIELDS}
    for key, value in changes.items():
        setattr(strategy, key, sorted(set(value)) if key == "days" else value)
    strategy.save(update_fields=[*changes.keys(), "updated_at"])
    if any(getattr(strategy, k) != v for k, v in old_schedule.items()):
        schedules.schedules_sync(strategy)
    transaction.on_commit(lambda: runtime.runtime_sync_strategy(strategy, position=position, old_symbol=old_symbol))
    return strategy


def _kill_switch_on(strategy: Strategy, broker: str) -> Any:
    """The active kill switch covering this strategy, if any (PostgreSQL holds the truth)."""
    from django.db.models import Q

    from apps.operations.models import KillScope, KillSwitch

    return (
        KillSwitch.objects.filter(active=True)
        .filter(
            Q(scope=KillScope.GLOBAL)
            | Q(scope=KillScope.USER, target=str(strategy.user_id))
            | Q(scope=KillScope.BROKER, target=broker)
            | Q(scope=KillScope.STRATEGY, target=str(strategy.pk))
        )
        .order_by("created_at")
        .first()
    )


@transaction.atomic
def strategy_start(*, strategy: Strategy) -> Strategy:
    strategy = Strategy.objects.select_for_update().get(pk=strategy.pk)
    account = strategy.broker_account
    switch = _kill_switch_on(strategy, account.broker)
    if switch is not None:
        # It would show RUNNING while the engine refuses every entry: say so instead.
        raise ApplicationError(
            f"Trading is halted ({switch.get_scope_display().lower()} kill switch: {switch.reason}); "
            "the strategy can start once it is released.",
            code="kill_switch_active",
            status=409,
        )
    if account.status != BrokerAccountStatus.ACTIVE:
        raise ApplicationError(
            f"Broker account {account.label!r} cannot trade now ({account.get_status_display()}).",
            code="broker_account_inactive",
            fields={"broker_account": [account.status_reason or "Log in to the broker again."]},
        )
    if strategy.status != StrategyStatus.RUNNING:
        strategy.status = StrategyStatus.RUNNING
        strategy.status_reason = ""
        strategy.save(update_fields=["status", "status_reason", "updated_at"])
        schedules.schedules_sync(strategy)
    position = _position_today(strategy)
    transaction.on_commit(lambda: runtime.runtime_sync_strategy(strategy, position=position))
    return strategy


@transaction.atomic
def strategy_stop(*, strategy: Strategy, reason: str = "") -> Strategy:
    """No new entries. A position already open still gets its stop-loss and scheduled exit."""
    strategy = Strategy.objects.select_for_update().get(pk=strategy.pk)
    if strategy.status != StrategyStatus.STOPPED:
        strategy.status = StrategyStatus.STOPPED
        strategy.status_reason = reason[:300]
        strategy.save(update_fields=["status", "status_reason", "updated_at"])
        schedules.schedules_sync(strategy)
    position = _position_today(strategy)
    transaction.on_commit(lambda: runtime.runtime_sync_strategy(strategy, position=position))
    return strategy


@transaction.atomic
def strategy_delete(*, strategy: Strategy) -> None:
    strategy = Strategy.objects.select_for_update().get(pk=strategy.pk)
    if _position_today(strategy) in (runtime.ENTERING, runtime.LONG, runtime.EXITING):
        raise Conflict("A position is open today; stop the strategy and let it close first.", code="position_open")
    # Soft delete: the order history stays, the schedules go.
    strategy.deleted_at = timezone.now()
    strategy.status = StrategyStatus.STOPPED
    strategy.save(update_fields=["deleted_at", "status", "updated_at"])
    schedules.schedules_delete(strategy)
    sid, symbol = strategy.pk, strategy.symbol
    transaction.on_commit(lambda: runtime.runtime_remove(sid, symbol))


def strategy_next_trigger(
    strategy: Strategy, *, now: dt.datetime | None = None, position: str | None = None
) -> dict[str, Any] | None:
    """The next scheduled leg: {"leg": "ENTRY"|"EXIT", "at": aware datetime}. `position`: today's
    position when the caller already knows it (saves reading the day's intents again)."""
    now = now or timezone.now()
    if position is None:
        position = _position_today(strategy)
    legs = []
    if strategy.status == StrategyStatus.RUNNING:
        legs.append(("ENTRY", strategy.buy_time))
    if position in (runtime.ENTERING, runtime.LONG):
        legs.append(("EXIT", strategy.sell_time))
    if not legs:
        return None
    # Holidays only count when market hours are enforced (calendar.is_trading_day): no query otherwise.
    closed = calendar.holidays(strategy.exchange, start=now.date()) if settings.ENFORCE_MARKET_HOURS else set()
    candidates = []
    for leg, time_ in legs:
        at = calendar.next_fire([time_], strategy.days, after=now, holiday_dates=closed)
        if at is not None:
            candidates.append({"leg": leg, "at": at})
    return min(candidates, key=lambda c: c["at"]) if candidates else None
