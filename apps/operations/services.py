"""Operations: the audit trail, kill switches, force stops, system settings and static IPs.

Every function here that an admin or broker-staff member triggers writes an AuditEntry in
the same transaction as its change."""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import re
from typing import Any

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.broker_accounts.models import BrokerAccount
from apps.core.errors import ApplicationError, Conflict
from apps.orders.models import IntentStatus, Leg, OrderIntent, Reason
from apps.strategies.models import Strategy, StrategyStatus
from brokers.registry import BROKER_CHOICES

from . import kill
from .models import AuditEntry, KillScope, KillSwitch, StaticIp, SystemSetting
from .selectors import SETTING_DEFAULTS

log = logging.getLogger(__name__)


# --- audit -------------------------------------------------------------------------------------


def audit_record(
    *,
    actor: Any,
    action: str,
    target_type: str = "",
    target_id: Any = "",
    detail: dict[str, Any] | None = None,
    ip: str = "",
) -> AuditEntry:
    """Append one entry (actor None: the system itself). Call it inside the change's transaction."""
    return AuditEntry.objects.create(
        actor_id=getattr(actor, "pk", None),
        actor_email=getattr(actor, "email", "") or "",
        actor_role=getattr(actor, "role", "") or "",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=detail or {},
        ip=(ip or "")[:64],
    )


# --- kill switches ------------------------------------------------------------------------------


@dataclasses.dataclass
class KillResult:
    switch: KillSwitch
    created: bool
    published: bool
    stopped: int
    squared_off: int
    deferred: bool


def _kill_target(scope: str, target: str) -> str:
    """The normalised target of a switch, or a 400 naming `target`."""
    if scope == KillScope.GLOBAL:
        if target:
            raise ApplicationError.field("target", "A global kill switch has no target.")
        return ""
    if not target:
        raise ApplicationError.field("target", f"A {scope} kill switch needs a target.")
    if scope == KillScope.BROKER:
        if target not in dict(BROKER_CHOICES):
            raise ApplicationError.field("target", f"Unknown broker {target!r}.")
        return target
    if not target.isdigit():
        raise ApplicationError.field("target", f"A {scope} kill switch targets a {scope} id.")
    if scope == KillScope.USER and not User.objects.filter(pk=int(target)).exists():
        raise ApplicationError.field("target", "User not found.")
    if scope == KillScope.STRATEGY and not Strategy.objects.filter(pk=int(target), deleted_at__isnull=True).exists():
        raise ApplicationError.field("target", "Strategy not found.")
    return str(int(target))


def _scope_strategies(scope: str, target: str) -> QuerySet[Strategy]:
    qs = Strategy.objects.filter(deleted_at__isnull=True)
    if scope == KillScope.USER:
        return qs.filter(user_id=int(target))
    if scope == KillScope.BROKER:
        return qs.filter(broker_account__broker=target)
    if scope == KillScope.STRATEGY:
        return qs.filter(pk=int(target))
    return qs


def _check_actor_scope(actor: Any, scope: str, target: str) -> None:
    """Broker staff may halt their own broker's flow and nothing else (admins: anything)."""
    if getattr(actor, "role", None) == Role.BROKER and (scope != KillScope.BROKER or target != actor.broker):
        raise ApplicationError(
            "Broker staff may only halt their own broker's flow.",
            code="permission_denied",
            status=403,
            fields={"broker": [f"Only {actor.broker!r}."]},
        )


def kill_switches_publish() -> dict[str, str]:
    """Rewrite the Redis hash `kill:active` from PostgreSQL (see kill.py)."""
    mapping = {
        sw.field: f"Kill switch #{sw.pk} ({sw.field}): {sw.reason}"
        for sw in KillSwitch.objects.filter(active=True).order_by("pk")
    }
    kill.write_active(mapping)
    return mapping


def _publish_or_log() -> bool:
    try:
        kill_switches_publish()
    except redis.RedisError:
        # PostgreSQL holds the switch; the publish_kill_switches beat task retries every few seconds.
        log.exception("kill switches saved but not published to Redis")
        return False
    return True


def kill_switch_engage(
    *, actor: Any, scope: str, target: str = "", reason: str, square_off: bool = False, ip: str = ""
) -> KillResult:
    """Halt order flow in a scope: record it, publish it to Redis (the engine refuses new
    orders from then on), optionally square off today's open positions (EXIT intents with
    reason KILL on the stop-loss queue), and stop the affected strategies' schedules.

    Engaging a scope that is already halted returns the active switch and applies it again
    (an emergency button must not fail when pressed twice)."""
    if scope not in KillScope.values:
        raise ApplicationError.field("scope", f"Scope must be one of {', '.join(KillScope.values)}.")
    target = _kill_target(scope, str(target or "").strip())
    _check_actor_scope(actor, scope, target)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError.field("reason", "Say why: it is shown to the traders affected and kept in the audit log.")
    with transaction.atomic():
        switch = KillSwitch.objects.select_for_update().filter(scope=scope, target=target, active=True).first()
        created = switch is None
        if switch is None:
            try:
                with transaction.atomic():
                    switch = KillSwitch.objects.create(
                        scope=scope, target=target, reason=reason[:300], square_off=square_off, created_by=actor
                    )
            except IntegrityError:  # engaged concurrently by somebody else: theirs stands
                switch = KillSwitch.objects.get(scope=scope, target=target, active=True)
                created = False
        elif square_off and not switch.square_off:
            KillSwitch.objects.filter(pk=switch.pk).update(square_off=True)
            switch.square_off = True
        audit_record(
            actor=actor,
            action="kill.engage",
            target_type="kill_switch",
            target_id=switch.pk,
            detail={"scope": scope, "target": target, "reason": reason, "square_off": square_off, "already_active": not created},
            ip=ip,
        )
    published = _publish_or_log()
    squared = kill_switch_square_off(switch=switch) if square_off else []
    stopped, deferred = kill_switch_stop_strategies(switch=switch)
    log.warning(
        "kill switch engaged",
        extra={"switch": switch.pk, "field": switch.field, "stopped": stopped, "squared_off": len(squared)},
    )
    return KillResult(switch, created, published, stopped, len(squared), deferred)


def kill_switch_square_off(*, switch: KillSwitch, now: Any = None) -> list[int]:
    """EXIT intents (reason KILL) for today's open positions in the switch's scope, queued on
    the stop-loss queue. The engine lets reason KILL through its kill check."""
    from apps.orders import engine
    from apps.strategies.calendar import trading_day_of

    now = now or timezone.now()
    day = trading_day_of(now)
    scope_ids = _scope_strategies(switch.scope, switch.target).values("pk")
    holding = list(
        OrderIntent.objects.filter(
            trading_day=day, leg=Leg.ENTRY, status=IntentStatus.FILLED, filled_quantity__gt=0, strategy_id__in=scope_ids
        ).values_list("strategy_id", flat=True)
    )
    if not holding:
        return []
    ids = engine.intents_create(leg=Leg.EXIT, strategy_ids=holding, trading_day=day, reason=Reason.KILL, due_at=now)
    kill_ids = list(OrderIntent.objects.filter(pk__in=ids, reason=Reason.KILL).values_list("pk", flat=True))
    if kill_ids:
        engine.dispatch(kill_ids, "stoploss")
    return kill_ids


def kill_switch_stop_strategies(*, switch: KillSwitch, inline: bool = False) -> tuple[int, bool]:
    """Stop the running strategies in the switch's scope: (how many, whether deferred to a task).

    Beyond KILL_INLINE_STOP_LIMIT strategies the stops run in the `operations.kill_stop`
    task: the Redis hash already blocks their orders, so only the bookkeeping waits."""
    from apps.notifications.models import NotificationKind
    from apps.notifications.services import notify_many
    from apps.strategies.services import strategy_stop

    running = _scope_strategies(switch.scope, switch.target).filter(status=StrategyStatus.RUNNING).order_by("pk")
    if not inline and running.count() > settings.KILL_INLINE_STOP_LIMIT:
        from .tasks import kill_stop

        switch_id = switch.pk
        transaction.on_commit(lambda: kill_stop.apply_async(args=[switch_id], queue="default"))
        return 0, True
    reason = f"Kill switch #{switch.pk}: {switch.reason}"
    users: set[int] = set()
    stopped = 0
    for strategy in running.iterator(chunk_size=500):
        if stopped and stopped % 100 == 0 and not KillSwitch.objects.filter(pk=switch.pk, active=True).exists():
            break  # released meanwhile: stop no more
        strategy_stop(strategy=strategy, reason=reason)
        users.add(strategy.user_id)
        stopped += 1
    if switch.scope == KillScope.USER:
        users.add(int(switch.target))
    if users:
        notify_many(
            user_ids=sorted(users),
            kind=NotificationKind.KILL_SWITCH,
            title="Trading halted",
            body=f"A kill switch stopped your strategies: {switch.reason}",
        )
    return stopped, False


def kill_switch_release(*, actor: Any, switch: KillSwitch, reason: str = "", ip: str = "") -> KillSwitch:
    """Lift a switch. Strategies it stopped stay stopped: their owners start them again."""
    _check_actor_scope(actor, switch.scope, switch.target)
    with transaction.atomic():
        released = KillSwitch.objects.filter(pk=switch.pk, active=True).update(
            active=False, released_by=actor, released_at=timezone.now(), release_reason=(reason or "")[:300]
        )
        if released != 1:
            raise Conflict("This kill switch is already released.", code="already_released")
        audit_record(
            actor=actor,
            action="kill.release",
            target_type="kill_switch",
            target_id=switch.pk,
            detail={"scope": switch.scope, "target": switch.target, "reason": reason},
            ip=ip,
        )
    _publish_or_log()
    switch.refresh_from_db()
    return switch


# --- force stops ----------------------------------------------------------------------------------


def strategy_force_stop(*, actor: Any, strategy: Strategy, reason: str = "", ip: str = "") -> Strategy:
    from apps.notifications.models import NotificationKind
    from apps.notifications.services import notify
    from apps.strategies.services import strategy_stop

    message = f"Stopped by an administrator: {reason}" if reason else "Stopped by an administrator."
    with transaction.atomic():
        was = strategy.status
        strategy = strategy_stop(strategy=strategy, reason=message)
        audit_record(
            actor=actor,
            action="strategy.force_stop",
            target_type="strategy",
            target_id=strategy.pk,
            detail={"reason": reason, "was": was, "user_id": strategy.user_id},
            ip=ip,
        )
        notify(
            user_id=strategy.user_id,
            kind=NotificationKind.STRATEGY_STOPPED,
            title=f"Strategy {strategy.name} stopped",
            body=message,
        )
    return strategy


def user_strategies_stop(*, actor: Any, user: Any, reason: str = "", ip: str = "") -> list[int]:
    """Stop every running strategy of one trader; returns their ids."""
    from apps.notifications.models import NotificationKind
    from apps.notifications.services import notify
    from apps.strategies.services import strategy_stop

    message = f"Stopped by an administrator: {reason}" if reason else "Stopped by an administrator."
    ids: list[int] = []
    with transaction.atomic():
        for strategy in Strategy.objects.filter(user=user, deleted_at__isnull=True, status=StrategyStatus.RUNNING):
            strategy_stop(strategy=strategy, reason=message)
            ids.append(strategy.pk)
        audit_record(
            actor=actor,
            action="user.stop_strategies",
            target_type="user",
            target_id=user.pk,
            detail={"reason": reason, "strategy_ids": ids},
            ip=ip,
        )
        if ids:
            notify(
                user_id=user.pk,
                kind=NotificationKind.STRATEGY_STOPPED,
                title=f"{len(ids)} strategies stopped",
                body=message,
            )
    return ids


# --- system settings -------------------------------------------------------------------------------

_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")


def _type_error(key: str, value: Any) -> str | None:
    if key not in SETTING_DEFAULTS or value is None:
        return None
    default = SETTING_DEFAULTS[key][0]
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "Must be true or false."
    if isinstance(default, int):
        return None if isinstance(value, int) and not isinstance(value, bool) else "Must be a whole number."
    if isinstance(default, str):
        return None if isinstance(value, str) else "Must be a string."
    return None


def settings_update(*, actor: Any, values: dict[str, Any], ip: str = "") -> None:
    """Set (or, with null, reset to the default) system settings and feature flags; each
    change is audited with its old and new value."""
    if not values:
        raise ApplicationError.field("values", "Give at least one setting.")
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        if len(key) > 64 or not _KEY.match(key):
            errors[f"values.{key}"] = ["Keys are lower-case words joined by dots, at most 64 characters."]
        elif (problem := _type_error(key, value)) is not None:
            errors[f"values.{key}"] = [problem]
    if errors:
        raise ApplicationError("Invalid settings: " + ", ".join(sorted(errors)) + ".", fields=errors)
    with transaction.atomic():
        for key, value in sorted(values.items()):
            row = SystemSetting.objects.select_for_update().filter(key=key).first()
            old = row.value if row is not None else SETTING_DEFAULTS.get(key, (None, ""))[0]
            if value is None:
                SystemSetting.objects.filter(key=key).delete()
            elif row is None:
                SystemSetting.objects.create(key=key, value=value, updated_by=actor)
            else:
                row.value, row.updated_by = value, actor
                row.save(update_fields=["value", "updated_by", "updated_at"])
            audit_record(
                actor=actor, action="settings.change", target_type="setting", target_id=key,
                detail={"old": old, "new": value}, ip=ip,
            )


# --- static IPs -------------------------------------------------------------------------------------


def _check_ip(field: str, value: str) -> str:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError as exc:
        raise ApplicationError.field(field, "Not an IPv4 or IPv6 address.") from exc
    if address.is_loopback or address.is_unspecified or address.is_multicast or address.is_link_local:
        raise ApplicationError.field(field, "Must be the public static address your orders leave from.")
    return str(address)


def static_ip_set(
    *, user: Any, account: BrokerAccount, primary: str, secondary: str | None = None, ip: str = ""
) -> StaticIp:
    """Register (or change) the static IPs of one of the caller's own broker accounts."""
    if account.user_id != user.pk:
        raise ApplicationError("Broker account not found.", code="not_found", status=404)
    primary = _check_ip("primary", primary)
    secondary = _check_ip("secondary", secondary) if secondary else None
    if secondary == primary:
        raise ApplicationError.field("secondary", "Must differ from the primary address.")
    with transaction.atomic():
        row = StaticIp.objects.select_for_update().filter(broker_account=account).first()
        old = {"primary": row.primary, "secondary": row.secondary} if row else None
        if row is None:
            row = StaticIp.objects.create(broker_account=account, primary=primary, secondary=secondary, updated_by=user)
        else:
            row.primary, row.secondary, row.updated_by = primary, secondary, user
            row.save(update_fields=["primary", "secondary", "updated_by", "updated_at"])
        audit_record(
            actor=user, action="static_ip.change", target_type="broker_account", target_id=account.pk,
            detail={"broker": account.broker, "old": old, "new": {"primary": primary, "secondary": secondary}}, ip=ip,
        )
    return row


def static_ip_remove(*, user: Any, account: BrokerAccount, ip: str = "") -> None:
    if account.user_id != user.pk:
        raise ApplicationError("Broker account not found.", code="not_found", status=404)
    with transaction.atomic():
        row = StaticIp.objects.select_for_update().filter(broker_account=account).first()
        if row is None:
            raise ApplicationError("No static IP is registered for this account.", code="not_found", status=404)
        old = {"primary": row.primary, "secondary": row.secondary}
        row.delete()
        audit_record(
            actor=user, action="static_ip.remove", target_type="broker_account", target_id=account.pk,
            detail={"broker": account.broker, "old": old}, ip=ip,
        )
