"""The kill-switch contract between operations and the execution engine.

Active kill switches live in PostgreSQL (apps.operations.models.KillSwitch) and are mirrored
into one Redis hash, rewritten whole (in a MULTI) on every engage and release and every few
seconds by the `operations.publish_kill_switches` beat task:

    kill:active   field "global"            -> message   (everything halted)
                  field "user:{user_id}"    -> message   (one trader)
                  field "broker:{name}"     -> message   (one broker's flow, e.g. "broker:zerodha")
                  field "strategy:{id}"     -> message   (one strategy)

The message says which switch and why, e.g. "Kill switch #7 (broker:zerodha): exchange issue".

The engine asks, just before it sends an order (at claim time):

    reason = blocked_reason(user_id=..., broker=..., strategy_id=..., reason=intent.reason)
    if reason is not None: refuse the order with that message

One HMGET, no database query. Squaring-off exits (reason "KILL", created by
kill_switch_engage with square_off) always pass. For a batch, read the hash once with
active_switches() and test each intent with blocked_reason_in(). A Redis error propagates
(redis.RedisError): the caller decides whether to fail closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.core.redis import get_redis

KILL_KEY = "kill:active"
# Order reasons a kill switch never blocks: the exits that close positions because of it.
# (The engine asks only for entries: no exit is ever refused, see apps/orders/engine.py.)
ALLOWED_REASONS = frozenset({"KILL"})


def kill_field(scope: str, target: str | int = "") -> str:
    return "global" if scope == "global" else f"{scope}:{target}"


def _fields(*, user_id: int | str, broker: str, strategy_id: int | str) -> list[str]:
    # Widest first, so the message names the switch an operator most likely pulled.
    return ["global", f"broker:{broker}", f"user:{user_id}", f"strategy:{strategy_id}"]


def blocked_reason(
    *, user_id: int | str, broker: str, strategy_id: int | str, reason: str, client: Any = None
) -> str | None:
    """Why an order of this strategy must not be sent now, or None when it may be."""
    if reason in ALLOWED_REASONS:
        return None
    values = (client or get_redis()).hmget(KILL_KEY, _fields(user_id=user_id, broker=broker, strategy_id=strategy_id))
    for value in values:
        if value is not None:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None


def active_switches(client: Any = None) -> dict[str, str]:
    """The whole hash in one HGETALL, for checking a batch with blocked_reason_in()."""
    raw = (client or get_redis()).hgetall(KILL_KEY)
    return {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v) for k, v in raw.items()}


def blocked_reason_in(
    active: Mapping[str, str], *, user_id: int | str, broker: str, strategy_id: int | str, reason: str
) -> str | None:
    """blocked_reason() against a hash already read with active_switches()."""
    if reason in ALLOWED_REASONS or not active:
        return None
    for field in _fields(user_id=user_id, broker=broker, strategy_id=strategy_id):
        if field in active:
            return active[field]
    return None


def write_active(mapping: Mapping[str, str], client: Any = None) -> None:
    """Replace the hash with exactly these fields, atomically (readers never see it half-written)."""
    pipe = (client or get_redis()).pipeline(transaction=True)
    pipe.delete(KILL_KEY)
    if mapping:
        pipe.hset(KILL_KEY, mapping=dict(mapping))
    pipe.execute()
