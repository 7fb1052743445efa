"""Liveness of Celery processes, as Redis keys with a TTL (no broadcast `inspect().ping`).

    heartbeat:{hostname}   JSON {"kind": "worker"|"beat"|"schedule", "queues", "pid", "at"}

- Every worker runs a daemon thread (started on `worker_ready`) that rewrites its key every
  HEARTBEAT_INTERVAL_SECONDS with a TTL of HEARTBEAT_TTL_SECONDS: a dead or hung worker's key
  expires by itself. Workers that only consume `orders` or `stoploss` are covered too.
- beat runs the same thread from `beat_init` (kind "beat").
- The `monitoring.heartbeat` beat task (every 5 s, default queue) writes `heartbeat:schedule`:
  proof that beat schedules and a default worker executes, end to end.
The handlers are connected in MonitoringConfig.ready(); config/celery.py is untouched.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any

import redis
from django.conf import settings

from apps.core.redis import get_redis

log = logging.getLogger(__name__)

PREFIX = "heartbeat:"
SCHEDULE = "schedule"


def heartbeat_write(name: str, *, kind: str, queues: list[str] | None = None, client: Any = None) -> None:
    body = {"kind": kind, "queues": queues or [], "pid": os.getpid(), "at": time.time()}
    (client or get_redis()).set(PREFIX + name, json.dumps(body), ex=settings.HEARTBEAT_TTL_SECONDS)


def heartbeat_clear(name: str) -> None:
    try:
        get_redis().delete(PREFIX + name)
    except redis.RedisError:
        pass


class HeartbeatThread(threading.Thread):
    def __init__(self, name: str, kind: str, queues: list[str]) -> None:
        super().__init__(name=f"heartbeat-{kind}", daemon=True)
        self.beat_name, self.kind, self.queues = name, kind, queues
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                heartbeat_write(self.beat_name, kind=self.kind, queues=self.queues)
            except Exception:  # noqa: BLE001 - keep beating through a Redis blip
                log.warning("heartbeat not written", exc_info=True)
            self.stopped.wait(settings.HEARTBEAT_INTERVAL_SECONDS)


_threads: dict[str, HeartbeatThread] = {}


def start(name: str, kind: str, queues: list[str] | None = None) -> HeartbeatThread:
    thread = _threads.get(name)
    if thread is None or not thread.is_alive():
        thread = HeartbeatThread(name, kind, queues or [])
        _threads[name] = thread
        thread.start()
    return thread


def stop(name: str) -> None:
    thread = _threads.pop(name, None)
    if thread is not None:
        thread.stopped.set()
    heartbeat_clear(name)


# --- Celery signal handlers ---------------------------------------------------------------------


def on_worker_ready(sender: Any = None, **kwargs: Any) -> None:
    hostname = getattr(sender, "hostname", None) or "worker"
    try:
        queues = sorted(sender.app.amqp.queues.consume_from)
    except Exception:  # noqa: BLE001 - the queue list is informative only
        queues = []
    start(hostname, "worker", queues)


def on_worker_shutdown(sender: Any = None, **kwargs: Any) -> None:
    hostname = getattr(sender, "hostname", None)
    if hostname:
        stop(hostname)


def on_beat_init(sender: Any = None, **kwargs: Any) -> None:
    import socket

    start(f"beat@{socket.gethostname()}", "beat")


def connect_signals() -> None:
    from celery import signals

    signals.worker_ready.connect(on_worker_ready, weak=False, dispatch_uid="monitoring.worker_ready")
    signals.worker_shutdown.connect(on_worker_shutdown, weak=False, dispatch_uid="monitoring.worker_shutdown")
    signals.beat_init.connect(on_beat_init, weak=False, dispatch_uid="monitoring.beat_init")


def heartbeats(*, client: Any = None) -> list[dict[str, Any]]:
    """Every live heartbeat: name, kind, queues, pid, age in seconds."""
    r = client or get_redis()
    keys = sorted(r.scan_iter(match=PREFIX + "*", count=200))
    if not keys:
        return []
    now = time.time()
    rows = []
    for key, raw in zip(keys, r.mget(keys), strict=True):
        if raw is None:
            continue
        try:
            body = json.loads(raw)
        except ValueError:
            continue
        rows.append(
            {
                "name": key.removeprefix(PREFIX),
                "kind": body.get("kind", ""),
                "queues": body.get("queues", []),
                "pid": body.get("pid"),
                "age_seconds": round(max(0.0, now - float(body.get("at", now))), 2),
            }
        )
    return rows
