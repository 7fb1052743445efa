from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.errors import NotFound

from .models import Notification, NotificationSettings


def notification_list(*, user: Any, unread: bool | None = None, kind: str | None = None) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user).order_by("-created_at", "-id")
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def unread_count(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_get(*, user: Any, notification_id: int) -> Notification:
    """The caller's own notification; anybody else's answers 404."""
    note = Notification.objects.filter(user=user, pk=notification_id).first()
    if note is None:
        raise NotFound("Notification not found.")
    return note


def notification_settings_of(*, user: Any) -> NotificationSettings:
    """Stored preferences, or the defaults (unsaved) for a user who never changed them."""
    return NotificationSettings.objects.filter(user=user).first() or NotificationSettings(user=user)
