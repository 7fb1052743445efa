from __future__ import annotations

from django.conf import settings
from django.db import models
from django_celery_beat.models import PeriodicTask


class StrategyStatus(models.TextChoices):
    STOPPED = "STOPPED", "Stopped"
    RUNNING = "RUNNING", "Running"
    ERROR = "ERROR", "Error"


class Exchange(models.TextChoices):
    NSE = "NSE", "NSE"
    BSE = "BSE", "BSE"


class Product(models.TextChoices):
    MIS = "MIS", "Intraday (MIS)"
    CNC = "CNC", "Delivery (CNC)"


def all_weekdays() -> list[int]:
    return [0, 1, 2, 3, 4, 5, 6]


class Strategy(models.Model):
    """Buy `quantity` of `symbol` at `buy_time`, sell at `sell_time`, or at once when the price
    reaches `stop_loss` while the position is open. Times are Asia/Kolkata wall-clock times."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="strategies")
    broker_account = models.ForeignKey(
        "broker_accounts.BrokerAccount", on_delete=models.PROTECT, related_name="strategies"
    )
    name = models.CharField(max_length=80)
    symbol = models.CharField(max_length=32)
    exchange = models.CharField(max_length=8, choices=Exchange.choices, default=Exchange.NSE)
    quantity = models.PositiveIntegerField()
    buy_time = models.TimeField()
    sell_time = models.TimeField()
    stop_loss = models.DecimalField(max_digits=12, decimal_places=2)
    product = models.CharField(max_length=8, choices=Product.choices, default=Product.MIS)
    # Weekdays (Monday = 0) the trader wants it to run; the exchange calendar decides the rest.
    days = models.JSONField(default=all_weekdays)
    status = models.CharField(max_length=16, choices=StrategyStatus.choices, default=StrategyStatus.STOPPED)
    status_reason = models.CharField(max_length=300, blank=True, default="")
    entry_task = models.OneToOneField(PeriodicTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    exit_task = models.OneToOneField(PeriodicTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="strategy_quantity_positive"),
            models.CheckConstraint(condition=models.Q(stop_loss__gt=0), name="strategy_stop_loss_positive"),
            models.CheckConstraint(condition=models.Q(buy_time__lt=models.F("sell_time")), name="strategy_buy_before_sell"),
        ]
        indexes = [models.Index(fields=["status"]), models.Index(fields=["user", "deleted_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.symbol})"


class Holiday(models.Model):
    """An exchange holiday: no strategy trades that day (when market hours are enforced)."""

    date = models.DateField()
    exchange = models.CharField(max_length=8, choices=Exchange.choices, default=Exchange.NSE)
    name = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["date", "exchange"], name="holiday_unique_per_exchange")]
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.exchange} {self.name}"
