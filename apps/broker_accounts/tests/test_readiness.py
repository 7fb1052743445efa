"""The pre-market readiness check: what will fail today, one notification per trader."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from apps.broker_accounts.models import BrokerAccount, BrokerAccountStatus
from apps.broker_accounts.readiness import readiness_check_all, readiness_report
from apps.broker_accounts.services import broker_account_connect
from apps.notifications.models import Notification
from apps.strategies.models import Holiday, Strategy
from brokers.simulators.kite import KiteSimulator
from tests.e2e_helpers import bulk_running_strategies

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
MONDAY_0845 = dt.datetime(2026, 3, 2, 8, 45, tzinfo=IST)  # a Monday


def _zerodha(zerodha_login: Any, user: Any, label: str = "Kite") -> BrokerAccount:
    return BrokerAccount.objects.get(pk=zerodha_login(user, label=label)["id"])


def _strategy(account: BrokerAccount, symbol: str = "TCS", buy: dt.time = dt.time(9, 20)) -> int:
    (sid,) = bulk_running_strategies([account], 1, buy_time=buy, sell_time=dt.time(15, 10), symbol=symbol)
    return sid


def _codes(problems: list[Any]) -> list[str]:
    return [p.code for p in problems]


def test_all_well_is_an_empty_report(zerodha_login: Any, alice: Any, kite: KiteSimulator) -> None:
    account = _zerodha(zerodha_login, alice)
    account.token_valid_until = MONDAY_0845 + dt.timedelta(hours=21)  # Tuesday 06:00
    account.save(update_fields=["token_valid_until"])
    _strategy(account)
    assert readiness_report(user=alice, now=MONDAY_0845) == []


def test_a_session_ending_before_the_close_asks_for_a_login_with_the_link(
    zerodha_login: Any, alice: Any, kite: KiteSimulator
) -> None:
    account = _zerodha(zerodha_login, alice)
    account.token_valid_until = MONDAY_0845.replace(hour=6, minute=0)  # yesterday's login: dead since 06:00
    account.save(update_fields=["token_valid_until"])
    _strategy(account, buy=dt.time(9, 17))
    (problem,) = readiness_report(user=alice, now=MONDAY_0845)
    assert problem.code == "token_expires" and problem.broker_account == account.pk
    assert "09:17" in problem.message and problem.login_url.endswith(f"/api/broker/accounts/{account.pk}/login/start")


def test_an_account_needing_login_and_an_unknown_symbol_are_reported(
    zerodha_login: Any, alice: Any, kite: KiteSimulator
) -> None:
    account = _zerodha(zerodha_login, alice)
    BrokerAccount.objects.filter(pk=account.pk).update(status=BrokerAccountStatus.NEEDS_LOGIN)
    _strategy(account)
    odd = _strategy(account)
    Strategy.objects.filter(pk=odd).update(symbol="NOSUCHCO")  # delisted since it was created
    problems = readiness_report(user=alice, now=MONDAY_0845)
    assert _codes(problems) == ["login_needed", "unknown_symbol"]
    assert problems[1].strategy == odd and "NSE:NOSUCHCO" in problems[1].message


def test_a_holiday_is_reported_for_live_brokers_not_for_paper_at_any_hour(
    zerodha_login: Any, alice: Any, bob: Any, kite: KiteSimulator, settings: Any
) -> None:
    settings.ENFORCE_MARKET_HOURS = False
    Holiday.objects.create(date=MONDAY_0845.date(), exchange="NSE", name="Holi")
    account = _zerodha(zerodha_login, alice)
    BrokerAccount.objects.filter(pk=account.pk).update(status=BrokerAccountStatus.NEEDS_LOGIN)
    _strategy(account)
    (problem,) = readiness_report(user=alice, now=MONDAY_0845)  # the login does not matter today
    assert problem.code == "holiday" and "Holi" in problem.message
    _strategy(broker_account_connect(user=bob, broker="paper", credentials={}))
    assert readiness_report(user=bob, now=MONDAY_0845) == []  # paper trades anyway when hours are not enforced
    settings.ENFORCE_MARKET_HOURS = True
    assert _codes(readiness_report(user=bob, now=MONDAY_0845)) == ["holiday"]


def test_weekends_and_strategies_not_due_today_are_not_checked(
    zerodha_login: Any, alice: Any, kite: KiteSimulator, settings: Any
) -> None:
    account = _zerodha(zerodha_login, alice)
    BrokerAccount.objects.filter(pk=account.pk).update(status=BrokerAccountStatus.NEEDS_LOGIN)
    sid = _strategy(account)
    settings.ENFORCE_MARKET_HOURS = True
    assert readiness_report(user=alice, now=MONDAY_0845 - dt.timedelta(days=1)) == []  # Sunday
    Strategy.objects.filter(pk=sid).update(days=[1, 2, 3, 4])  # not on Mondays
    assert readiness_report(user=alice, now=MONDAY_0845) == []


def test_daily_check_sends_one_notification_per_trader_with_problems(
    zerodha_login: Any, alice: Any, bob: Any, kite: KiteSimulator, django_capture_on_commit_callbacks: Any
) -> None:
    first = _zerodha(zerodha_login, alice, "Kite one")
    second = _zerodha(zerodha_login, alice, "Kite two")
    BrokerAccount.objects.filter(pk__in=[first.pk, second.pk]).update(status=BrokerAccountStatus.NEEDS_LOGIN)
    _strategy(first)
    _strategy(second)
    _strategy(broker_account_connect(user=bob, broker="paper", credentials={}))  # bob is fine

    with django_capture_on_commit_callbacks(execute=False):
        assert readiness_check_all(now=MONDAY_0845) == 1
        assert readiness_check_all(now=MONDAY_0845) == 0  # told once a day, however often it runs
    (note,) = Notification.objects.all()
    assert note.user_id == alice.pk and note.kind == "token_expired"
    assert note.title.startswith("Before the market opens: 2 problems")
    for account in (first, second):
        assert f"/api/broker/accounts/{account.pk}/login/start" in note.body


def test_readiness_api_shows_only_the_callers_own_problems(
    api: Any, zerodha_login: Any, alice: Any, bob: Any, kite: KiteSimulator
) -> None:
    account = _zerodha(zerodha_login, alice)
    BrokerAccount.objects.filter(pk=account.pk).update(status=BrokerAccountStatus.NEEDS_LOGIN)
    _strategy(account)
    body = api(alice).get("/api/broker/readiness").json()
    assert body["ready"] is False and [p["code"] for p in body["problems"]] == ["login_needed"]
    assert body["problems"][0]["broker_account"] == account.pk
    assert api(bob).get("/api/broker/readiness").json() == {"ready": True, "problems": []}
    assert api(None).get("/api/broker/readiness").status_code == 401


def test_the_check_is_on_the_beat_schedule_at_0845_ist_on_the_default_queue(settings: Any) -> None:
    from django_celery_beat.models import CrontabSchedule

    entry = settings.CELERY_BEAT_SCHEDULE["broker-accounts-readiness-check"]
    assert entry["task"] == "broker_accounts.readiness_check" and entry["options"]["queue"] == "default"
    stored = CrontabSchedule.from_schedule(entry["schedule"])
    assert (str(stored.hour), str(stored.minute), str(stored.timezone)) == ("8", "45", "Asia/Kolkata")
    assert settings.CELERY_TASK_ROUTES["broker_accounts.readiness_check"] == {"queue": "default"}
