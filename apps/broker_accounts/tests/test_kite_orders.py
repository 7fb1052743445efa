"""The execution engine against the Kite simulator: the per-account order rate limit, the algo id
on every order, and a token that expires mid-day (no retry with a dead token, re-login asked)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from apps.broker_accounts.models import BrokerAccount, BrokerAccountStatus
from apps.broker_accounts.services import broker_accounts_notify_login_needed
from apps.notifications.models import Notification
from apps.orders import engine
from apps.orders.models import IntentStatus, OrderIntent
from apps.strategies.models import Strategy, StrategyStatus
from brokers.simulators.kite import KiteSimulator
from tests.e2e_helpers import bulk_running_strategies

pytestmark = pytest.mark.django_db

PLACE = r"/orders/regular"


def _account(zerodha_login: Any, user: Any) -> BrokerAccount:
    return BrokerAccount.objects.get(pk=zerodha_login(user)["id"])


def _fire(leg: str, ids: list[int]) -> int:
    return engine.legs_fire(leg=leg, strategy_ids=ids, due_at=timezone.now())


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most events in any half-open window [t, t + window)."""
    times = sorted(times)
    best = start = 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_burst_of_100_orders_leaves_at_10_per_second_with_no_429(
    zerodha_login: Any, kite: KiteSimulator, make_user: Any
) -> None:
    account = _account(zerodha_login, make_user())
    ids = bulk_running_strategies([account], 100, buy_time=dt.time(9, 20), sell_time=dt.time(23, 59))

    assert _fire("ENTRY", ids) == 100

    times = kite.placement_times()
    assert len(times) == 100 and kite.rate_limited_count == 0
    assert kite.request_count("POST", PLACE) == 100  # nothing refused, nothing sent twice
    assert max_in_window(times) <= 10
    span = max(times) - min(times)
    print(f"\n100 orders of one account: {span:.2f} s from first to last at the broker, "
          f"at most {max_in_window(times)} in any 1 s window, {kite.rate_limited_count} answered 429")
    assert span >= 9.0  # 10 per second: the tenth batch of ten cannot leave before 9 s
    assert set(OrderIntent.objects.filter(strategy_id__in=ids).values_list("status", flat=True)) == {IntentStatus.FILLED}


def test_without_the_limiter_the_simulator_answers_429(
    zerodha_login: Any, kite: KiteSimulator, make_user: Any, settings: Any
) -> None:
    settings.BROKER_ORDERS_PER_SECOND = 0  # limiter off: proves the simulator enforces Kite's limit
    account = _account(zerodha_login, make_user())
    ids = bulk_running_strategies([account], 30, buy_time=dt.time(9, 20), sell_time=dt.time(23, 59))
    _fire("ENTRY", ids)
    assert kite.rate_limited_count > 0
    refused = OrderIntent.objects.filter(strategy_id__in=ids).exclude(status=IntentStatus.FILLED)
    # A 429 is resolved by tag (absent) and queued again, never lost and never doubled.
    assert set(refused.values_list("status", flat=True)) <= {IntentStatus.NEW}
    assert len(kite.placement_times()) == 30 - refused.count()


def test_every_order_carries_the_algo_id(zerodha_login: Any, kite: KiteSimulator, make_user: Any, settings: Any) -> None:
    settings.ALGO_ID = "SEBIALGO0042"
    account = _account(zerodha_login, make_user())
    (sid,) = bulk_running_strategies([account], 1, buy_time=dt.time(9, 20), sell_time=dt.time(23, 59))
    _fire("ENTRY", [sid])
    _fire("EXIT", [sid])
    tags = [i.tag for i in OrderIntent.objects.filter(strategy_id=sid).order_by("id")]
    placed = [o for tag in tags for o in kite.orders_with_tag(tag)]
    assert [(o.side, o.extra["algo_id"]) for o in placed] == [("BUY", "SEBIALGO0042"), ("SELL", "SEBIALGO0042")]


def test_token_expiring_mid_day_fails_the_exit_once_and_asks_for_a_login(
    zerodha_login: Any, kite: KiteSimulator, alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from apps.orders.tasks import stop_loss

    account = _account(zerodha_login, alice)
    (sid,) = bulk_running_strategies([account], 1, buy_time=dt.time(9, 20), sell_time=dt.time(23, 59))
    _fire("ENTRY", [sid])
    assert OrderIntent.objects.get(strategy_id=sid, leg="ENTRY").status == IntentStatus.FILLED

    kite.expire_tokens()  # Kite's session ends while the position is open
    _fire("EXIT", [sid])

    exit_ = OrderIntent.objects.get(strategy_id=sid, leg="EXIT")
    assert exit_.status == IntentStatus.FAILED and exit_.attempts == 1 and exit_.last_error.startswith("token")
    strategy = Strategy.objects.get(pk=sid)
    assert strategy.status == StrategyStatus.ERROR and "re-login needed" in strategy.status_reason
    assert BrokerAccount.objects.get(pk=account.pk).status == BrokerAccountStatus.NEEDS_LOGIN
    assert kite.request_count("POST", PLACE) == 2  # the BUY, and the one SELL the dead token got

    # Nothing sends it again: not the sweeper, not a second delivery, not a stop-loss tick.
    engine.intents_sweep(now=timezone.now() + dt.timedelta(minutes=5))
    assert _fire("EXIT", [sid]) == 0
    stop_loss(sid, "1.00", timezone.now().timestamp())
    assert kite.request_count("POST", PLACE) == 2

    with django_capture_on_commit_callbacks(execute=False):
        assert broker_accounts_notify_login_needed() == 1
    (note,) = Notification.objects.filter(user=alice, kind="token_expired")
    assert f"/api/broker/accounts/{account.pk}/login/start" in note.body
