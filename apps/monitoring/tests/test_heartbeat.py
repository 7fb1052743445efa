from __future__ import annotations

import json
import time
import weakref
from types import SimpleNamespace
from typing import Any

from apps.core.redis import get_redis
from apps.monitoring import heartbeat, tasks


def test_worker_ready_starts_a_beating_thread_and_shutdown_clears_it(settings: Any) -> None:
    settings.HEARTBEAT_INTERVAL_SECONDS = 0.05
    queues = SimpleNamespace(consume_from={"stoploss": object()})
    consumer = SimpleNamespace(hostname="stoploss@test", app=SimpleNamespace(amqp=SimpleNamespace(queues=queues)))
    heartbeat.on_worker_ready(sender=consumer)
    try:
        deadline = time.time() + 2
        while get_redis().get("heartbeat:stoploss@test") is None and time.time() < deadline:
            time.sleep(0.02)
        body = json.loads(get_redis().get("heartbeat:stoploss@test"))
        assert body["kind"] == "worker" and body["queues"] == ["stoploss"]
        assert 0 < get_redis().ttl("heartbeat:stoploss@test") <= settings.HEARTBEAT_TTL_SECONDS
        rows = heartbeat.heartbeats()
        assert [(r["name"], r["kind"]) for r in rows] == [("stoploss@test", "worker")]
        assert rows[0]["age_seconds"] < 2
    finally:
        heartbeat.on_worker_shutdown(sender=SimpleNamespace(hostname="stoploss@test"))
    assert get_redis().get("heartbeat:stoploss@test") is None


def test_scheduled_heartbeat_task_marks_beat_and_default_worker_alive() -> None:
    tasks.heartbeat()
    rows = heartbeat.heartbeats()
    assert [(r["name"], r["kind"], r["queues"]) for r in rows] == [("schedule", "schedule", ["default"])]


def test_signal_handlers_are_connected_by_the_app() -> None:
    from celery import signals

    def receivers(signal: Any) -> list[Any]:
        return [r[1]() if isinstance(r[1], weakref.ReferenceType) else r[1] for r in signal.receivers]

    assert heartbeat.on_worker_ready in receivers(signals.worker_ready)
    assert heartbeat.on_worker_shutdown in receivers(signals.worker_shutdown)
    assert heartbeat.on_beat_init in receivers(signals.beat_init)
