"""The process harness itself: real uvicorn, real celery workers and beat, real PostgreSQL and
Redis. Each test checks something observable from outside the processes (HTTP, the Redis
queue, /proc), not the harness's own bookkeeping."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings

from tests.stack import DEFAULT_BEAT_SCHEDULER, Stack, StackError, pid_alive

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _assert_gone(pids: list[int]) -> None:
    for pid in pids:
        assert not pid_alive(pid), f"pid {pid} still alive"
        assert not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "Z"


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_web_serves_real_http_against_the_test_database(stack: Stack, alice: Any) -> None:
    from rest_framework_simplejwt.tokens import RefreshToken

    stack.start("web")

    health = httpx.get(stack.url + "/healthz", timeout=5)
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    ready = httpx.get(stack.url + "/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["checks"]["postgres"]["ok"] and ready.json()["checks"]["redis"]["ok"]

    # alice exists only in the (committed) test database: the web process must read it.
    token = str(RefreshToken.for_user(alice).access_token)
    me = httpx.get(stack.url + "/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "alice@example.test"

    pids = stack.pids("web")
    assert pids == [stack.pid("web")]
    stack.stop()
    _assert_gone(pids)
    with pytest.raises(httpx.ConnectError):
        httpx.get(stack.url + "/healthz", timeout=2)


def test_worker_consumes_this_redis_db_and_survives_kill_9_and_restart(stack: Stack) -> None:
    from config.celery import app

    stack.start("worker-default")
    db = settings.REDIS_URL.rsplit("/", 1)[1]
    assert f"transport:   redis://:**@127.0.0.1:6379/{db}" in stack.log("worker-default")

    # A real message through the real broker, consumed by the real worker.
    task_id = app.send_task("celery.backend_cleanup", queue="default").id
    _wait_for(lambda: f"[{task_id}] succeeded" in stack.log("worker-default"), 15, "the task to run")

    pid = stack.pid("worker-default")
    group = stack.pids("worker-default")
    assert pid in group
    stack.kill("worker-default")
    _assert_gone(group)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert stack.returncode("worker-default") == -signal.SIGKILL
    assert not stack.is_running("worker-default")

    stack.restart("worker-default", timeout=30)
    assert stack.pid("worker-default") != pid
    assert stack.log("worker-default").count("===== stack: start worker-default") == 2
    task_id = app.send_task("celery.backend_cleanup", queue="default").id
    _wait_for(lambda: f"[{task_id}] succeeded" in stack.log("worker-default"), 15, "the task to run after restart")


def test_kill_9_reaches_celery_prefork_pool_children(stack: Stack) -> None:
    stack.add_process(
        "worker-prefork",
        (
            "celery -A config worker -Q stack-selftest -n prefork-{uid}@%h --pool prefork --concurrency 2"
            " -l info --without-gossip --without-mingle --without-heartbeat"
        ).split(),
        ready="ready.",
    )
    stack.start("worker-prefork")
    _wait_for(lambda: len(stack.pids("worker-prefork")) >= 3, 10, "the two pool children")
    group = stack.pids("worker-prefork")

    stack.kill("worker-prefork", signal.SIGKILL)
    _assert_gone(group)


def test_beat_starts(stack: Stack) -> None:
    try:  # the platform's scheduler is being written; fall back while it does not import
        importlib.import_module(DEFAULT_BEAT_SCHEDULER.split(":")[0])
    except Exception:
        stack.beat_scheduler = "django_celery_beat.schedulers:DatabaseScheduler"
    seconds = stack.start("beat").startup_seconds("beat")
    assert seconds is not None and seconds < 30
    assert stack.beat_scheduler.replace(":", ".") in stack.log("beat")


def test_failed_start_raises_with_the_log_tail(tmp_path: Path) -> None:
    with Stack("postgres://nobody@127.0.0.1:1/none", settings.REDIS_URL, log_dir=tmp_path) as s:
        s.add_process("crash", [sys.executable, "-c", "print('boom-7f3'); raise SystemExit(3)"], ready="never")
        s.add_process(
            "slow",
            [sys.executable, "-c", "import time; print('still-starting', flush=True); time.sleep(60)"],
            ready="never",
        )
        with pytest.raises(StackError, match=r"(?s)crash exited with code 3.*boom-7f3"):
            s.start("crash")
        started = time.monotonic()
        with pytest.raises(StackError, match=r"(?s)slow not ready after 1\.0s.*still-starting"):
            s.start("slow", timeout=1.0)
        assert time.monotonic() - started < 5
        slow = s.pid("slow")
    assert not pid_alive(slow)
