"""Thin tasks (queue `default`): each is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import readiness, services


@shared_task(name="broker_accounts.notify_login_needed", ignore_result=True)
def notify_login_needed() -> int:
    return services.broker_accounts_notify_login_needed()


@shared_task(name="broker_accounts.readiness_check", ignore_result=True)
def readiness_check() -> int:
    """The pre-market check (beat, 08:45 IST): one notification per trader with problems."""
    return readiness.readiness_check_all()
