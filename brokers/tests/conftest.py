"""Fixtures for broker tests: plain pytest, a real Redis, no Django.

Isolation is by name, not by FLUSHDB: tests may run in parallel (pytest-xdist) against the same
database, so every test gets its own paper account (`account_ref`) and only deletes what it
created. Tests that write simulator prices (`set_price`) must each use a symbol no other test
writes, and tests must never set the global `paper:faults` hash.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
import redis

from brokers.paper import paper_reset
from brokers.paper.store import get_client, price_key

TEST_REDIS_URL = os.environ.get("BROKERS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _is_loopback(address: object) -> bool:
    if not isinstance(address, tuple):
        return True  # unix sockets
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost would need DNS: not allowed either


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Broker tests talk to local simulators only: a connection anywhere else fails the test
    instead of reaching a real broker (an adapter built without api_root would)."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guard(address: object) -> None:
        if not _is_loopback(address):
            raise AssertionError(f"broker test tried to connect to {address!r}; set api_root to a simulator")

    def connect(self: socket.socket, address: object) -> None:
        guard(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        guard(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host is not None:
            guard((host.decode() if isinstance(host, bytes) else host, 0))
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


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
