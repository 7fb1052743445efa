"""Broker simulators wired into settings.BROKER_OPTIONS, and a Zerodha account logged in
through the real login flow (start -> Kite -> our callback)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from brokers.simulators.kite import KiteSimulator

KITE_LOGIN_URL = "https://kite.example.test/connect/login"


def _with_options(settings: Any, broker: str, **options: Any) -> None:
    merged = {name: dict(values) for name, values in settings.BROKER_OPTIONS.items()}
    merged.setdefault(broker, {}).update(options)
    settings.BROKER_OPTIONS = merged


@pytest.fixture
def kite(settings: Any) -> Iterator[KiteSimulator]:
    with KiteSimulator(hang_seconds=1.0) as sim:
        _with_options(settings, "zerodha", api_root=sim.base_url, login_url=KITE_LOGIN_URL, timeout=5.0)
        yield sim


def state_of(login_url: str) -> str:
    """The state our login URL asks Kite (redirect_params) or Fyers (state) to send back."""
    query = parse_qs(urlsplit(login_url).query)
    if "redirect_params" in query:
        return parse_qs(query["redirect_params"][0])["state"][0]
    return query["state"][0]


@pytest.fixture
def zerodha_login(api: Any, kite: KiteSimulator) -> Callable[..., dict[str, Any]]:
    """zerodha_login(user) -> the account's API body after connect + login through the callback."""

    def run(user: Any, label: str = "Kite") -> dict[str, Any]:
        connected = api(user).post(
            "/api/broker/connect",
            {"broker": "zerodha", "label": label, "credentials": {"api_key": kite.api_key, "api_secret": kite.api_secret}},
            format="json",
        )
        assert connected.status_code == 201, connected.content
        started = api(user).post(f"/api/broker/accounts/{connected.json()['id']}/login/start", {}, format="json")
        assert started.status_code == 200, started.content
        state = state_of(started.json()["login_url"])
        done = api(None).get(
            "/api/broker/login/callback",
            {"action": "login", "type": "login", "status": "success", "request_token": kite.issue_request_token(),
             "state": state},
        )
        assert done.status_code == 200, done.content
        return done.json()

    return run
