"""Shared fixtures: users of every role, API clients, a clean Redis database per test."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

_seq = itertools.count(1)
PASSWORD = "Sturdy-Passw0rd-42"


@pytest.fixture(autouse=True)
def _clean_redis(settings: Any) -> Iterator[None]:
    """Every test starts with an empty runtime Redis database (its own per xdist worker)."""
    from apps.core.redis import get_redis

    get_redis().flushdb()
    yield


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    from apps.accounts.models import User

    def make(role: str = "user", *, email: str | None = None, broker: str = "", password: str = PASSWORD) -> Any:
        email = email or f"{role}{next(_seq)}@example.test"
        if role == "broker" and not broker:
            broker = "paper"
        return User.objects.create_user(email=email, password=password, role=role, broker=broker, is_staff=role == "admin")

    return make


@pytest.fixture
def alice(make_user: Callable[..., Any]) -> Any:
    return make_user("user", email="alice@example.test")


@pytest.fixture
def bob(make_user: Callable[..., Any]) -> Any:
    return make_user("user", email="bob@example.test")


@pytest.fixture
def admin_user(make_user: Callable[..., Any]) -> Any:
    return make_user("admin", email="admin@example.test")


@pytest.fixture
def broker_user(make_user: Callable[..., Any]) -> Any:
    return make_user("broker", email="staff@example.test", broker="paper")


@pytest.fixture
def api() -> Callable[[Any], Any]:
    """api(user) -> an APIClient signed in with a real JWT for that user (None: a guest)."""
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    def client_for(user: Any | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return client

    return client_for
