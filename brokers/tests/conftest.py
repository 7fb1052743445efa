"""Fixtures for broker tests: plain pytest, a real Redis, no Django.

Isolation is by name, not by FLUSHDB: tests may run in parallel (pytest-xdist) against the same
database, so every test gets its own paper account (`account_ref`) and only deletes what it
created. Tests that write simulator prices (`set_price`) must each use a symbol no other test
writes, and tests must never set the global `paper:faults` hash.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
import redis

from brokers.paper import paper_reset
from brokers.paper.store import get_client, price_key

TEST_REDIS_URL = os.environ.get("BROKERS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def new_account_ref() -> str:
    return "t" + uuid.uuid4().hex[:16]


@pytest.fixture(scope="session")
def redis_url() -> str:
    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {TEST_REDIS_URL}: {exc}")
    return TEST_REDIS_URL


@pytest.fixture
def redis_client(redis_url: str) -> redis.Redis:
    return get_client(redis_url)


@pytest.fixture
def new_account(redis_url: str) -> Iterator[Callable[[], str]]:
    """Factory for extra throw-away paper accounts; all are deleted after the test."""
    made: list[str] = []

    def make() -> str:
        made.append(new_account_ref())
        return made[-1]

    yield make
    for ref in made:
        paper_reset(redis_url, ref)


@pytest.fixture
def account_ref(new_account: Callable[[], str]) -> str:
    return new_account()


@pytest.fixture
def set_price(redis_client: redis.Redis) -> Iterator[Callable[[str, Decimal | str], None]]:
    touched: set[str] = set()

    def set_(symbol: str, price: Decimal | str) -> None:
        redis_client.set(price_key(symbol), str(price))
        touched.add(symbol)

    yield set_
    if touched:
        redis_client.delete(*(price_key(s) for s in touched))
