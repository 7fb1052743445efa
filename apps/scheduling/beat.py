"""Beat scheduler that fires strategy legs at their exact second, herd included.

django-celery-beat stores the schedule (one PeriodicTask per strategy leg, editable in Django
Admin), but its own loop has minute resolution for crontab, fires one entry per tick and costs
a publish per task: a market-open herd of thousands of strategies would trickle out over
seconds. This scheduler keeps the strategy legs out of beat's own loop and runs them from an
in-memory heap instead: it sleeps until the next due second, then publishes every leg due in
that second as a handful of batch tasks (ORDER_BATCH_SIZE strategies each). Everything else
(sweeper, reconciliation, ...) stays with DatabaseScheduler as usual.

Firing is idempotent (the database allows one intent per strategy, day and leg), so after a
restart the scheduler fires legs missed in the last SCHEDULER_CATCHUP_SECONDS.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from celery.schedules import crontab_parser
from django.conf import settings
from django.db import DatabaseError, InterfaceError, close_old_connections
from django_celery_beat.models import PeriodicTask, PeriodicTasks
from django_celery_beat.schedulers import DatabaseScheduler

from apps.strategies.calendar import holidays, next_fire
from apps.strategies.schedules import FIRE_TASK

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25  # how soon an edit (start, stop, new time) is noticed


@dataclass(frozen=True, slots=True)
class LegSchedule:
    task_id: int
    strategy_id: int
    leg: str
    times: tuple[dt.time, ...]
    weekdays: frozenset[int]  # Monday = 0


def leg_schedule(task: PeriodicTask) -> LegSchedule | None:
    """Read one strategy leg's PeriodicTask (crontab for hour/minute/weekday, kwargs for the second)."""
    if task.crontab is None:
        return None
    try:
        kwargs = json.loads(task.kwargs or "{}")
        second = int(kwargs.get("second", 0))
        hours = crontab_parser(24).parse(task.crontab.hour)
        minutes = crontab_parser(60).parse(task.crontab.minute)
        cron_days = crontab_parser(7).parse(task.crontab.day_of_week)
        times = tuple(sorted(dt.time(h, m, second) for h in hours for m in minutes))
        return LegSchedule(
            task_id=task.pk,
            strategy_id=int(kwargs["strategy_id"]),
            leg=str(kwargs["leg"]),
            times=times,
            weekdays=frozenset((d - 1) % 7 for d in cron_days),
        )
    except (KeyError, ValueError, TypeError) as exc:
        log.error("unreadable strategy schedule %s: %s", task.name, exc)
        return None


class StrategyHeap:
    """The due-time heap, independent of Celery so it can be tested and benchmarked alone."""

    def __init__(self) -> None:
        self.heap: list[tuple[float, int, int]] = []  # (due epoch, task id, version)
        self.legs: dict[int, LegSchedule] = {}
        self.version: dict[int, int] = {}
        self.closed: set[dt.date] = set()

    def load(self, legs: list[LegSchedule], *, after: dt.datetime, closed: set[dt.date]) -> None:
        self.closed = closed
        self.legs = {leg.task_id: leg for leg in legs}
        self.version = {}
        self.heap = []
        for leg in legs:
            self._push(leg, after)
        heapq.heapify(self.heap)

    def _push(self, leg: LegSchedule, after: dt.datetime) -> None:
        due = next_fire(leg.times, leg.weekdays, after=after, holiday_dates=self.closed)
        if due is not None:
            version = self.version.get(leg.task_id, 0) + 1
            self.version[leg.task_id] = version
            heapq.heappush(self.heap, (due.timestamp(), leg.task_id, version))

    def next_due(self) -> float | None:
        return self.heap[0][0] if self.heap else None

    def pop_due(self, now: float) -> dict[tuple[float, str], list[int]]:
        """Every leg due at or before `now`, grouped by (due second, leg), rescheduled after."""
        due: dict[tuple[float, str], list[int]] = defaultdict(list)
        fired: list[tuple[LegSchedule, float]] = []
        while self.heap and self.heap[0][0] <= now:
            when, task_id, version = heapq.heappop(self.heap)
            leg = self.legs.get(task_id)
            if leg is None or self.version.get(task_id) != version:
                continue
            due[(when, leg.leg)].append(leg.strategy_id)
            fired.append((leg, when))
        for leg, when in fired:
            self._push(leg, dt.datetime.fromtimestamp(when, tz=dt.UTC))
        return due


class StrategyScheduler(DatabaseScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._legs = StrategyHeap()
        self._legs_stamp: Any = object()
        self._fired_until: float | None = None
        super().__init__(*args, **kwargs)

    # beat's own loop never sees strategy legs
    def enabled_models_qs(self) -> Any:
        return super().enabled_models_qs().exclude(task=FIRE_TASK)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        self._fire_due()
        self._reload_if_changed()
        self._fire_due()
        interval = super().tick(*args, **kwargs)
        self._fire_due()
        nxt = self._legs.next_due()
        until_next = POLL_SECONDS if nxt is None else max(0.0, nxt - time.time())
        return max(0.0, min(interval, until_next, POLL_SECONDS))

    def _reload_if_changed(self) -> None:
        try:
            close_old_connections()
            stamp = PeriodicTasks.last_change()
            if stamp == self._legs_stamp:
                return
            tasks = PeriodicTask.objects.filter(task=FIRE_TASK, enabled=True).select_related("crontab")
            legs = [leg for leg in (leg_schedule(t) for t in tasks) if leg is not None]
            now = time.time()
            if self._fired_until is None:
                after = now - settings.SCHEDULER_CATCHUP_SECONDS  # catch up what a restart missed
            else:
                after = self._fired_until
            start = dt.datetime.fromtimestamp(after, tz=dt.UTC)
            self._legs.load(legs, after=start, closed=holidays("NSE", start=start.date()))
            self._fired_until = now if self._fired_until is None else self._fired_until
            self._legs_stamp = stamp
            log.info("strategy schedule loaded: %d legs", len(legs))
        except (DatabaseError, InterfaceError) as exc:
            log.warning("strategy schedule reload failed, will retry: %s", exc)

    def _fire_due(self) -> None:
        now = time.time()
        batches = self._legs.pop_due(now)
        self._fired_until = now if self._fired_until is None else max(self._fired_until, now)
        if not batches:
            return
        from apps.orders.tasks import fire_legs

        size = settings.ORDER_BATCH_SIZE
        published = 0
        with self.app.producer_or_acquire() as producer:
            for (due, leg), strategy_ids in sorted(batches.items()):
                for start in range(0, len(strategy_ids), size):
                    fire_legs.apply_async(
                        args=[leg, strategy_ids[start : start + size], due], queue="orders", producer=producer
                    )
                    published += 1
        total = sum(len(v) for v in batches.values())
        late_ms = (time.time() - min(due for due, _ in batches)) * 1000
        log.info("fired %d strategy legs in %d tasks, %.1f ms after the due second", total, published, late_ms)
