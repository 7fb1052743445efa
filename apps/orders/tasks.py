"""Thin tasks: ids in, one service call. Each is safe to run twice (see engine.py)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from . import engine


@shared_task(name="orders.fire_leg", ignore_result=True)
def fire_leg(strategy_id: int, leg: str, second: int = 0, due: float | None = None) -> int:
    """One strategy's leg (the PeriodicTask target; Django Admin's "run now" lands here too)."""
    due_at = dt.datetime.fromtimestamp(due, tz=dt.UTC) if due is not None else timezone.now()
    return engine.legs_fire(leg=leg, strategy_ids=[strategy_id], due_at=due_at)


@shared_task(name="orders.fire_legs", ignore_result=True)
def fire_legs(leg: str, strategy_ids: list[int], due: float) -> int:
    """A batch of strategies due in the same second (published by the strategy scheduler)."""
    return engine.legs_fire(leg=leg, strategy_ids=strategy_ids, due_at=dt.datetime.fromtimestamp(due, tz=dt.UTC))


@shared_task(name="orders.execute_intents", ignore_result=True)
def execute_intents(intent_ids: list[int]) -> int:
    return engine.intents_execute(intent_ids)


@shared_task(name="orders.sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    return engine.intents_sweep()


@shared_task(name="orders.reconcile", ignore_result=True)
def reconcile() -> dict[str, object]:
    """Today's OPEN / UNKNOWN / stale intents against the brokers (fills and cancels of orders
    the broker answered OPEN reach us here). Fenced by claim tokens, so it can overlap the sweeper."""
    from .reconcile import orders_reconcile

    return orders_reconcile().as_dict()


@shared_task(name="orders.stop_loss", ignore_result=True)
def stop_loss(strategy_id: int, price: str, tick_at: float) -> int:
    """A tick reached the stop: exit now (the stop-loss queue has its own worker). The day's
    one EXIT leg means the scheduled sell later finds nothing to do, and a repeat is a no-op."""
    due_at = dt.datetime.fromtimestamp(tick_at, tz=dt.UTC)
    return engine.legs_fire(leg="EXIT", strategy_ids=[strategy_id], due_at=due_at, reason="STOP_LOSS")
