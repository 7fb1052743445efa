from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django_celery_beat.models import PeriodicTask

from apps.scheduling.beat import LegSchedule, StrategyHeap, leg_schedule
from apps.strategies.calendar import IST, next_fire

MONDAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=IST)  # a Monday


def _leg(task_id: int, at: dt.time, leg: str = "ENTRY", weekdays: tuple[int, ...] = tuple(range(7))) -> LegSchedule:
    return LegSchedule(task_id=task_id, strategy_id=task_id * 10, leg=leg, times=(at,), weekdays=frozenset(weekdays))


def test_heap_groups_everything_due_in_one_second() -> None:
    heap = StrategyHeap()
    legs = [_leg(i, dt.time(9, 15, 0)) for i in range(1, 1001)] + [_leg(2000, dt.time(9, 15, 0), "EXIT")]
    heap.load(legs, after=MONDAY, closed=set())
    due = dt.datetime(2026, 11, 23, 9, 15, tzinfo=IST).timestamp()
    assert heap.next_due() == due
    assert heap.pop_due(due - 0.001) == {}
    batches = heap.pop_due(due)
    assert {k: len(v) for k, v in batches.items()} == {(due, "ENTRY"): 1000, (due, "EXIT"): 1}
    # Each fired leg is rescheduled for the next day.
    assert heap.next_due() == due + 86400
    assert len(heap.heap) == 1001


def test_reload_replaces_old_due_times() -> None:
    heap = StrategyHeap()
    heap.load([_leg(1, dt.time(9, 30))], after=MONDAY, closed=set())
    heap.load([_leg(1, dt.time(9, 20, 7))], after=MONDAY, closed=set())
    assert heap.next_due() == dt.datetime(2026, 11, 23, 9, 20, 7, tzinfo=IST).timestamp()
    assert sum(len(v) for v in heap.pop_due(MONDAY.timestamp() + 3600).values()) == 1


def test_next_fire_ignores_the_calendar_when_not_enforced(settings: Any) -> None:
    settings.ENFORCE_MARKET_HOURS = False
    saturday = dt.datetime(2026, 11, 28, 20, 0, tzinfo=IST)
    assert next_fire([dt.time(21, 0)], range(7), after=saturday) == saturday.replace(hour=21)


def test_next_fire_skips_weekends_and_holidays_when_enforced(settings: Any) -> None:
    settings.ENFORCE_MARKET_HOURS = True
    friday_late = dt.datetime(2026, 11, 27, 16, 0, tzinfo=IST)
    monday_holiday = dt.date(2026, 11, 30)
    got = next_fire([dt.time(9, 20)], range(7), after=friday_late, holiday_dates={monday_holiday})
    assert got == dt.datetime(2026, 12, 1, 9, 20, tzinfo=IST)


def test_next_fire_respects_the_strategys_weekdays(settings: Any) -> None:
    settings.ENFORCE_MARKET_HOURS = False
    got = next_fire([dt.time(9, 20)], [2], after=MONDAY)  # Wednesdays only
    assert got == dt.datetime(2026, 11, 25, 9, 20, tzinfo=IST)


@pytest.mark.django_db
def test_leg_schedule_reads_what_the_strategy_wrote(make_user: Any) -> None:
    from decimal import Decimal

    from apps.broker_accounts.services import broker_account_connect
    from apps.strategies.services import strategy_create

    user = make_user("user")
    account = broker_account_connect(user=user, broker="paper", credentials={})
    s = strategy_create(
        user=user, name="x", symbol="INFY", quantity=1, buy_time=dt.time(9, 20, 5), sell_time=dt.time(15, 0, 30),
        stop_loss=Decimal("1000"), broker_account=account.pk, days=[0, 2, 4],
    )
    entry = leg_schedule(PeriodicTask.objects.select_related("crontab").get(pk=s.entry_task_id))
    exit_ = leg_schedule(PeriodicTask.objects.select_related("crontab").get(pk=s.exit_task_id))
    assert entry == LegSchedule(entry.task_id, s.pk, "ENTRY", (dt.time(9, 20, 5),), frozenset({0, 2, 4}))
    assert exit_.times == (dt.time(15, 0, 30),) and exit_.leg == "EXIT"
