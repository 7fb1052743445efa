# ruff: noqa: S608 - SQL strings are built from model metadata constants; values are bound parameters
"""Reconciliation: make our non-final intents agree with what the broker holds.

The engine only ever looks an order up while it is resolving its own send (UNKNOWN, or a
claim gone stale). Nothing in it revisits an intent the broker answered OPEN, and nothing
runs at start-up before the first new order. After a stop of the whole stack the broker may
have moved on meanwhile: open orders filled, cancelled or rejected (RMS, end of day), sends
that were in flight landed or did not. This module catches up:

    report = orders_reconcile()          # today's OPEN / UNKNOWN / stale SUBMITTING intents

For each such intent it looks the tag up at the broker (`adapter.order_by_tag`) and:
- found: the intent takes the broker's status (FILLED / OPEN / CANCELLED / REJECTED), filled
  quantity and average price; a cancelled or rejected EXIT puts the strategy in ERROR (the
  shares are still held), like the engine does for a rejected exit;
- confirmed absent (UNKNOWN / SUBMITTING only): back to NEW and queued again, exactly as the
  engine does, or FAILED once ORDER_MAX_ATTEMPTS sends were spent;
- confirmed absent while we had it OPEN: left OPEN and reported (`missing_at_broker`): the
  broker lost an order it had acknowledged, which needs a person, not a re-send;
- lookup failed: left for the next run (UNKNOWN stays UNKNOWN, OPEN stays OPEN).

The same fencing as the engine: rows are taken with a fresh claim token by a conditional
UPDATE (``FOR UPDATE SKIP LOCKED``), results are written only where the token still holds, so
the sweeper and this module never both decide an intent. A SUBMITTING intent whose claim is
younger than the lease plus the send timeout (engine.stale_claim_before) may still be sent by
a live worker and is skipped unless
``include_fresh_claims`` (only when it is known that no worker runs).

Run it with ``manage.py reconcile_orders`` before the workers start, and periodically.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from apps.broker_accounts.models import BrokerAccount
from apps.broker_accounts.services import broker_adapter_for
from apps.core.logging import scrub
from apps.strategies.models import Strategy, StrategyStatus
from brokers.base import BrokerAdapter, BrokerError, OrderResult, OrderStatus

from .models import FINAL_STATUSES, IntentStatus, OrderEvent, OrderIntent

log = logging.getLogger(__name__)

T_INTENT = OrderIntent._meta.db_table
T_EVENT = OrderEvent._meta.db_table

_BROKER_TO_INTENT = {
    OrderStatus.FILLED: IntentStatus.FILLED,
    OrderStatus.OPEN: IntentStatus.OPEN,
    OrderStatus.REJECTED: IntentStatus.REJECTED,
    OrderStatus.CANCELLED: IntentStatus.CANCELLED,
}
LOOKUP_THREADS = 32


@dataclasses.dataclass
class ReconcileReport:
    trading_day: dt.date
    checked: int = 0
    changed: Counter[str] = dataclasses.field(default_factory=Counter)  # "OPEN->FILLED": n
    unchanged: int = 0
    resent: list[int] = dataclasses.field(default_factory=list)  # confirmed absent: queued again
    failed: list[int] = dataclasses.field(default_factory=list)  # absent after ORDER_MAX_ATTEMPTS
    unreachable: list[int] = dataclasses.field(default_factory=list)  # lookup failed
    missing_at_broker: list[int] = dataclasses.field(default_factory=list)  # OPEN here, unknown there
    duplicates: dict[str, int] = dataclasses.field(default_factory=dict)  # tag -> orders at broker (> 1)
    strategies_in_error: list[int] = dataclasses.field(default_factory=list)
    skipped_fresh_claims: int = 0
    earlier_days_open: int = 0  # non-final intents of earlier days: not looked up, reported
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["trading_day"] = self.trading_day.isoformat()
        data["changed"] = dict(self.changed)
        return data


@dataclasses.dataclass(slots=True)
class _Row:
    intent: OrderIntent
    old_status: str
    found: list[OrderResult] | None = None  # None: lookup failed
    error: str = ""


def _claim(*, day: dt.date, stale_before: dt.datetime | None, token: uuid.UUID) -> list[tuple[int, str]]:
    """Take today's OPEN / UNKNOWN / stale SUBMITTING intents with a fresh token. UNKNOWN and
    SUBMITTING become SUBMITTING (claimed, as the engine's takeover does); OPEN stays OPEN."""
    stale = "" if stale_before is None else "AND claimed_at < %(stale)s"
    sql = f"""
    WITH c AS (
        SELECT id, status AS old FROM {T_INTENT}
        WHERE trading_day = %(day)s
          AND (status IN ('OPEN', 'UNKNOWN') OR (status = 'SUBMITTING' {stale}))
        ORDER BY id
        FOR UPDATE SKIP LOCKED
    ), upd AS (
        UPDATE {T_INTENT} i SET claim_token = %(token)s, claimed_at = now(), updated_at = now(),
               status = CASE WHEN c.old = 'OPEN' THEN 'OPEN' ELSE 'SUBMITTING' END
        FROM c WHERE i.id = c.id
        RETURNING i.id, c.old, i.attempts
    ), ev AS (
        INSERT INTO {T_EVENT} (intent_id, at, kind, status, attempt, detail)
        SELECT id, now(), 'RECONCILE_CLAIMED', CASE WHEN old = 'OPEN' THEN 'OPEN' ELSE 'SUBMITTING' END,
               attempts, %(detail)s FROM upd
    )
    SELECT id, old FROM upd
    """  # nosec B608
    params = {"day": day, "stale": stale_before, "token": token, "detail": Jsonb({"claim": str(token), "by": "reconcile"})}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], row[1]) for row in cursor.fetchall()]


def _lookup_all(rows: Sequence[_Row]) -> None:
    adapters: dict[int, BrokerAdapter | str] = {}
    accounts = {a.pk: a for a in BrokerAccount.objects.filter(pk__in={r.intent.broker_account_id for r in rows})}
    for account_id, account in accounts.items():
        try:
            adapters[account_id] = broker_adapter_for(account)
        except Exception as exc:  # noqa: BLE001 - a broken account must not stop the others
            adapters[account_id] = f"adapter unavailable: {type(exc).__name__}"

    def look(row: _Row) -> None:
        adapter = adapters.get(row.intent.broker_account_id, "account missing")
        if isinstance(adapter, str):
            row.error = adapter
            return
        try:
            row.found = adapter.order_by_tag(row.intent.tag)
        except BrokerError as exc:
            row.error = scrub(f"{exc.kind.value}: {exc.message}")[:300]
        except Exception as exc:  # noqa: BLE001 - an adapter bug leaves the intent as it was
            row.error = f"lookup crashed: {type(exc).__name__}"

    if not rows:
        return
    with ThreadPoolExecutor(max_workers=min(LOOKUP_THREADS, len(rows)), thread_name_prefix="reconcile") as pool:
        list(pool.map(look, rows))


def _decide(row: _Row, now: dt.datetime, report: ReconcileReport) -> dict[str, Any]:
    """The intent's new fields (always a status) for one looked-up row."""
    intent = row.intent
    was = row.old_status
    if row.found is None:
        report.unreachable.append(intent.pk)
        return {"status": was if was == IntentStatus.OPEN else IntentStatus.UNKNOWN, "last_error": row.error}
    if not row.found:
        if was == IntentStatus.OPEN:
            report.missing_at_broker.append(intent.pk)
            log.error("reconcile: intent %s is OPEN here but unknown to the broker", intent.tag)
            return {"status": IntentStatus.OPEN, "last_error": "Broker no longer lists this order (reconcile)."}
        if was == IntentStatus.SUBMITTING:
            # A send that died with its worker (the claim outlived its window): never reached the
            # broker, so it is not an attempt; sends lost this way are capped like the engine's.
            if intent.lost_sends + 1 < settings.ORDER_MAX_LOST_SENDS:
                report.resent.append(intent.pk)
                return {"status": IntentStatus.NEW, "claim_token": None, "attempts": max(intent.attempts - 1, 0),
                        "lost_sends": intent.lost_sends + 1, "last_error": "Send lost with its worker (reconcile)."}
            report.failed.append(intent.pk)
            return {"status": IntentStatus.FAILED, "lost_sends": intent.lost_sends + 1,
                    "last_error": "gave up: sends kept dying with their worker (reconcile)"}
        if intent.attempts < settings.ORDER_MAX_ATTEMPTS:
            report.resent.append(intent.pk)
            return {"status": IntentStatus.NEW, "claim_token": None,
                    "last_error": "Confirmed absent at broker (reconcile)."}
        report.failed.append(intent.pk)
        return {"status": IntentStatus.FAILED, "last_error": f"gave up after {intent.attempts} attempts (reconcile)"}
    if len(row.found) > 1:
        report.duplicates[intent.tag] = len(row.found)
        log.error("reconcile: broker holds %s orders for tag %s", len(row.found), intent.tag)
    live = [o for o in row.found if o.status is not OrderStatus.REJECTED] or row.found
    r = live[0]
    status = _BROKER_TO_INTENT[r.status]
    fields: dict[str, Any] = {
        "status": status,
        "broker_order_id": r.broker_order_id,
        "filled_quantity": r.filled_quantity,
        "average_price": r.average_price,
        "accepted_at": intent.accepted_at or r.placed_at or now,
        "last_error": scrub(r.message)[:500] if status in (IntentStatus.REJECTED, IntentStatus.CANCELLED) else "",
    }
    if status == IntentStatus.FILLED:
        fields["filled_at"] = intent.filled_at or now
    return fields


def _change(intent: OrderIntent, status: str, price: Any) -> dict[str, Any]:
    """The change dict apps.strategies.runtime.runtime_apply_orders (and notifications) take."""
    from apps.strategies.runtime import position_of

    position = position_of(status, None) if intent.leg == "ENTRY" else position_of("FILLED", status)
    return {
        "strategy_id": intent.strategy_id,
        "user_id": intent.user_id,
        "symbol": intent.symbol,
        "stop_loss": intent.strategy.stop_loss,
        "position": position,
        "order": {
            "id": intent.pk, "tag": intent.tag, "side": intent.side, "leg": intent.leg, "reason": intent.reason,
            "status": status, "quantity": intent.quantity, "trading_day": intent.trading_day,
            "price": str(price) if price is not None else None,
        },
    }


def orders_audit_duplicates(*, trading_day: dt.date, report: ReconcileReport) -> None:
    """Look up today's final intents too (read only) and report tags the broker holds more than
    once. The engine cannot see such a duplicate: it comes from a send whose claim had been
    taken over (a worker paused past its lease), whose result the claim token then refused."""
    rows = [_Row(intent=i, old_status=i.status)
            for i in OrderIntent.objects.filter(trading_day=trading_day, status__in=FINAL_STATUSES)
            .exclude(broker_order_id="")]
    _lookup_all(rows)
    for row in rows:
        if row.found is not None and len(row.found) > 1:
            report.duplicates[row.intent.tag] = len(row.found)
            log.error("reconcile: broker holds %s orders for tag %s (intent %s)", len(row.found), row.intent.tag,
                      row.intent.status)


def orders_reconcile(
    *, trading_day: dt.date | None = None, now: dt.datetime | None = None, include_fresh_claims: bool = False,
    audit_duplicates: bool = False,
) -> ReconcileReport:
    """Look up today's OPEN, UNKNOWN and stale SUBMITTING intents at their brokers and make
    ours agree (see the module docstring). Safe to run at any time, and twice. With
    `audit_duplicates`, today's final intents are looked up as well, only to report tags
    placed more than once."""
    from apps.strategies.calendar import trading_day_of

    started = time.monotonic()
    now = now or timezone.now()
    day = trading_day or trading_day_of(now)
    report = ReconcileReport(trading_day=day)
    if audit_duplicates:
        orders_audit_duplicates(trading_day=day, report=report)
    from .engine import stale_claim_before

    stale_before = None if include_fresh_claims else stale_claim_before(now)
    report.earlier_days_open = OrderIntent.objects.filter(trading_day__lt=day).exclude(status__in=FINAL_STATUSES).count()
    if stale_before is not None:
        report.skipped_fresh_claims = OrderIntent.objects.filter(
            trading_day=day, status=IntentStatus.SUBMITTING, claimed_at__gte=stale_before
        ).count()
    token = uuid.uuid4()
    claimed = _claim(day=day, stale_before=stale_before, token=token)
    report.checked = len(claimed)
    if not claimed:
        report.seconds = time.monotonic() - started
        return report
    old = dict(claimed)
    intents = OrderIntent.objects.filter(pk__in=old).select_related("strategy")
    rows = [_Row(intent=i, old_status=old[i.pk]) for i in intents]
    _lookup_all(rows)

    changes: list[dict[str, Any]] = []
    events: list[OrderEvent] = []
    errors: dict[int, str] = {}
    with transaction.atomic():
        for row in rows:
            intent = row.intent
            fields = _decide(row, now, report)
            written = OrderIntent.objects.filter(pk=intent.pk, claim_token=token).update(**fields, updated_at=now)
            if written != 1:
                continue  # someone took the claim over meanwhile: theirs to decide
            new = str(fields["status"])
            events.append(
                OrderEvent(
                    intent_id=intent.pk, at=now, kind="RECONCILED", status=new, attempt=intent.attempts,
                    detail={"from": row.old_status, "to": new, "error": row.error or None,
                            "found_at_broker": len(row.found) if row.found is not None else None,
                            "broker_order_id": fields.get("broker_order_id")},
                )
            )
            if new == row.old_status or (row.old_status == IntentStatus.SUBMITTING and new == IntentStatus.UNKNOWN):
                report.unchanged += 1
            else:
                report.changed[f"{row.old_status}->{new}"] += 1
                changes.append(_change(intent, new, fields.get("average_price")))
            if intent.leg == "EXIT" and new in (IntentStatus.CANCELLED, IntentStatus.REJECTED, IntentStatus.FAILED):
                errors[intent.strategy_id] = f"Exit order {intent.tag} is {new} at the broker; the position is still open."
            elif intent.leg == "ENTRY" and new == IntentStatus.FAILED:
                errors[intent.strategy_id] = f"Order {intent.tag} failed after {intent.attempts} attempts."
        OrderEvent.objects.bulk_create(events)
        for sid, reason in errors.items():
            Strategy.objects.filter(pk=sid).update(status=StrategyStatus.ERROR, status_reason=reason[:300], updated_at=now)
        report.strategies_in_error = sorted(errors)
        transaction.on_commit(lambda: _after(changes, errors, report.resent))
    report.seconds = time.monotonic() - started
    log.info("reconcile %s", report.as_dict())
    return report


def _after(changes: list[dict[str, Any]], errors: dict[int, str], resend: list[int]) -> None:
    from apps.notifications.services import notify_for_intent_changes
    from apps.strategies.runtime import runtime_apply_orders, runtime_sync_strategy

    from .engine import dispatch, queue_for

    if resend:
        by_reason: dict[str, list[int]] = {}
        for intent_id, reason in OrderIntent.objects.filter(pk__in=resend, status=IntentStatus.NEW).values_list("id", "reason"):
            by_reason.setdefault(reason, []).append(intent_id)
        for reason, ids in by_reason.items():
            dispatch(ids, queue_for(reason))
    try:
        runtime_apply_orders(changes)
        for strategy in Strategy.objects.filter(pk__in=errors):
            runtime_sync_strategy(strategy)
    except Exception:  # noqa: BLE001 - Redis is rebuildable (rebuild_runtime); PostgreSQL already holds the truth
        log.exception("reconcile: runtime update failed; run manage.py rebuild_runtime")
    try:
        notify_for_intent_changes(changes)
    except Exception:  # noqa: BLE001 - a notification must never undo a reconciliation
        log.exception("reconcile: notifications failed")
