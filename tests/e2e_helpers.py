"""Small helpers shared by the end-to-end tests and the benchmarks."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import httpx

PASSWORD = "Sturdy-Passw0rd-42"


def wait_for(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.1, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def signed_in_client(base_url: str, email: str) -> httpx.Client:
    """Register (over HTTP) and return a client carrying the new trader's access token."""
    http = httpx.Client(base_url=base_url, timeout=15)
    r = http.post("/api/auth/register", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    tokens = http.post("/api/auth/login", json={"email": email, "password": PASSWORD}).json()
    http.headers["Authorization"] = f"Bearer {tokens['access']}"
    return http


def hms(moment: dt.datetime) -> str:
    return moment.strftime("%H:%M:%S")


def bulk_running_strategies(
    accounts: list[Any], count: int, *, buy_time: dt.time | None = None, sell_time: dt.time, symbol: str = "INFY",
    stop_loss: str = "1", buy_times: list[dt.time] | None = None, name: str = "bulk",
) -> list[int]:
    """Create `count` RUNNING strategies spread over `accounts` in a few bulk statements, with
    the same rows (strategy, both PeriodicTasks, Redis runtime) strategy_create + strategy_start
    write one by one. One `buy_time` for all, or `buy_times`, one per strategy. For load tests,
    fault tests and benchmarks only."""
    import json
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask, PeriodicTasks

    from apps.strategies.calendar import trading_day_of
    from apps.strategies.models import Strategy
    from apps.strategies.runtime import runtime_rebuild
    from apps.strategies.schedules import FIRE_TASK, _crontab

    days = [0, 1, 2, 3, 4, 5, 6]
    times = buy_times if buy_times is not None else [buy_time] * count
    assert len(times) == count and None not in times, "one buy_time, or a buy_times entry per strategy"
    crons: dict[dt.time, Any] = {}

    def cron(at: dt.time) -> Any:  # crontab rows have minute resolution; the second is in kwargs
        key = at.replace(second=0)
        if key not in crons:
            crons[key] = _crontab(at, days)
        return crons[key]

    with transaction.atomic():
        strategies = Strategy.objects.bulk_create(
            [
                Strategy(
                    user_id=accounts[n % len(accounts)].user_id, broker_account=accounts[n % len(accounts)],
                    name=f"{name} {n}", symbol=symbol, quantity=1, buy_time=times[n], sell_time=sell_time,
                    stop_loss=Decimal(stop_loss), days=days, status="RUNNING",
                )
                for n in range(count)
            ]
        )
        tasks = []
        for s in strategies:
            for leg, at in (("ENTRY", s.buy_time), ("EXIT", sell_time)):
                tasks.append(
                    PeriodicTask(
                        name=f"strategy {s.pk} {leg}", task=FIRE_TASK, crontab=cron(at), queue="orders", enabled=True,
                        kwargs=json.dumps({"strategy_id": s.pk, "leg": leg, "second": at.second}),
                    )
                )
        tasks = PeriodicTask.objects.bulk_create(tasks)
        for s, entry, exit_ in zip(strategies, tasks[0::2], tasks[1::2], strict=True):
            s.entry_task, s.exit_task = entry, exit_
        Strategy.objects.bulk_update(strategies, ["entry_task", "exit_task"], batch_size=1000)
        PeriodicTasks.update_changed()
    runtime_rebuild(today=trading_day_of(timezone.now()))
    return [s.pk for s in strategies]
