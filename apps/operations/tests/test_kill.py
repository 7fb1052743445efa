"""The kill-switch contract the engine relies on (apps.operations.kill)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from apps.core.redis import get_redis
from apps.operations import kill


def test_no_switch_means_no_block() -> None:
    assert kill.blocked_reason(user_id=1, broker="paper", strategy_id=2, reason="SCHEDULED") is None


@pytest.mark.parametrize(
    ("field", "blocked"),
    [
        ("global", True),
        ("broker:paper", True),
        ("broker:zerodha", False),
        ("user:1", True),
        ("user:11", False),
        ("strategy:2", True),
        ("strategy:22", False),
    ],
)
def test_each_scope_blocks_only_its_own_flow(field: str, blocked: bool) -> None:
    kill.write_active({field: f"halt {field}"})
    got = kill.blocked_reason(user_id=1, broker="paper", strategy_id=2, reason="SCHEDULED")
    assert got == (f"halt {field}" if blocked else None)


def test_square_off_exits_pass_every_switch() -> None:
    kill.write_active({"global": "everything halted", "strategy:2": "this one"})
    assert kill.blocked_reason(user_id=1, broker="paper", strategy_id=2, reason="KILL") is None
    assert kill.blocked_reason(user_id=1, broker="paper", strategy_id=2, reason="STOP_LOSS") == "everything halted"


def test_widest_switch_is_named_first() -> None:
    kill.write_active({"strategy:2": "narrow", "broker:paper": "broker wide"})
    assert kill.blocked_reason(user_id=1, broker="paper", strategy_id=2, reason="MANUAL") == "broker wide"


def test_batch_check_reads_the_hash_once_and_agrees() -> None:
    kill.write_active({"user:7": "user halted"})
    active = kill.active_switches()
    assert active == {"user:7": "user halted"}
    assert kill.blocked_reason_in(active, user_id=7, broker="paper", strategy_id=1, reason="SCHEDULED") == "user halted"
    assert kill.blocked_reason_in(active, user_id=8, broker="paper", strategy_id=1, reason="SCHEDULED") is None
    assert kill.blocked_reason_in(active, user_id=7, broker="paper", strategy_id=1, reason="KILL") is None


def test_write_active_replaces_the_whole_hash() -> None:
    kill.write_active({"global": "a", "user:1": "b"})
    kill.write_active({"user:2": "c"})
    assert get_redis().hgetall(kill.KILL_KEY) == {"user:2": "c"}
    kill.write_active({})
    assert get_redis().exists(kill.KILL_KEY) == 0


def test_blocked_reason_uses_one_round_trip(monkeypatch: Any) -> None:
    calls: list[tuple[str, Any]] = []

    class Spy:
        def hmget(self, key: str, fields: list[str]) -> list[None]:
            calls.append((key, fields))
            return [None] * len(fields)

    assert kill.blocked_reason(user_id=3, broker="dhan", strategy_id=9, reason="SCHEDULED", client=Spy()) is None
    assert calls == [("kill:active", ["global", "broker:dhan", "user:3", "strategy:9"])]
    assert settings.REDIS_URL  # the real client reads the runtime Redis of REDIS_URL
