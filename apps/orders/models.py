from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Leg(models.TextChoices):
    ENTRY = "ENTRY", "Entry"
    EXIT = "EXIT", "Exit"


class Side(models.TextChoices):
    BUY = "BUY", "Buy"
    SELL = "SELL", "Sell"


class Reason(models.TextChoices):
    SCHEDULED = "SCHEDULED", "Scheduled"
    STOP_LOSS = "STOP_LOSS", "Stop-loss"
    MANUAL = "MANUAL", "Manual"
    KILL = "KILL", "Kill switch"


class IntentStatus(models.TextChoices):
    NEW = "NEW", "New"  # written, not yet sent
    SUBMITTING = "SUBMITTING", "Submitting"  # claimed by one worker; at most one send in flight
    UNKNOWN = "UNKNOWN", "Unknown"  # the send's outcome is unknown: resolve by tag before anything else
    OPEN = "OPEN", "Open at broker"  # accepted, not filled yet
    FILLED = "FILLED", "Filled"
    REJECTED = "REJECTED", "Rejected"  # the broker said no: final, never retried
    FAILED = "FAILED", "Failed"  # gave up after the allowed attempts
    CANCELLED = "CANCELLED", "Cancelled"


FINAL_STATUSES = frozenset({IntentStatus.FILLED, IntentStatus.REJECTED, IntentStatus.FAILED, IntentStatus.CANCELLED})
TAG_PREFIX = "AT"


class OrderIntent(models.Model):
    """The durable record of one order we mean to place. The database allows one ENTRY and one
    EXIT per strategy and trading day, so the scheduled sell and the stop-loss sell can never
    both reach the broker; the id (as a tag) identifies the order at the broker."""

    strategy = models.ForeignKey("strategies.Strategy", on_delete=models.PROTECT, related_name="intents")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    broker_account = models.ForeignKey("broker_accounts.BrokerAccount", on_delete=models.PROTECT, related_name="+")
    trading_day = models.DateField()
    leg = models.CharField(max_length=8, choices=Leg.choices)
    side = models.CharField(max_length=4, choices=Side.choices)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    symbol = models.CharField(max_length=32)
    exchange = models.CharField(max_length=8)
    product = models.CharField(max_length=8)
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=IntentStatus.choices, default=IntentStatus.NEW)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Sends lost with their worker (killed or paused past its claim): confirmed absent at the
    # broker after a take-over, so not counted in `attempts`; capped by ORDER_MAX_LOST_SENDS.
    lost_sends = models.PositiveSmallIntegerField(default=0, db_default=0)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    broker_order_id = models.CharField(max_length=64, blank=True, default="")
    filled_quantity = models.PositiveIntegerField(default=0)
    average_price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    filled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["strategy", "trading_day", "leg"], name="one_intent_per_strategy_day_leg"),
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"]),
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["strategy", "trading_day"]),
        ]

    def __str__(self) -> str:
        return f"{self.tag} {self.side} {self.quantity} {self.symbol} [{self.status}]"

    @property
    def tag(self) -> str:
        return tag_for(self.pk)


def tag_for(intent_id: int) -> str:
    # Alphanumeric and short: fits every broker's tag field (Kite: 20 chars).
    return f"{TAG_PREFIX}{intent_id}"


def intent_id_from_tag(tag: str) -> int | None:
    if tag.startswith(TAG_PREFIX) and tag[len(TAG_PREFIX) :].isdigit():
        return int(tag[len(TAG_PREFIX) :])
    return None


class OrderEvent(models.Model):
    """Append-only log of everything that happened to an intent, raw broker replies included
    (secrets scrubbed). A database trigger refuses UPDATE and DELETE on this table."""

    intent = models.ForeignKey(OrderIntent, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=24)
    status = models.CharField(max_length=16, blank=True, default="")
    attempt = models.PositiveSmallIntegerField(default=0)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["intent", "at"])]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.intent_id} {self.kind} {self.status}"
