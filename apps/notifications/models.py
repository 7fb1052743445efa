from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class NotificationKind(models.TextChoices):
    ORDER_FILLED = "order_filled", "Order filled"
    ORDER_FAILED = "order_failed", "Order failed or rejected"
    STOP_LOSS_HIT = "stop_loss_hit", "Stop-loss hit"
    TOKEN_EXPIRED = "token_expired", "Broker login expired"
    STRATEGY_STOPPED = "strategy_stopped", "Strategy stopped"
    KILL_SWITCH = "kill_switch", "Kill switch"


class Delivery(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SENDING = "SENDING", "Sending"  # claimed by one delivery task: never sent twice
    SENT = "SENT", "Sent"
    SKIPPED = "SKIPPED", "Skipped"  # channel off, not configured, or kind muted
    FAILED = "FAILED", "Failed"


class Notification(models.Model):
    """Something a user should know. Always listed in the app; also sent by email and
    Telegram when the user keeps those on (one delivery task, each channel at most once)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(max_length=8, choices=Delivery.choices, default=Delivery.PENDING)
    telegram_status = models.CharField(max_length=8, choices=Delivery.choices, default=Delivery.PENDING)
    delivery_error = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["user", "read_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.title}"


class NotificationSettings(models.Model):
    """A user's delivery preferences. The Telegram bot token is sealed with the broker
    credential cipher (AES-256-GCM, bound to user / "telegram" / "bot_token")."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    email_enabled = models.BooleanField(default=True)
    telegram_enabled = models.BooleanField(default=False)
    telegram_chat_id = models.CharField(max_length=64, blank=True, default="")
    telegram_bot_token = models.TextField(blank=True, default="")
    # Kinds not sent by email or Telegram (they still appear in the app).
    muted_kinds = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"settings of {self.user_id}"
