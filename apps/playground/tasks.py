from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="playground.run_backtest", ignore_result=True)
def run_backtest(run_id: int) -> str:
    """Claim and run one backtest (a second delivery finds it claimed and does nothing)."""
    return services.backtest_execute(run_id=run_id)
