# ruff: noqa: S608 - every SQL string here is built from model metadata constants; values are bound parameters
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
import json
import logging
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from apps.broker_accounts.crypto import decrypt_mapping
from apps.broker_accounts.models import BrokerAccount, BrokerAccountStatus
from apps.broker_accounts.ratelimit import submit as rate_limited_submit
from apps.broker_accounts.services import build_adapter
from apps.core.logging import scrub
from apps.strategies.models import Strategy, StrategyStatus
from apps.strategies.runtime import position_of, runtime_apply_orders
from brokers.base import BrokerAdapter, BrokerError, ErrorKind, OrderRequest, OrderResult, OrderStatus, Side

from .models import IntentStatus, OrderEvent, OrderIntent, Reason, tag_for

log = logging.getLogger(__name__)

T_INTENT = OrderIntent._meta.db_table
T_EVENT = OrderEvent._meta.db_table
T_STRATEGY = Strategy._meta.db_table
T_ACCOUNT = BrokerAccount._meta.db_table

_executor: ThreadPoolExecutor | None = None


def _io_pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=settings.ORDER_IO_THREADS, thread_name_prefix="broker-io")
    return _executor


def warm_io_pool() -> None:
    """Start every broker-I/O thread now: starting threads while a market-open batch is
    running costs ~10 ms each under the GIL."""
    import threading

    n = settings.ORDER_IO_THREADS
    barrier = threading.Barrier(n + 1)
    for _ in range(n):
        _io_pool().submit(barrier.wait, 10)
    barrier.wait(10)


# --- creating intents -------------------------------------------------------------------------

def _insert_intents_sql(leg: str, *, claimed: bool) -> str:
    """INSERT today's intents of one leg for the eligible strategies among %(ids)s.

    An ENTRY needs a running strategy. An EXIT needs a filled entry today (no position, no
    sell) but not a running strategy: a stopped strategy still closes the position it holds.
    With `claimed`, the rows are born claimed by %(token)s (SUBMITTING, first attempt)."""
    columns = (
        "strategy_id, user_id, broker_account_id, trading_day, leg, side, reason, symbol, exchange, product, "
        "quantity, status, attempts, broker_order_id, filled_quantity, last_error, due_at, created_at, updated_at"
    )
    state = "'NEW', 0"
    if claimed:
        columns += ", claim_token, claimed_at, submitted_at"
        state = "'SUBMITTING', 1"
    tail = ", %(token)s, now(), now()" if claimed else ""
    if leg == "ENTRY":
        select = f"""
        SELECT s.id, s.user_id, s.broker_account_id, %(day)s, 'ENTRY', 'BUY', %(reason)s, s.symbol, s.exchange,
               s.product, s.quantity, {state}, '', 0, '', %(due)s, now(), now(){tail}
        FROM {T_STRATEGY} s
        WHERE s.id = ANY(%(ids)s) AND s.status = 'RUNNING' AND s.deleted_at IS NULL"""  # nosec B608
    else:
        select = f"""
        SELECT s.id, s.user_id, s.broker_account_id, %(day)s, 'EXIT', 'SELL', %(reason)s, e.symbol, e.exchange,
               e.product, e.filled_quantity, {state}, '', 0, '', %(due)s, now(), now(){tail}
        FROM {T_STRATEGY} s
        JOIN {T_INTENT} e ON e.strategy_id = s.id AND e.trading_day = %(day)s AND e.leg = 'ENTRY'
                         AND e.status = 'FILLED' AND e.filled_quantity > 0
        WHERE s.id = ANY(%(ids)s)"""  # nosec B608
    return f"""INSERT INTO {T_INTENT} ({columns}) {select}
        ON CONFLICT (strategy_id, trading_day, leg) DO NOTHING"""  # noqa: S608 - names from model metadata


def _create_sql(leg: str) -> str:
    return f"""
    WITH ins AS ({_insert_intents_sql(leg, claimed=False)} RETURNING id),
    ev AS (
        INSERT INTO {T_EVENT} (intent_id, at, kind, status, attempt, detail)
        SELECT id, now(), 'CREATED', 'NEW', 0, %(detail)s FROM ins
    )
    SELECT id FROM ins
    """  # nosec B608  # noqa: S608


def intents_create(
    *,
    leg: str,
    strategy_ids: Sequence[int],
    trading_day: dt.date,
    reason: str,
    due_at: dt.datetime | None,
    collect: bool = True,
) -> list[int]:
    """Write today's intents for the eligible strategies; returns the ids of every intent of
    that leg still waiting to be sent (new ones, and NEW ones a crashed delivery left behind)."""
    if not strategy_ids:
        return []
    sql = _create_sql(leg)
    params = {
        "ids": list(strategy_ids),
        "day": trading_day,
        "reason": reason,
        "due": due_at,
        "detail": Jsonb({"due_at": due_at.isoformat() if due_at else None}),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        if not collect:
            return []
        cursor.execute(
            f"SELECT id FROM {T_INTENT} WHERE strategy_id = ANY(%s) AND trading_day = %s AND leg = %s AND status = 'NEW'",  # nosec B608  # noqa: S608
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
    lost_sends: int
    stop_loss: Decimal
    broker: str
    sealed_credentials: dict[str, str]
    account_status: str

    @property
    def tag(self) -> str:
        return tag_for(self.id)


_CLAIM_FIELDS = (
    "id, strategy_id, user_id, broker_account_id, trading_day, leg, side, reason, symbol, exchange, product, "
    "quantity, attempts, status, lost_sends"
)


def _claim_sql(where: str, *, bump_attempts: bool) -> str:
    """One statement: claim the rows, log the claim, and return what sending needs (the
    strategy's stop-loss and the broker account), so a batch costs one round trip."""
    attempts = "attempts + 1" if bump_attempts else "attempts"
    cols = ", ".join(f"c.{c.strip()}" for c in _CLAIM_FIELDS.split(","))
    return f"""
    WITH c AS (
        UPDATE {T_INTENT} SET status = 'SUBMITTING', attempts = {attempts}, claim_token = %(token)s,
               claimed_at = now(), submitted_at = COALESCE(submitted_at, now()), updated_at = now()
        WHERE {where}
        RETURNING {_CLAIM_FIELDS}
    ), ev AS (
        INSERT INTO {T_EVENT} (intent_id, at, kind, status, attempt, detail)
        SELECT id, now(), 'CLAIMED', 'SUBMITTING', attempts, %(detail)s FROM c
    )
    SELECT {cols}, s.stop_loss, a.broker, a.credentials, a.status
    FROM c JOIN {T_STRATEGY} s ON s.id = c.strategy_id JOIN {T_ACCOUNT} a ON a.id = c.broker_account_id
    """  # nosec B608  # noqa: S608 - table names come from model metadata, values are parameters


def send_window_end() -> float:
    """The monotonic moment a claim made now stops allowing sends. Taken before the claim's
    statement runs, so it is never later than the database's claimed_at + lease, whatever the
    clocks say: the sweeper measures the same lease from claimed_at on the database clock."""
    return time.monotonic() + settings.ORDER_CLAIM_LEASE_SECONDS


def stale_claim_before(now: dt.datetime) -> dt.datetime:
    """Claims older than this may be taken over. A claim allows sends for the lease; a request
    written just before the lease ended has ORDER_SEND_TIMEOUT_SECONDS more to reach the broker.
    Only after both can "no such order at the broker" mean it will never arrive."""
    return now - dt.timedelta(seconds=settings.ORDER_CLAIM_LEASE_SECONDS + settings.ORDER_SEND_TIMEOUT_SECONDS)


def _claim(sql_where: str, params: dict[str, Any], *, bump_attempts: bool) -> tuple[uuid.UUID, list[Claimed]]:
    token = uuid.uuid4()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _claim_sql(sql_where, bump_attempts=bump_attempts),
            {**params, "token": token, "detail": Jsonb({"claim": str(token)})},
        )
        rows = [Claimed(*row) for row in cursor.fetchall()]
    return token, rows


@dataclasses.dataclass(slots=True)
class Outcome:
    intent: Claimed
    kind: str  # accepted | rejected | absent | unknown | halted | not_sent
    result: OrderResult | None = None
    error: BrokerError | None = None
    request: dict[str, Any] | None = None
    found_at_broker: int = 0
    lost_send: bool = False  # absent after a take-over: the send died with its worker


def _request_for(intent: Claimed, send_before: float | None = None) -> OrderRequest:
    return OrderRequest(
        tag=intent.tag,
        symbol=intent.symbol,
        exchange=intent.exchange,
        side=Side(intent.side),
        quantity=intent.quantity,
        product=intent.product,
        algo_id=settings.ALGO_ID or None,
        send_before=send_before,
    )


def _lookup(adapter: BrokerAdapter, intent: Claimed, cause: BrokerError | None, request: dict[str, Any] | None) -> Outcome:
    try:
        found = adapter.order_by_tag(intent.tag)
    except BrokerError as exc:
        return Outcome(intent, "unknown", error=exc, request=request)
    except Exception as exc:  # noqa: BLE001 - an adapter bug must not lose the intent
        crash = BrokerError(f"lookup crashed: {type(exc).__name__}", kind=ErrorKind.UNKNOWN)
        return Outcome(intent, "unknown", error=crash, request=request)
    if not found:
        return Outcome(intent, "absent", error=cause, request=request)
    live = [o for o in found if o.status is not OrderStatus.REJECTED] or found
    return Outcome(intent, "accepted", result=live[0], error=cause, request=request, found_at_broker=len(found))


def _send(adapter: BrokerAdapter, intent: Claimed, send_before: float) -> Outcome:
    order = _request_for(intent, send_before)
    request = {"tag": order.tag, "symbol": order.symbol, "exchange": order.exchange, "side": order.side.value,
               "quantity": order.quantity, "product": order.product, "order_type": order.order_type.value}
    try:
        result = rate_limited_submit(adapter, order, account_id=intent.broker_account_id)  # waits for a slot
        return Outcome(intent, "accepted", result=result, request=request)
    except BrokerError as exc:
        if exc.final:
            return Outcome(intent, "rejected", error=exc, request=request)
        if exc.kind is ErrorKind.NOT_SENT:
            return Outcome(intent, "not_sent", error=exc, request=request)
        return _lookup(adapter, intent, exc, request)
    except Exception as exc:  # noqa: BLE001 - unknown outcome: resolve by tag, never assume absent
        log.exception("adapter submit crashed", extra={"intent_id": intent.id})
        err = BrokerError(f"submit crashed: {type(exc).__name__}", kind=ErrorKind.UNKNOWN)
        return _lookup(adapter, intent, err, request)


def _adapter_for(intent: Claimed) -> BrokerAdapter | str:
    """The account's adapter, or why the account cannot trade now."""
    if intent.account_status != BrokerAccountStatus.ACTIVE:
        return "Broker account needs a fresh login."
    sealed = intent.sealed_credentials
    if isinstance(sealed, str):  # Django hands raw jsonb columns back as text
        sealed = json.loads(sealed)
    credentials = decrypt_mapping(sealed, user_id=intent.user_id, broker=intent.broker)
    return build_adapter(broker=intent.broker, account_ref=str(intent.broker_account_id), credentials=credentials)


def _run(
    claimed: list[Claimed], token: uuid.UUID, *, lookup_only: bool, send_before: float | None = None,
    takeover: bool = False,
) -> None:
    """Send (or, with lookup_only, look up by tag) every claimed intent and record the outcomes.
    `send_before` closes the claim's send window (see send_window_end); `takeover` says the
    claims were taken from a worker that died or stalled mid-send."""
    if not claimed:
        return
    window = send_before if send_before is not None else send_window_end()
    from apps.operations.kill import active_switches, blocked_reason_in

    adapters: dict[int, BrokerAdapter | str] = {}
    futures = []
    outcomes: list[Outcome] = []
    switches = active_switches() if not lookup_only else {}
    for intent in claimed:
        # A kill switch stops new risk: entries. Exits only ever close a position (and the day
        # has one EXIT leg: a cancelled exit would leave the shares without a way out).
        halted = intent.leg == "ENTRY" and blocked_reason_in(
            switches, user_id=intent.user_id, broker=intent.broker, strategy_id=intent.strategy_id, reason=intent.reason
        )
        if halted:
            outcomes.append(Outcome(intent, "halted", error=BrokerError(halted, kind=ErrorKind.INPUT)))
            continue
        if intent.broker_account_id not in adapters:
            adapters[intent.broker_account_id] = _adapter_for(intent)
        adapter = adapters[intent.broker_account_id]
        if isinstance(adapter, str):
            outcomes.append(Outcome(intent, "rejected", error=BrokerError(adapter, kind=ErrorKind.TOKEN)))
        elif lookup_only:
            futures.append(_io_pool().submit(_lookup, adapter, intent, None, None))
        elif len(claimed) == 1:
            outcomes.append(_send(adapter, intent, window))  # one order: no thread hop
        else:
            futures.append(_io_pool().submit(_send, adapter, intent, window))
    outcomes.extend(f.result() for f in futures)
    if takeover:
        for o in outcomes:
            o.lost_send = o.kind == "absent"
    _record(outcomes, token)


def _claim_new_sql_for_legs() -> str:
    return "strategy_id = ANY(%(ids)s) AND trading_day = %(day)s AND leg = %(leg)s AND status = 'NEW'"


def intents_execute(intent_ids: Sequence[int]) -> int:
    """Claim the NEW intents among `intent_ids` and send each once. Returns how many were sent."""
    if not intent_ids:
        return 0
    window = send_window_end()
    token, claimed = _claim("id = ANY(%(ids)s) AND status = 'NEW'", {"ids": list(intent_ids)}, bump_attempts=True)
    _run(claimed, token, lookup_only=False, send_before=window)
    return len(claimed)


def intents_resolve(intent_ids: Sequence[int], *, stale_before: dt.datetime) -> int:
    """Take over intents whose outcome is unknown (or whose claim went stale: a worker died or
    stalled mid-send) and find out at the broker what happened. Nothing is sent here; an order
    confirmed absent goes back to NEW and is sent by the next delivery.

    `stale_before` must leave the old claim's send window and the request timeout behind (see
    stale_claim_before): the old worker can then no longer send, so absent means absent."""
    ids = list(intent_ids)
    resolved = 0
    for where, takeover in (
        ("id = ANY(%(ids)s) AND status = 'UNKNOWN'", False),
        ("id = ANY(%(ids)s) AND status = 'SUBMITTING' AND claimed_at < %(stale)s", True),
    ):
        token, claimed = _claim(where, {"ids": ids, "stale": stale_before}, bump_attempts=False)
        _run(claimed, token, lookup_only=True, takeover=takeover)
        resolved += len(claimed)
    return resolved


# --- recording outcomes ---------------------------------------------------------------------------

_BROKER_TO_INTENT = {
    OrderStatus.FILLED: IntentStatus.FILLED,
    OrderStatus.OPEN: IntentStatus.OPEN,
    OrderStatus.REJECTED: IntentStatus.REJECTED,
    OrderStatus.CANCELLED: IntentStatus.CANCELLED,
}

# One statement writes every outcome of a batch and its event rows. A row whose claim was taken
# over meanwhile (the sweeper judged it stale) is neither updated nor logged as a result here.
_RECORD = f"""
WITH d AS (
    SELECT * FROM jsonb_to_recordset(%(rows)s) AS d(
        id bigint, status text, order_id text, filled int, price numeric, accepted timestamptz,
        filled_at timestamptz, error text, attempt int, kind text, detail jsonb, attempts int, lost_sends int)
), upd AS (
    UPDATE {T_INTENT} i SET status = d.status, broker_order_id = d.order_id, filled_quantity = d.filled,
        average_price = d.price, accepted_at = COALESCE(i.accepted_at, d.accepted),
        filled_at = COALESCE(i.filled_at, d.filled_at), last_error = d.error, updated_at = now(),
        attempts = COALESCE(d.attempts, i.attempts), lost_sends = COALESCE(d.lost_sends, i.lost_sends),
        claim_token = CASE WHEN d.status = 'NEW' THEN NULL ELSE i.claim_token END
    FROM d
    WHERE i.id = d.id AND i.claim_token = %(token)s AND i.status = 'SUBMITTING'
    RETURNING i.id
), ev AS (
    INSERT INTO {T_EVENT} (intent_id, at, kind, status, attempt, detail)
    SELECT d.id, now(), d.kind, d.status, d.attempt, d.detail FROM d JOIN upd ON upd.id = d.id
)
SELECT id FROM upd
"""  # nosec B608  # noqa: S608


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _raw(result: OrderResult | None) -> Any:
    if result is None:
        return None
    return {k: (v if isinstance(v, int | str | None) else str(v)) for k, v in dict(result.raw).items()}


def _record(outcomes: list[Outcome], token: uuid.UUID) -> None:
    now = timezone.now()
    rows: list[dict[str, Any]] = []
    retry: list[Claimed] = []
    failed_strategies: dict[int, str] = {}
    token_accounts: set[int] = set()
    for o in outcomes:
        i = o.intent
        error = scrub(f"{o.error.kind.value}: {o.error.message}")[:500] if o.error is not None else ""
        row: dict[str, Any] = {"id": i.id, "order_id": "", "filled": 0, "price": None, "accepted": None,
                               "filled_at": None, "attempt": i.attempts, "kind": "RESULT", "attempts": None,
                               "lost_sends": None}
        if o.kind == "accepted" and o.result is not None:
            r = o.result
            row.update(status=_BROKER_TO_INTENT[r.status], order_id=r.broker_order_id, filled=r.filled_quantity,
                       price=str(r.average_price) if r.average_price is not None else None,
                       accepted=_iso(r.placed_at or now))
            if r.status is OrderStatus.FILLED:
                row["filled_at"] = row["accepted"]
            if r.status is OrderStatus.REJECTED:
                error = scrub(r.message)[:500]
        elif o.kind == "rejected":
            is_token = o.error is not None and o.error.kind == ErrorKind.TOKEN
            row["status"] = IntentStatus.FAILED if is_token else IntentStatus.REJECTED
            if is_token:
                token_accounts.add(i.broker_account_id)
                failed_strategies[i.strategy_id] = "Broker login expired: re-login needed."
            elif i.leg == "EXIT":
                failed_strategies[i.strategy_id] = f"Exit order rejected ({error}); the position is still open."
        elif o.kind == "halted":
            row["status"] = IntentStatus.CANCELLED  # a kill switch is on: never sent
            row["kind"] = "HALTED"
        elif o.kind == "not_sent":
            # Our own send window closed before the request was written (this process stalled):
            # nothing reached the broker, so no attempt is spent. Usually the claim was taken
            # over meanwhile and this row is not written at all.
            row.update(kind="NOT_SENT", status=IntentStatus.NEW, attempts=max(i.attempts - 1, 0))
            retry.append(i)
        elif o.kind == "absent":
            row["kind"] = "ABSENT"
            if o.lost_send:
                # Taken from a worker that died or stalled, and the broker has no such order: that
                # send never happened, so it is not an attempt; ORDER_MAX_LOST_SENDS caps these
                # instead (an order that kills its worker every time must still stop).
                row.update(attempts=max(i.attempts - 1, 0), lost_sends=i.lost_sends + 1)
                spent, cap = i.lost_sends + 1, settings.ORDER_MAX_LOST_SENDS
                gave_up = f"gave up after {spent} sends lost with their worker"
                why = f"Order {i.tag} failed: its worker kept dying."
            else:
                spent, cap = i.attempts, settings.ORDER_MAX_ATTEMPTS
                gave_up = f"gave up after {spent} attempts: {error}"
                why = f"Order {i.tag} failed after {spent} attempts."
            if spent < cap:
                row["status"] = IntentStatus.NEW
                retry.append(i)
            else:
                row["status"] = IntentStatus.FAILED
                error = gave_up[:500]
                failed_strategies[i.strategy_id] = why
        else:
            row["status"] = IntentStatus.UNKNOWN
        row["error"] = error
        row["detail"] = {"outcome": o.kind, "request": o.request, "response": _raw(o.result),
                         "error": error or None, "found_at_broker": o.found_at_broker}
        if o.lost_send:
            row["detail"]["lost_send"] = True
        rows.append(row)
        if o.found_at_broker > 1:
            log.error("broker holds %s orders for one tag", o.found_at_broker, extra={"intent_id": i.id})

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_RECORD, {"rows": Jsonb(rows), "token": token})
            written = {row[0] for row in cursor.fetchall()}
        failed_strategies = {sid: why for sid, why in failed_strategies.items()
                             if any(o.intent.strategy_id == sid and o.intent.id in written for o in outcomes)}
        for sid, reason in failed_strategies.items():
            Strategy.objects.filter(pk=sid).update(status=StrategyStatus.ERROR, status_reason=reason[:300], updated_at=now)
        if token_accounts:
            BrokerAccount.objects.filter(pk__in=token_accounts).update(
                status=BrokerAccountStatus.NEEDS_LOGIN, status_reason="Broker session expired: log in again."
            )
        changes = [_runtime_change(o.intent, row) for o, row in zip(outcomes, rows, strict=True) if o.intent.id in written]
        transaction.on_commit(lambda: _after_record(changes, failed_strategies))
    retry_ids = [i.id for i in retry if i.id in written]
    if retry_ids:
        log.warning("orders confirmed absent at broker; sending again", extra={"intent_ids": retry_ids})
        dispatch(retry_ids, queue_for(retry[0].reason))


def _runtime_change(intent: Claimed, row: dict[str, Any]) -> dict[str, Any]:
    status = str(row["status"])
    # The entry precedes any exit and an exit needs a filled entry, so one leg's status is enough.
    position = position_of(status, None) if intent.leg == "ENTRY" else position_of("FILLED", status)
    return {
        "strategy_id": intent.strategy_id,
        "user_id": intent.user_id,
        "symbol": intent.symbol,
        "stop_loss": intent.stop_loss,
        "position": position,
        "order": {
            "id": intent.id, "tag": intent.tag, "side": intent.side, "leg": intent.leg, "reason": intent.reason,
            "status": status, "quantity": intent.quantity, "trading_day": intent.trading_day, "price": row["price"],
        },
    }


def _after_record(changes: list[dict[str, Any]], failed_strategies: dict[int, str]) -> None:
    from apps.notifications.services import notify_for_intent_changes

    runtime_apply_orders(changes)
    try:
        notify_for_intent_changes(changes)
    except Exception:  # noqa: BLE001 - a notification must never undo or block an order
        log.exception("notifications for order changes failed")
    if failed_strategies:
        from apps.strategies.runtime import runtime_sync_strategy

        for strategy in Strategy.objects.filter(pk__in=failed_strategies):
            runtime_sync_strategy(strategy)


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


def _fire_sql(leg: str) -> str:
    """Create-and-claim in one statement: today's new intents are born claimed (SUBMITTING),
    and NEW intents a crashed delivery left behind are claimed alongside. One round trip and
    one commit stand between the due second and the broker call."""
    if leg not in ("ENTRY", "EXIT"):  # the one value written into the SQL text
        raise ValueError(f"unknown leg {leg!r}")
    fields = [c.strip() for c in _CLAIM_FIELDS.split(",")]
    return f"""
    WITH ins AS ({_insert_intents_sql(leg, claimed=True)} RETURNING {_CLAIM_FIELDS}
    ), old AS (
        UPDATE {T_INTENT} SET status = 'SUBMITTING', attempts = attempts + 1, claim_token = %(token)s,
               claimed_at = now(), submitted_at = COALESCE(submitted_at, now()), updated_at = now()
        WHERE strategy_id = ANY(%(ids)s) AND trading_day = %(day)s AND leg = '{leg}' AND status = 'NEW'
        RETURNING {_CLAIM_FIELDS}
    ), c AS (
        SELECT * FROM ins UNION ALL SELECT * FROM old
    ), ev AS (
        INSERT INTO {T_EVENT} (intent_id, at, kind, status, attempt, detail)
        SELECT id, now(), 'CREATED', 'NEW', 0, %(detail)s FROM ins
        UNION ALL
        SELECT id, now(), 'CLAIMED', 'SUBMITTING', attempts, %(detail)s FROM c
    )
    SELECT {", ".join("c." + f for f in fields)}, s.stop_loss, a.broker, a.credentials, a.status
    FROM c JOIN {T_STRATEGY} s ON s.id = c.strategy_id JOIN {T_ACCOUNT} a ON a.id = c.broker_account_id
    """  # nosec B608  # noqa: S608


_FIRE_SQL: dict[str, str] = {}


def legs_fire(*, leg: str, strategy_ids: Sequence[int], due_at: dt.datetime, reason: str = Reason.SCHEDULED) -> int:
    """The schedule's moment has come for these strategies: write, claim and send their orders
    now, with one statement and one commit before the broker is called."""
    from apps.strategies.calendar import trading_day_of

    if not strategy_ids:
        return 0
    started = time.time()
    sql = _FIRE_SQL.get(leg) or _FIRE_SQL.setdefault(leg, _fire_sql(leg))
    token = uuid.uuid4()
    params = {
        "ids": list(strategy_ids),
        "day": trading_day_of(due_at),
        "reason": reason,
        "due": due_at,
        "token": token,
        "detail": Jsonb({"due_at": due_at.isoformat(), "claim": str(token)}),
    }
    window = send_window_end()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        claimed = [Claimed(*row) for row in cursor.fetchall()]
    claimed_at = time.time()
    _run(claimed, token, lookup_only=False, send_before=window)
    if claimed:
        from apps.monitoring.metrics import observe_ms

        # Due second (or the tick, for a stop-loss) to the moment the orders went out.
        metric = "stoploss_latency_ms" if reason == Reason.STOP_LOSS else "schedule_lateness_ms"
        observe_ms(metric, (claimed_at - due_at.timestamp()) * 1000)
    log.info(
        "fired %d %s legs: started %.1f ms after due, claimed in %.1f ms, done in %.1f ms",
        len(claimed), leg, (started - due_at.timestamp()) * 1000, (claimed_at - started) * 1000,
        (time.time() - started) * 1000,
    )
    return len(claimed)


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
    stale_claim = stale_claim_before(now)
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
