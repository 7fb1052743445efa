from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="notifications.deliver", ignore_result=True)
def deliver(notification_ids: list[int]) -> int:
    """Email / Telegram for these notifications (each channel claimed once: safe to run twice)."""
    sent = 0
    for notification_id in notification_ids:
        sent += len(services.notification_deliver(notification_id=notification_id))
    return sent
