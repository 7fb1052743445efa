"""Thin tasks (default queue): ids in, one service call; each is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import services
from .models import KillSwitch


@shared_task(name="operations.kill_stop", ignore_result=True)
def kill_stop(switch_id: int) -> int:
    """Stop the strategies of a wide kill switch (stopping a stopped strategy is a no-op)."""
    switch = KillSwitch.objects.filter(pk=switch_id, active=True).first()
    if switch is None:
        return 0
    stopped, _ = services.kill_switch_stop_strategies(switch=switch, inline=True)
    return stopped


@shared_task(name="operations.publish_kill_switches", ignore_result=True)
def publish_kill_switches() -> int:
    """Rewrite `kill:active` from PostgreSQL every few seconds: a flushed or restarted Redis,
    or a publish that failed during an engage, heals by itself."""
    return len(services.kill_switches_publish())
