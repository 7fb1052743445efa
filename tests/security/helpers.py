"""Shared pieces of the security suite: the API's routes (from the URL configuration itself,
so a new endpoint is probed the day it appears), a tenant with one of every object, and the
summary lines the suite prints."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

METHODS = ("get", "post", "put", "patch", "delete")
MARK = "ALICE-PRIVATE-7f3c"  # appears in alice's objects only: must never show in bob's responses
SUMMARY: list[str] = []


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str  # e.g. api/strategy/<int:strategy_id>
    params: tuple[str, ...]
    methods: tuple[str, ...]

    def path(self, ids: dict[str, int]) -> str:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), self.pattern)


def api_routes() -> list[Route]:
    def walk(patterns: list[Any], prefix: str) -> Iterator[Route]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                view = getattr(p.callback, "view_class", None)
                if route.startswith("api/") and view is not None:
                    params = tuple(re.findall(r"<(?:\w+:)?(\w+)>", route))
                    yield Route(p.name or "", route, params, tuple(m for m in METHODS if hasattr(view, m)))

    return sorted(walk(get_resolver().url_patterns, ""), key=lambda r: r.pattern)


@dataclass
class Tenant:
    user: Any
    account: int
    strategy: int
    intent: int
    notification: int
    run: int
    switch: int  # a broker kill switch engaged by the tenant's broker's staff

    def ids(self) -> dict[str, int]:
        return {
            "account_id": self.account, "strategy_id": self.strategy, "user_id": self.user.pk,
            "intent_id": self.intent, "notification_id": self.notification, "run_id": self.run,
            "switch_id": self.switch,
        }


def strategy_body(account: int, name: str) -> dict[str, Any]:
    return {"name": name, "symbol": "TCS", "quantity": 1, "buy_time": "09:20:00", "sell_time": "15:10:00",
            "stop_loss": "100.00", "broker_account": account}


def make_tenant(api: Any, user: Any, staff: Any, *, mark: str = MARK) -> Tenant:
    """A trader with one of every object, created through the API where the API creates it."""
    from django.utils import timezone

    from apps.notifications.services import notify
    from apps.orders import engine
    from apps.strategies.calendar import trading_day_of

    client = api(user)
    r = client.post("/api/broker/connect", {"broker": "paper", "credentials": {}, "label": f"{mark} account"}, format="json")
    assert r.status_code == 201, r.content
    account = r.json()["id"]
    r = client.post("/api/strategy/create", strategy_body(account, f"{mark} strategy"), format="json")
    assert r.status_code == 201, r.content
    strategy = r.json()["id"]
    assert client.post("/api/strategy/start", {"id": strategy}, format="json").status_code == 200
    intent = engine.intents_create(leg="ENTRY", strategy_ids=[strategy], trading_day=trading_day_of(timezone.now()),
                                   reason="SCHEDULED", due_at=None)[0]
    note = notify(user_id=user.pk, kind="order_filled", title=f"{mark} note", body=mark)
    r = client.post("/api/playground/backtests", {"source": "random", "strategy": strategy, "seed": 7,
                                                 "start": str(dt.date(2025, 1, 6)), "end": str(dt.date(2025, 1, 10))},
                    format="json")
    assert r.status_code == 202, r.content
    run = r.json()["id"]
    r = client.put(f"/api/compliance/static-ips/{account}", {"primary": "203.0.113.5"}, format="json")
    assert r.status_code in (200, 201), r.content
    r = api(staff).post("/api/broker/kill", {"reason": f"{mark} halt"}, format="json")
    assert r.status_code in (200, 201), r.content
    from apps.operations.models import KillSwitch

    switch = KillSwitch.objects.filter(target=staff.broker, active=True).latest("id").pk
    return Tenant(user, account, strategy, intent, note.pk, run, switch)
