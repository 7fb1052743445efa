"""Each strategy owns two django-celery-beat PeriodicTasks (its ENTRY and EXIT legs), visible
and switchable in Django Admin. Crontab holds the minute; the second lives in the task's
kwargs, and the strategy scheduler (apps.scheduling.beat) fires them at that exact second."""

from __future__ import annotations

import json
from typing import Any

from django_celery_beat.models import CrontabSchedule, PeriodicTask

FIRE_TASK = "orders.fire_leg"


def _crontab(at: Any, days: list[int]) -> CrontabSchedule:
    cron_days = ",".join(str((d + 1) % 7) for d in sorted(days))  # cron counts from Sunday = 0
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=str(at.minute),
        hour=str(at.hour),
        day_of_week=cron_days,
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Kolkata",
    )
    return crontab


def _differs(task: PeriodicTask, fields: dict[str, Any]) -> bool:
    current = {key: task.crontab_id if key == "crontab" else getattr(task, key) for key in fields}
    return current != {key: value.pk if key == "crontab" else value for key, value in fields.items()}


def schedules_sync(strategy: Any) -> None:
    """Create or update both legs' PeriodicTasks to match the strategy (call inside its transaction).
    ENTRY runs only while the strategy runs; EXIT stays enabled so an open position is always
    closed, even after a stop."""
    for leg, at, enabled, attr in (
        ("ENTRY", strategy.buy_time, strategy.status == "RUNNING", "entry_task"),
        ("EXIT", strategy.sell_time, strategy.deleted_at is None, "exit_task"),
    ):
        fields = {
            "task": FIRE_TASK,
            "crontab": _crontab(at, strategy.days),
            "kwargs": json.dumps({"strategy_id": strategy.pk, "leg": leg, "second": at.second}),
            "enabled": enabled,
            "queue": "orders",
            "description": f"{leg} of strategy {strategy.pk} ({strategy.symbol}) at {at.strftime('%H:%M:%S')} IST",
        }
        task = getattr(strategy, attr)
        if task is None:
            task = PeriodicTask.objects.create(name=f"strategy {strategy.pk} {leg}", **fields)
            setattr(strategy, attr, task)
            strategy.save(update_fields=[attr])
        elif _differs(task, fields):
            # Saving a PeriodicTask bumps beat's global change stamp (a locked row, and a full
            # reload in beat): only a leg that really changed is written.
            for key, value in fields.items():
                setattr(task, key, value)
            task.save()


def schedules_delete(strategy: Any) -> None:
    ids = [t for t in (strategy.entry_task_id, strategy.exit_task_id) if t is not None]
    PeriodicTask.objects.filter(pk__in=ids).delete()
