"""The Redis runtime of strategies: a fast, rebuildable mirror of PostgreSQL.

Keys (REDIS_URL database):
  strategy:{id}              hash  the strategy's parameters and status
  runtime:{id}               hash  today's position, last action, last order
  symbol:{SYMBOL}:strategies set   running strategies on that symbol
  sl:{SYMBOL}                zset  strategies holding a LONG position, scored by stop-loss
  sl:changes                 pub/sub  every change of those sets, for the tick listeners
  price:{SYMBOL}             str   last traded price (written by the market feed)
  strategy:{id}:updates, user:{id}:updates   pub/sub channels of live events
PostgreSQL stays the source of truth: `manage.py rebuild_runtime` rewrites all of it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from apps.core.redis import channel, get_redis

FLAT, ENTERING, LONG, EXITING, CLOSED = "FLAT", "ENTERING", "LONG", "EXITING", "CLOSED"
STOP_CHANGES = "sl:changes"  # pub/sub (under channel()): {"id", "symbol", "stop" | null}, or {"resync": true}
_IN_FLIGHT = {"NEW", "SUBMITTING", "UNKNOWN", "OPEN"}
_DEAD = {"REJECTED", "FAILED", "CANCELLED"}


def position_of(entry_status: str | None, exit_status: str | None) -> str:
    """Today's position, derived from the day's two intents (nothing else is stored)."""
    if exit_status is not None:
        if exit_status == "FILLED":
            return CLOSED
        if exit_status in _IN_FLIGHT:
            return EXITING
        return LONG  # the exit failed: the shares are still held
    if entry_status is None or entry_status in _DEAD:
        return FLAT
    if entry_status == "FILLED":
        return LONG
    return ENTERING


def strategy_key(strategy_id: int) -> str:
    return f"strategy:{strategy_id}"


def runtime_key(strategy_id: int) -> str:
    return f"runtime:{strategy_id}"


def symbol_key(symbol: str) -> str:
    return f"symbol:{symbol}:strategies"


def stop_index_key(symbol: str) -> str:
    return f"sl:{symbol}"


def price_key(symbol: str) -> str:
    return f"price:{symbol}"


def _strategy_fields(strategy: Any) -> dict[str, str]:
    return {
        "id": str(strategy.pk),
        "user_id": str(strategy.user_id),
        "broker_account_id": str(strategy.broker_account_id),
        "symbol": strategy.symbol,
        "exchange": strategy.exchange,
        "quantity": str(strategy.quantity),
        "stop_loss": str(strategy.stop_loss),
        "buy_time": strategy.buy_time.strftime("%H:%M:%S"),
        "sell_time": strategy.sell_time.strftime("%H:%M:%S"),
        "status": strategy.status,
    }


def _write_strategy(pipe: Any, strategy: Any, position: str | None, old_symbol: str | None = None) -> None:
    sid = strategy.pk
    pipe.delete(strategy_key(sid))
    pipe.hset(strategy_key(sid), mapping=_strategy_fields(strategy))
    if old_symbol and old_symbol != strategy.symbol:
        pipe.srem(symbol_key(old_symbol), sid)
        pipe.zrem(stop_index_key(old_symbol), sid)
        pipe.publish(channel(STOP_CHANGES), json.dumps({"id": sid, "symbol": old_symbol, "stop": None}))
    if strategy.status == "RUNNING" and strategy.deleted_at is None:
        pipe.sadd(symbol_key(strategy.symbol), sid)
    else:
        pipe.srem(symbol_key(strategy.symbol), sid)
    if position is not None:
        _write_position(pipe, strategy.pk, strategy.symbol, strategy.stop_loss, position)


def _write_position(pipe: Any, strategy_id: int, symbol: str, stop_loss: Any, position: str, **extra: str) -> None:
    fields = {"position": position, "updated_at": timezone.now().isoformat(), **extra}
    pipe.hset(runtime_key(strategy_id), mapping=fields)
    # Only a LONG position can be stopped out: the index holds exactly those. Listeners keep
    # an in-memory copy and follow it through STOP_CHANGES.
    if position == LONG:
        pipe.zadd(stop_index_key(symbol), {str(strategy_id): float(stop_loss)})
        pipe.publish(channel(STOP_CHANGES), json.dumps({"id": strategy_id, "symbol": symbol, "stop": float(stop_loss)}))
    else:
        pipe.zrem(stop_index_key(symbol), strategy_id)
        pipe.publish(channel(STOP_CHANGES), json.dumps({"id": strategy_id, "symbol": symbol, "stop": None}))


def publish(pipe: Any, *, strategy_id: int | None, user_id: int, event: dict[str, Any]) -> None:
    """Live events: per strategy, and per user (admin streams subscribe to `user:*:updates`)."""
    payload = json.dumps(event, default=str)
    if strategy_id is not None:
        pipe.publish(channel(f"strategy:{strategy_id}:updates"), payload)
    pipe.publish(channel(f"user:{user_id}:updates"), payload)


def runtime_sync_strategy(strategy: Any, *, position: str | None = None, old_symbol: str | None = None) -> None:
    pipe = get_redis().pipeline(transaction=False)
    _write_strategy(pipe, strategy, position, old_symbol)
    publish(
        pipe,
        strategy_id=strategy.pk,
        user_id=strategy.user_id,
        event={"type": "strategy", "id": strategy.pk, "status": strategy.status, "reason": strategy.status_reason},
    )
    pipe.execute()


def runtime_remove(strategy_id: int, symbol: str) -> None:
    pipe = get_redis().pipeline(transaction=False)
    pipe.delete(strategy_key(strategy_id), runtime_key(strategy_id))
    pipe.srem(symbol_key(symbol), strategy_id)
    pipe.zrem(stop_index_key(symbol), strategy_id)
    pipe.publish(channel(STOP_CHANGES), json.dumps({"id": strategy_id, "symbol": symbol, "stop": None}))
    pipe.execute()


def runtime_apply_orders(changes: Iterable[dict[str, Any]]) -> None:
    """After intents changed state: update positions, the stop index, and tell listeners.
    Each change: strategy_id, user_id, symbol, stop_loss, position, order (a dict for clients)."""
    pipe = get_redis().pipeline(transaction=False)
    n = 0
    for change in changes:
        sid = change["strategy_id"]
        order = change["order"]
        _write_position(
            pipe,
            sid,
            change["symbol"],
            change["stop_loss"],
            change["position"],
            last_action=f"{order['side']} {order['status']}",
            last_order_id=str(order["id"]),
            trading_day=str(order["trading_day"]),
        )
        publish(pipe, strategy_id=sid, user_id=change["user_id"], event={"type": "order", "strategy_id": sid, **order})
        n += 1
    if n:
        pipe.execute()


def runtime_read(strategy_id: int, symbol: str) -> dict[str, Any]:
    pipe = get_redis().pipeline(transaction=False)
    pipe.hgetall(runtime_key(strategy_id))
    pipe.get(price_key(symbol))
    state, price = pipe.execute()
    return {"runtime": state, "last_price": price}


def runtime_rebuild(*, today: dt.date) -> int:
    """Rewrite every strategy:, runtime:, symbol: and sl: key from PostgreSQL."""
    from apps.orders.models import OrderIntent

    from .models import Strategy

    r = get_redis()
    for pattern in ("strategy:*", "runtime:*", "symbol:*:strategies", "sl:*"):
        batch: list[str] = []
        for key in r.scan_iter(match=pattern, count=1000):
            if key.endswith(":updates"):
                continue
            batch.append(key)
            if len(batch) >= 1000:
                r.delete(*batch)
                batch.clear()
        if batch:
            r.delete(*batch)
    legs: dict[int, dict[str, str]] = {}
    for sid, leg, status in OrderIntent.objects.filter(trading_day=today).values_list("strategy_id", "leg", "status"):
        legs.setdefault(sid, {})[leg] = status
    count = 0
    pipe = r.pipeline(transaction=False)
    for strategy in Strategy.objects.filter(deleted_at__isnull=True).iterator(chunk_size=2000):
        day = legs.get(strategy.pk, {})
        _write_strategy(pipe, strategy, position_of(day.get("ENTRY"), day.get("EXIT")))
        count += 1
        if count % 1000 == 0:
            pipe.execute()
    pipe.publish(channel(STOP_CHANGES), json.dumps({"resync": True}))
    pipe.execute()
    return count
