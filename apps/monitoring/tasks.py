from __future__ import annotations

from celery import shared_task

from .heartbeat import SCHEDULE, heartbeat_write


@shared_task(name="monitoring.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Scheduled by beat every few seconds on the default queue: `heartbeat:schedule` stays
    alive only while beat schedules and a default worker executes."""
    heartbeat_write(SCHEDULE, kind="schedule", queues=["default"])
