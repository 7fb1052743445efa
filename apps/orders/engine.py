"""The execution engine: exactly one broker order per intent.

Celery delivers a task at least once, so nothing here trusts delivery:
1. An intent row is written first; the database allows one ENTRY and one EXIT per strategy
   and trading day (the scheduled sell and the stop-loss sell are the same EXIT leg).
2. A worker claims intents with a conditional UPDATE (NEW -> SUBMITTING, fresh claim token);
   a second delivery finds nothing to claim.
3. The intent id is the broker order tag. A reply that leaves the outcome unknown (timeout,
   network error, 5xx, 429) is resolved by looking the tag up at the broker; the order is sent
   again only when the broker confirms it has none, at most ORDER_MAX_ATTEMPTS times.
4. Results are written only while the claim token still holds, so a sweeper that took over a
   stale claim and a slow original worker never both decide.

Broker calls run in a process-wide thread pool with no database connection held, so a batch
of hundreds of orders waits for the broker once, in parallel.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from apps.broker_accounts.models import BrokerAccount, BrokerAccountStatus
from apps.broker_accounts.services import broker_adapter_for
from apps.core.logging import scrub
from apps.strategies.models import Strategy, StrategyStatus
from apps.strategies.runtime import position_of, runtime_apply_orders
from brokers.base import BrokerAdapter, BrokerError, ErrorKind, OrderRequest, OrderResult, OrderStatus, Side

from .models import IntentStatus, OrderEvent, OrderIntent, Reason, tag_for

log = logging.getLogger(__name__)

T_INTENT = OrderIntent._meta.db_table
T_EVENT = OrderEvent._meta.db_table
T_STRATEGY = Strategy._meta.db_table

_executor: ThreadPoolExecutor | None = None


def _io_pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=settings.ORDER_IO_THREADS, thread_name_prefix="broker-io")
    return _executor


# --- creating intents -------------------------------------------------------------------------

_COLUMNS = (
    "strategy_id, user_id, broker_account_id, trading_day, leg, side, reason, symbol, exchange, product, "
    "quantity, status, attempts, broker_order_id, filled_quantity, last_error, due_at, created_at, updated_at"
)

_CREATE_ENTRY = f"""
WITH ins AS (
    INSERT INTO {T_INTENT} ({_COLUMNS})
    SELECT s.id, s.user_id, s.broker_account_id, %(day)s, 'ENTRY', 'BUY', %(reason)s, s.symbol, s.exchange,
           s.product, s.quantity, 'NEW', 0, '', 0, '', %(due)s, now(), now()
    FROM {T_STRATEGY} s
    WHERE s.id = ANY(%(ids)s) AND s.status = 'RUNNING' AND s.deleted_at IS NULL
    ON CONFLICT (strategy_id, trading_day, leg) DO NOTHING
    RETURNING id
), ev AS (
    INSERT INTO {T_EVENT} (intent_id, at, kind, status, attempt, detail)
    SELECT id, now(), 'CREATED', 'NEW', 0, %(detail)s FROM ins
)
SELECT id FROM ins
"""  # noqa: S608 - table names come from model metadata, values are parameters

# An exit needs a filled entry today (no position, no sell); it does not need the strategy to
# be running: a stopped strategy still closes the position it holds.
_CREATE_EXIT = f"""
WITH ins AS (
    INSERT INTO {T_INTENT} ({_COLUMNS})
    SELECT s.id, s.user_id, s.broker_account_id, %(day)s, 'EXIT', 'SELL', %(reason)s, e.symbol, e.exchange,
           e.product, e.filled_quantity, 'NEW', 0, '', 0, '', %(due)s, now(), now()
    FROM {T_STRATEGY} s
    JOIN {T_INTENT} e ON e.strategy_id = s.id AND e.trading_day = %(day)s AND e.leg = 'ENTRY'
                     AND e.status = 'FILLED' AND e.filled_quantity > 0
    WHERE s.id = ANY(%(ids)s)
    ON CONFLICT (strategy_id, trading_day, leg) DO NOTHING
    RETURNING id
), ev AS (
    INSERT INTO {T_EVENT} (intent_id, at, kind, status, attempt, detail)
    SELECT id, now(), 'CREATED', 'NEW', 0, %(detail)s FROM ins
)
SELECT id FROM ins
"""  # noqa: S608


def intents_create(
    *, leg: str, strategy_ids: Sequence[int], trading_day: dt.date, reason: str, due_at: dt.datetime | None
) -> list[int]:
    """Write today's intents for the eligible strategies; returns the ids of every intent of
    that leg still waiting to be sent (new ones, and NEW ones a crashed delivery left behind)."""
    if not strategy_ids:
        return []
    sql = _CREATE_ENTRY if leg == "ENTRY" else _CREATE_EXIT
    params = {
        "ids": list(strategy_ids),
        "day": trading_day,
        "reason": reason,
        "due": due_at,
        "detail": Jsonb({"due_at": due_at.isoformat() if due_at else None}),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute(
            f"SELECT id FROM {T_INTENT} WHERE strategy_id = ANY(%s) AND trading_day = %s AND leg = %s AND status = 'NEW'",  # noqa: S608
            [list(strategy_ids), trading_day, leg],
        )
        return [row[0] for row in cursor.fetchall()]


# --- claiming and sending -----------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Claimed:
    id: int
    strategy_id: int
    user_id: int
    broker_account_id: int
    trading_day: dt.date
    leg: str
    side: str
    reason: str
    symbol: str
    exchange: str
    product: str
    quantity: int
    attempts: int
    status: str

    @property
    def tag(self) -> str:
        return tag_for(self.id)


_CLAIM_FIELDS = (
    "id, strategy_id, user_id, broker_account_id, trading_day, leg, side, reason, symbol, exchange, product, "
    "quantity, attempts, status"
)


def _claim(sql_where: str, params: dict[str, Any], *, to_status: str, bump_attempts: bool) -> tuple[uuid.UUID, list[Claimed]]:
    token = uuid.uuid4()
    attempts = "attempts + 1" if bump_attempts else "attempts"
    sql = f"""
    WITH c AS (
        UPDATE {T_INTENT} SET status = %(to)s, attempts = {attempts}, claim_token = %(token)s, claimed_at = now(),
               submitted_at = COALESCE(submitted_at, now()), updated_at = now()
        WHERE {sql_where}
        RETURNING {_CLAIM_FIELDS}
    ), ev AS (
        INSERT INTO {T_EVENT} (intent_id, at, kind, status, attempt, detail)
        SELECT id, now(), 'CLAIMED', %(to)s, attempts, %(detail)s FROM c
    )
    SELECT {_CLAIM_FIELDS} FROM c
    """  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, {**params, "to": to_status, "token": token, "detail": Jsonb({"claim": str(token)})})
        rows = [Claimed(*row) for row in cursor.fetchall()]
    return token, rows


@dataclasses.dataclass(slots=True)
class Outcome:
    intent: Claimed
    kind: str  # accepted | rejected | absent | unknown
    result: OrderResult | None = None
    error: BrokerError | None = None
    request: dict[str, Any] | None = None
    found_at_broker: int = 0


def _request_for(intent: Claimed) -> OrderRequest:
    return OrderRequest(
        tag=intent.tag,
        symbol=intent.symbol,
        exchange=intent.exchange,
        side=Side(intent.side),
        quantity=intent.quantity,
        product=intent.product,
        algo_id=settings.ALGO_ID or None,
    )


def _lookup(adapter: BrokerAdapter, intent: Claimed, cause: BrokerError | None, request: dict[str, Any] | None) -> Outcome:
    try:
        found = adapter.order_by_tag(intent.tag)
    except BrokerError as exc:
        return Outcome(intent, "unknown", error=exc, request=request)
    except Exception as exc:  # noqa: BLE001 - an adapter bug must not lose the intent
        return Outcome(intent, "unknown", error=BrokerError(f"lookup crashed: {type(exc).__name__}", kind=ErrorKind.UNKNOWN), request=request)
    if not found:
        return Outcome(intent, "absent", error=cause, request=request)
    live = [o for o in found if o.status is not OrderStatus.REJECTED] or found
    return Outcome(intent, "accepted", result=live[0], error=cause, request=request, found_at_broker=len(found))


def _send(adapter: BrokerAdapter, intent: Claimed) -> Outcome:
    order = _request_for(intent)
    request = {k: str(v) for k, v in dataclasses.asdict(order).items() if v is not None}
    try:
        return Outcome(intent, "accepted", result=adapter.submit(order), request=request)
    except BrokerError as exc:
        if exc.final:
            return Outcome(intent, "rejected", error=exc, request=request)
        return _lookup(adapter, intent, exc, request)
    except Exception as exc:  # noqa: BLE001 - unknown outcome: resolve by tag, never assume absent
        log.exception("adapter submit crashed", extra={"intent_id": intent.id})
        err = BrokerError(f"submit crashed: {type(exc).__name__}", kind=ErrorKind.UNKNOWN)
        return _lookup(adapter, intent, err, request)


def _adapters(account_ids: Iterable[int]) -> dict[int, BrokerAdapter | BrokerAccount]:
    """Adapters for usable accounts; the account row itself when it cannot trade now."""
    out: dict[int, BrokerAdapter | BrokerAccount] = {}
    for account in BrokerAccount.objects.filter(pk__in=set(account_ids)):
        out[account.pk] = broker_adapter_for(account) if account.status == BrokerAccountStatus.ACTIVE else account
    return out


def _run(claimed: list[Claimed], token: uuid.UUID, *, lookup_only: bool) -> None:
    if not claimed:
        return
    adapters = _adapters(c.broker_account_id for c in claimed)
    if not connection.in_atomic_block:
        connection.close()  # free this thread's database connection while brokers answer
    futures = []
    outcomes: list[Outcome] = []
    for intent in claimed:
        adapter = adapters.get(intent.broker_account_id)
        if not isinstance(adapter, BrokerAdapter):
            reason = "Broker account needs a fresh login." if adapter is not None else "Broker account is gone."
            outcomes.append(Outcome(intent, "rejected", error=BrokerError(reason, kind=ErrorKind.TOKEN)))
        elif lookup_only:
            futures.append(_io_pool().submit(_lookup, adapter, intent, None, None))
        else:
            futures.append(_io_pool().submit(_send, adapter, intent))
    outcomes.extend(f.result() for f in futures)
    _record(outcomes, token)


def intents_execute(intent_ids: Sequence[int]) -> int:
    """Claim the NEW intents among `intent_ids` and send each once. Returns how many were sent."""
    if not intent_ids:
        return 0
    token, claimed = _claim(
        "id = ANY(%(ids)s) AND status = 'NEW'", {"ids": list(intent_ids)}, to_status="SUBMITTING", bump_attempts=True
    )
    _run(claimed, token, lookup_only=False)
    return len(claimed)


def intents_resolve(intent_ids: Sequence[int], *, stale_before: dt.datetime) -> int:
    """Take over intents whose outcome is unknown (or whose claim went stale: a worker died
    mid-send) and find out at the broker what happened. Nothing is sent here."""
    token, claimed = _claim(
        "id = ANY(%(ids)s) AND ((status = 'UNKNOWN') OR (status = 'SUBMITTING' AND claimed_at < %(stale)s))",
        {"ids": list(intent_ids), "stale": stale_before},
        to_status="SUBMITTING",
        bump_attempts=False,
    )
    _run(claimed, token, lookup_only=True)
    return len(claimed)


# --- recording outcomes ---------------------------------------------------------------------------

_BROKER_TO_INTENT = {
    OrderStatus.FILLED: IntentStatus.FILLED,
    OrderStatus.OPEN: IntentStatus.OPEN,
    OrderStatus.REJECTED: IntentStatus.REJECTED,
    OrderStatus.CANCELLED: IntentStatus.CANCELLED,
}


def _raw(result: OrderResult | None) -> Any:
    if result is None:
        return None
    return {k: (str(v) if not isinstance(v, int | str | None) else v) for k, v in dict(result.raw).items()}


def _record(outcomes: list[Outcome], token: uuid.UUID) -> None:
    now = timezone.now()
    updates: list[dict[str, Any]] = []
    events: list[OrderEvent] = []
    retry: list[Claimed] = []
    failed_strategies: dict[int, str] = {}
    token_accounts: set[int] = set()
    for o in outcomes:
        i = o.intent
        row: dict[str, Any] = {"id": i.id, "token": token, "now": now, "error": "", "order_id": "", "filled": 0,
                               "price": None, "accepted": None, "filled_at": None}
        if o.error is not None:
            row["error"] = scrub(f"{o.error.kind.value}: {o.error.message}")[:500]
        if o.kind == "accepted" and o.result is not None:
            r = o.result
            row["status"] = _BROKER_TO_INTENT[r.status]
            row["order_id"] = r.broker_order_id
            row["filled"] = r.filled_quantity
            row["price"] = r.average_price
            row["accepted"] = r.placed_at or now
            row["filled_at"] = (r.placed_at or now) if r.status is OrderStatus.FILLED else None
            if r.status is OrderStatus.REJECTED:
                row["error"] = scrub(r.message)[:500]
        elif o.kind == "rejected":
            row["status"] = IntentStatus.REJECTED if o.error and o.error.kind != ErrorKind.TOKEN else IntentStatus.FAILED
            if o.error is not None and o.error.kind == ErrorKind.TOKEN:
                token_accounts.add(i.broker_account_id)
                failed_strategies[i.strategy_id] = "Broker login expired: re-login needed."
            elif i.leg == "EXIT":
                failed_strategies[i.strategy_id] = f"Exit order rejected ({row['error']}); the position is still open."
        elif o.kind == "absent":
            if i.attempts < settings.ORDER_MAX_ATTEMPTS:
                row["status"] = IntentStatus.NEW
                retry.append(i)
            else:
                row["status"] = IntentStatus.FAILED
                row["error"] = f"gave up after {i.attempts} attempts: {row['error']}"[:500]
                failed_strategies[i.strategy_id] = f"Order {i.tag} failed after {i.attempts} attempts."
        else:
            row["status"] = IntentStatus.UNKNOWN
        updates.append(row)
        events.append(
            OrderEvent(
                intent_id=i.id,
                at=now,
                kind="RESULT" if o.kind != "absent" else "ABSENT",
                status=row["status"],
                attempt=i.attempts,
                detail={
                    "outcome": o.kind,
                    "request": o.request,
                    "response": _raw(o.result),
                    "error": row["error"] or None,
                    "found_at_broker": o.found_at_broker,
                },
            )
        )
        if o.found_at_broker > 1:
            log.error("broker holds %s orders for one tag", o.found_at_broker, extra={"intent_id": i.id})

    sql = f"""
    UPDATE {T_INTENT} SET status = %(status)s, broker_order_id = %(order_id)s, filled_quantity = %(filled)s,
        average_price = %(price)s, accepted_at = COALESCE(accepted_at, %(accepted)s),
        filled_at = COALESCE(filled_at, %(filled_at)s), last_error = %(error)s, updated_at = %(now)s,
        claim_token = CASE WHEN %(status)s IN ('NEW') THEN NULL ELSE claim_token END
    WHERE id = %(id)s AND claim_token = %(token)s AND status = 'SUBMITTING'
    """  # noqa: S608
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.executemany(sql, updates)
        OrderEvent.objects.bulk_create(events)
        for sid, reason in failed_strategies.items():
            Strategy.objects.filter(pk=sid).update(status=StrategyStatus.ERROR, status_reason=reason[:300], updated_at=now)
        if token_accounts:
            BrokerAccount.objects.filter(pk__in=token_accounts).update(
                status=BrokerAccountStatus.NEEDS_LOGIN, status_reason="Broker session expired: log in again."
            )
        transaction.on_commit(lambda: _after_record([o.intent.id for o in outcomes], failed_strategies))
    if retry:
        dispatch(retry_ids := [i.id for i in retry], queue_for(retry[0].reason))
        log.warning("orders confirmed absent at broker; sending again", extra={"intent_ids": retry_ids})


def _after_record(intent_ids: list[int], failed_strategies: dict[int, str]) -> None:
    runtime_publish_intents(intent_ids)
    if failed_strategies:
        from apps.strategies.runtime import runtime_sync_strategy

        for strategy in Strategy.objects.filter(pk__in=failed_strategies):
            runtime_sync_strategy(strategy)


def runtime_publish_intents(intent_ids: Sequence[int]) -> None:
    """Push the new state of these intents (and their strategies' positions) to Redis."""
    if not intent_ids:
        return
    rows = list(
        OrderIntent.objects.filter(pk__in=intent_ids).values(
            "id", "strategy_id", "user_id", "trading_day", "leg", "side", "reason", "status", "quantity",
            "average_price", "symbol", "strategy__stop_loss",
        )
    )
    keys = {(r["strategy_id"], r["trading_day"]) for r in rows}
    legs: dict[tuple[int, dt.date], dict[str, str]] = {}
    for sid, day, leg, status in OrderIntent.objects.filter(
        strategy_id__in={k[0] for k in keys}, trading_day__in={k[1] for k in keys}
    ).values_list("strategy_id", "trading_day", "leg", "status"):
        legs.setdefault((sid, day), {})[leg] = status
    changes = []
    for r in rows:
        day_legs = legs.get((r["strategy_id"], r["trading_day"]), {})
        changes.append(
            {
                "strategy_id": r["strategy_id"],
                "user_id": r["user_id"],
                "symbol": r["symbol"],
                "stop_loss": r["strategy__stop_loss"],
                "position": position_of(day_legs.get("ENTRY"), day_legs.get("EXIT")),
                "order": {
                    "id": r["id"], "tag": tag_for(r["id"]), "side": r["side"], "leg": r["leg"], "reason": r["reason"],
                    "status": r["status"], "quantity": r["quantity"], "trading_day": r["trading_day"],
                    "price": str(r["average_price"]) if r["average_price"] is not None else None,
                },
            }
        )
    runtime_apply_orders(changes)


# --- dispatch ---------------------------------------------------------------------------------------


def queue_for(reason: str) -> str:
    return "stoploss" if reason == Reason.STOP_LOSS else "orders"


def dispatch(intent_ids: Sequence[int], queue: str) -> None:
    """Queue execution of these intents, once the current transaction (if any) commits."""
    from .tasks import execute_intents

    ids = list(intent_ids)
    size = settings.ORDER_BATCH_SIZE

    def send() -> None:
        for start in range(0, len(ids), size):
            execute_intents.apply_async(args=[ids[start : start + size]], queue=queue)

    transaction.on_commit(send)


def legs_fire(*, leg: str, strategy_ids: Sequence[int], due_at: dt.datetime, reason: str = Reason.SCHEDULED) -> int:
    """The schedule's moment has come for these strategies: write and send their orders now."""
    from apps.strategies.calendar import trading_day_of

    ids = intents_create(
        leg=leg, strategy_ids=strategy_ids, trading_day=trading_day_of(due_at), reason=reason, due_at=due_at
    )
    return intents_execute(ids)


def stop_loss_exit(*, strategy_id: int, price: Decimal | None = None, at: dt.datetime | None = None) -> list[int]:
    """Create today's EXIT for a stopped-out position and queue it on the stop-loss queue.
    A later scheduled sell finds the EXIT leg taken and places nothing."""
    from apps.strategies.calendar import trading_day_of

    at = at or timezone.now()
    ids = intents_create(
        leg="EXIT", strategy_ids=[strategy_id], trading_day=trading_day_of(at), reason=Reason.STOP_LOSS, due_at=at
    )
    if ids:
        dispatch(ids, "stoploss")
    return ids


# --- the sweeper -----------------------------------------------------------------------------------


def intents_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Re-queue NEW intents nobody took, and resolve stale or unknown ones by tag."""
    now = now or timezone.now()
    stale_new = now - dt.timedelta(seconds=settings.ORDER_REQUEUE_AFTER_SECONDS)
    stale_claim = now - dt.timedelta(seconds=settings.ORDER_CLAIM_LEASE_SECONDS)
    unknown_after = now - dt.timedelta(seconds=settings.ORDER_UNKNOWN_RECHECK_SECONDS)
    new = list(OrderIntent.objects.filter(status=IntentStatus.NEW, updated_at__lt=stale_new).values_list("id", "reason"))
    for reason in {r for _, r in new}:
        dispatch([i for i, r in new if r == reason], queue_for(reason))
    to_resolve = list(
        OrderIntent.objects.filter(
            status__in=[IntentStatus.SUBMITTING, IntentStatus.UNKNOWN],
        )
        .exclude(status=IntentStatus.SUBMITTING, claimed_at__gte=stale_claim)
        .exclude(status=IntentStatus.UNKNOWN, updated_at__gte=unknown_after)
        .values_list("id", flat=True)[:1000]
    )
    resolved = intents_resolve(to_resolve, stale_before=stale_claim) if to_resolve else 0
    caught_up = legs_catch_up(now=now)
    return {"requeued": len(new), "resolved": resolved, "caught_up": caught_up}


def legs_catch_up(*, now: dt.datetime) -> int:
    """Fire legs whose moment passed in the last few minutes without leaving an intent: a fire
    lost with a crashed worker (or a scheduler that was down). Firing is idempotent, so a leg
    that merely runs late is not doubled."""
    from apps.strategies.calendar import IST, holidays, is_trading_day

    local = now.astimezone(IST)
    day = local.date()
    window_start = (local - dt.timedelta(seconds=settings.SCHEDULER_CATCHUP_SECONDS)).time()
    grace = (local - dt.timedelta(seconds=settings.ORDER_REQUEUE_AFTER_SECONDS)).time()
    if window_start > grace or not is_trading_day(day, holidays("NSE", start=day)):
        return 0  # the window crosses midnight, or no trading today
    fired = 0
    entry_due = (
        Strategy.objects.filter(
            status=StrategyStatus.RUNNING, deleted_at__isnull=True, buy_time__gt=window_start, buy_time__lte=grace
        )
        .exclude(intents__trading_day=day, intents__leg="ENTRY")
        .values_list("id", "days")
    )
    exit_due = (
        Strategy.objects.filter(
            deleted_at__isnull=True,
            sell_time__gt=window_start,
            sell_time__lte=grace,
            intents__trading_day=day,
            intents__leg="ENTRY",
            intents__status=IntentStatus.FILLED,
        )
        .exclude(intents__trading_day=day, intents__leg="EXIT")
        .values_list("id", "days")
    )
    for leg, rows in (("ENTRY", entry_due), ("EXIT", exit_due)):
        ids = [sid for sid, days in rows if day.weekday() in days]
        if ids:
            log.warning("catching up %d missed %s legs", len(ids), leg, extra={"strategy_ids": ids[:50]})
            fired += legs_fire(leg=leg, strategy_ids=ids, due_at=now)
    return fired
