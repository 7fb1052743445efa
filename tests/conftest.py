"""Fixtures for end-to-end tests that run the platform's real processes (see tests/stack.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.stack import Stack, database_url_from_settings, purge_queues

_call_failed = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[_call_failed] = report.failed
    return report


@pytest.fixture
def stack(request: pytest.FixtureRequest, transactional_db: Any, settings: Any, tmp_path: Path) -> Iterator[Stack]:
    """An un-started Stack pointed at pytest-django's test database and this xdist worker's
    Redis db. The test starts what it needs: ``stack.start("web", "worker-orders")``.

    Use with ``@pytest.mark.django_db(transaction=True)``: the processes only see committed
    rows. Everything is stopped (and reaped) before the test database is flushed; the Celery
    queues are purged before and after. Logs stay in ``tmp_path/stack``; when the test fails
    their tails are printed (shown in the report as "Captured stdout teardown").
    """
    redis_url = settings.REDIS_URL
    purge_queues(redis_url)
    s = Stack(database_url_from_settings(), redis_url, log_dir=tmp_path / "stack")
    try:
        yield s
    finally:
        s.stop()
        purge_queues(redis_url)
        if request.node.stash.get(_call_failed, False):
            for log in sorted(s.dir.glob("*.log")):
                lines = log.read_text(errors="replace").splitlines()[-60:]
                print(f"\n----- {log} (last {len(lines)} lines) -----\n" + "\n".join(lines))
