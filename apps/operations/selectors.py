from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import Role
from apps.broker_accounts.models import BrokerAccount
from apps.core.errors import NotFound
from apps.orders.models import OrderEvent, OrderIntent
from apps.strategies.models import Strategy

from .models import AuditEntry, KillScope, KillSwitch, StaticIp, SystemSetting

# Settings every deployment has, with their defaults (what GET shows until an admin changes
# one). Other keys may be stored too; these also fix the value's type.
SETTING_DEFAULTS: dict[str, tuple[Any, str]] = {
    "feature.playground": (True, "Traders may backtest strategies in the playground."),
    "feature.email_notifications": (True, "Notifications are also sent by email to users who keep it on."),
    "feature.telegram_notifications": (True, "Notifications go to the Telegram bots users configure."),
    "orders.max_per_second_per_client": (10, "Orders per second one client may place on one exchange."),
    "ui.banner": ("", "A notice the web and mobile apps show on every page (empty: none)."),
}


# --- settings -----------------------------------------------------------------------------------


def settings_list() -> list[dict[str, Any]]:
    """Every default setting and every stored one, each with where its value comes from."""
    stored = {row.key: row for row in SystemSetting.objects.select_related("updated_by")}
    rows = []
    for key in sorted(set(SETTING_DEFAULTS) | set(stored)):
        default, description = SETTING_DEFAULTS.get(key, (None, ""))
        row = stored.get(key)
        rows.append(
            {
                "key": key,
                "value": row.value if row is not None else default,
                "default": default,
                "description": description,
                "is_default": row is None,
                "updated_by": row.updated_by.email if row is not None and row.updated_by else None,
                "updated_at": row.updated_at if row is not None else None,
            }
        )
    return rows


def setting_value(key: str, default: Any = None) -> Any:
    """A setting's stored value, else its declared default, else `default`."""
    row = SystemSetting.objects.filter(key=key).values_list("value", flat=True).first()
    if row is not None:
        return row
    return SETTING_DEFAULTS[key][0] if key in SETTING_DEFAULTS else default


def feature_enabled(name: str) -> bool:
    return bool(setting_value(f"feature.{name}", True))


# --- audit ----------------------------------------------------------------------------------------


def audit_list(
    *,
    actor: int | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.order_by("-at", "-id")
    if actor is not None:
        qs = qs.filter(actor_id=actor)
    if action:
        qs = qs.filter(action__startswith=action)
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id:
        qs = qs.filter(target_id=target_id)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    return qs


# --- kill switches ----------------------------------------------------------------------------------


def kill_switch_list(*, user: Any, active: bool | None = None, scope: str | None = None) -> QuerySet[KillSwitch]:
    """Admins see every switch; broker staff only their own broker's."""
    qs = KillSwitch.objects.select_related("created_by", "released_by").order_by("-created_at", "-id")
    if user.role != Role.ADMIN:
        qs = qs.filter(scope=KillScope.BROKER, target=user.broker)
    if active is not None:
        qs = qs.filter(active=active)
    if scope:
        qs = qs.filter(scope=scope)
    return qs


def kill_switch_get(*, user: Any, switch_id: int) -> KillSwitch:
    switch = kill_switch_list(user=user).filter(pk=switch_id).first()
    if switch is None:
        raise NotFound("Kill switch not found.")
    return switch


# --- static IPs --------------------------------------------------------------------------------------


def static_ips_of_user(*, user: Any) -> list[dict[str, Any]]:
    """Each of the caller's broker accounts with its registered IPs (null when none)."""
    accounts = BrokerAccount.objects.filter(user=user).select_related("static_ip").order_by("id")
    return [_account_ips(a) for a in accounts]


def static_ips_of_broker(*, broker: str) -> list[dict[str, Any]]:
    """Every client account of one broker with its registered IPs (broker staff's view)."""
    accounts = BrokerAccount.objects.filter(broker=broker).select_related("static_ip", "user").order_by("user_id", "id")
    return [_account_ips(a) | {"user": a.user_id, "email": a.user.email} for a in accounts]


def _account_ips(account: BrokerAccount) -> dict[str, Any]:
    row: StaticIp | None = getattr(account, "static_ip", None)
    return {
        "broker_account": account.pk,
        "broker": account.broker,
        "label": account.label,
        "primary": row.primary if row else None,
        "secondary": row.secondary if row else None,
        "updated_at": row.updated_at if row else None,
    }


def own_broker_account(*, user: Any, account_id: int) -> BrokerAccount:
    account = BrokerAccount.objects.filter(user=user, pk=account_id).first()
    if account is None:
        raise NotFound("Broker account not found.")
    return account


# --- strategies and orders (admin views) -------------------------------------------------------------


def admin_strategy_list(
    *,
    user: int | None = None,
    status: str | None = None,
    broker: str | None = None,
    symbol: str | None = None,
) -> QuerySet[Strategy]:
    qs = Strategy.objects.filter(deleted_at__isnull=True).select_related("user", "broker_account").order_by("id")
    if user is not None:
        qs = qs.filter(user_id=user)
    if status:
        qs = qs.filter(status=status)
    if broker:
        qs = qs.filter(broker_account__broker=broker)
    if symbol:
        qs = qs.filter(symbol=symbol.upper())
    return qs


def strategies_execution(strategies: list[Strategy], *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Each strategy with today's execution state: position, last order, and the kill switch
    that halts it (if any). Two queries and one Redis read for the whole page."""
    from apps.strategies.calendar import trading_day_of
    from apps.strategies.runtime import position_of

    from . import kill

    day = trading_day_of(now or timezone.now())
    legs: dict[int, dict[str, OrderIntent]] = {}
    for intent in OrderIntent.objects.filter(strategy_id__in=[s.pk for s in strategies], trading_day=day):
        legs.setdefault(intent.strategy_id, {})[intent.leg] = intent
    try:
        active = kill.active_switches()
    except Exception:  # noqa: BLE001 - the page still renders without Redis
        active = {}
    rows = []
    for s in strategies:
        day_legs = legs.get(s.pk, {})
        entry, exit_ = day_legs.get("ENTRY"), day_legs.get("EXIT")
        last = exit_ or entry
        rows.append(
            {
                "strategy": s,
                "user_email": s.user.email,
                "broker": s.broker_account.broker,
                "trading_day": day,
                "position": position_of(entry.status if entry else None, exit_.status if exit_ else None),
                "last_order": last,
                "halted_by": kill.blocked_reason_in(
                    active, user_id=s.user_id, broker=s.broker_account.broker, strategy_id=s.pk, reason="SCHEDULED"
                ),
            }
        )
    return rows


def admin_strategy_get(*, strategy_id: int) -> Strategy:
    strategy = Strategy.objects.filter(pk=strategy_id, deleted_at__isnull=True).first()
    if strategy is None:
        raise NotFound("Strategy not found.")
    return strategy


def order_intent_list(
    *,
    user: int | None = None,
    strategy: int | None = None,
    status: str | None = None,
    leg: str | None = None,
    reason: str | None = None,
    broker: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[OrderIntent]:
    qs = OrderIntent.objects.order_by("-created_at", "-id")
    if user is not None:
        qs = qs.filter(user_id=user)
    if strategy is not None:
        qs = qs.filter(strategy_id=strategy)
    if status:
        qs = qs.filter(status=status)
    if leg:
        qs = qs.filter(leg=leg)
    if reason:
        qs = qs.filter(reason=reason)
    if broker:
        qs = qs.filter(broker_account__broker=broker)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs


def order_intent_get(*, intent_id: int) -> tuple[OrderIntent, list[OrderEvent]]:
    intent = OrderIntent.objects.filter(pk=intent_id).first()
    if intent is None:
        raise NotFound("Order not found.")
    return intent, list(OrderEvent.objects.filter(intent=intent).order_by("at", "id"))

