from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class BacktestStatus(models.TextChoices):
    QUEUED = "QUEUED", "Queued"
    RUNNING = "RUNNING", "Running"
    DONE = "DONE", "Done"
    FAILED = "FAILED", "Failed"


class BacktestSource(models.TextChoices):
    UPLOAD = "upload", "Uploaded CSV"
    SAMPLE = "sample", "Bundled sample data"
    RANDOM = "random", "Seeded random walk"


class BacktestRun(models.Model):
    """One backtest: its inputs, progress while it runs (Celery, default queue), and its
    result, kept for the user to come back to."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="backtests")
    status = models.CharField(max_length=8, choices=BacktestStatus.choices, default=BacktestStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    source = models.CharField(max_length=8, choices=BacktestSource.choices)
    params = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    # The uploaded CSV as sent (it was validated when the run was submitted).
    upload = models.TextField(blank=True, default="")
    result = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"]), models.Index(fields=["status", "started_at"])]

    def __str__(self) -> str:
        return f"backtest {self.pk} {self.params.get('symbol', '')} [{self.status}]"
