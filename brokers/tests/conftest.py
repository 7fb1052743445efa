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
from urllib.parse import urlsplit

import pytest
import redis

from brokers.paper import paper_reset
from brokers.paper.store import get_client, price_key

TEST_REDIS_URL = os.environ.get("BROKERS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


# Hosts of the services the suite itself uses (Redis may live on another machine in some setups).
_SERVICE_HOSTS = {host for url in (TEST_REDIS_URL, os.environ.get("REDIS_URL", "")) if (host := urlsplit(url).hostname)}
_service_ips: set[str] = set()


def _allowed(host: str) -> bool:
    if host == "localhost" or host in _SERVICE_HOSTS or host in _service_ips:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # any other host name would need DNS: not allowed either


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Broker tests talk to local simulators only: a connection anywhere else fails the test
    instead of reaching a real broker (an adapter built without api_root would)."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guard(address: object) -> None:
        if isinstance(address, tuple) and not _allowed(str(address[0])):
            raise AssertionError(f"broker test tried to connect to {address!r}; set api_root to a simulator")

    def connect(self: socket.socket, address: object) -> None:
        guard(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        guard(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None:
            guard((name, 0))
        result = real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]
        if name in _SERVICE_HOSTS:
            _service_ips.update(str(info[4][0]) for info in result)
        return result

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
