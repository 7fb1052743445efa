"""Figures the platform measures about itself (grows with the operations work)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count

from .redis import get_redis

QUEUES = ("stoploss", "orders", "default")


def queue_depths() -> dict[str, int]:
    pipe = get_redis().pipeline()
    for name in QUEUES:
        pipe.llen(name)
    return dict(zip(QUEUES, (int(n) for n in pipe.execute()), strict=True))


def system_snapshot() -> dict[str, Any]:
    from .views import _probe_postgres, _probe_redis

    services: dict[str, Any] = {}
    for name, probe in (("postgres", _probe_postgres), ("redis", _probe_redis)):
        try:
            probe()
            services[name] = "ok"
        except Exception as exc:  # noqa: BLE001
            services[name] = f"down: {type(exc).__name__}"
    users = {row["role"]: row["n"] for row in get_user_model().objects.values("role").annotate(n=Count("id"))}
    snapshot: dict[str, Any] = {"queues": {}, "services": services, "users": users}
    try:
        snapshot["queues"] = queue_depths()
        # Heartbeats, feed rate, latency percentiles, order rates, errors (apps.monitoring).
        from apps.monitoring.selectors import system_figures

        snapshot.update(system_figures())
    except Exception as exc:  # noqa: BLE001 - the page still shows what it could read
        snapshot["error"] = f"{type(exc).__name__}: figures unavailable"
    return snapshot
