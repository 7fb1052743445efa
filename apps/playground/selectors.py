from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.errors import NotFound

from .models import BacktestRun


def backtest_list(*, user: Any, status: str | None = None) -> QuerySet[BacktestRun]:
    """The caller's own runs (admins too: a backtest is personal work)."""
    qs = BacktestRun.objects.filter(user=user).defer("upload", "result").order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    return qs


def backtest_get(*, user: Any, run_id: int) -> BacktestRun:
    run = BacktestRun.objects.filter(user=user, pk=run_id).defer("upload").first()
    if run is None:
        raise NotFound("Backtest run not found.")
    return run
