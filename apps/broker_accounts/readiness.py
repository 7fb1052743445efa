"""Pre-market readiness: before the market opens, tell each trader what will fail today.

For every running strategy due today: is the exchange closed (holiday), does the broker
account have a session that lasts until the close, and does the broker know the symbol?
`readiness_report(user=...)` answers for one trader (also GET /api/broker/readiness);
`readiness_check_all()` (beat, 08:45 IST) sends each trader with problems one notification
with the re-login links.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import timezone

from apps.core.redis import get_redis
from brokers.base import BrokerAdapter, BrokerError, ErrorKind
from brokers.universe import is_known

from .models import BrokerAccount, BrokerAccountStatus
from .services import SELF_RENEWING, broker_adapter_for, login_start_path

log = logging.getLogger(__name__)

_DISPLAY_ORDER = ("holiday", "login_needed", "token_expires", "account_disabled", "unknown_symbol", "check_failed")


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    code: str  # holiday | login_needed | token_expires | account_disabled | unknown_symbol | check_failed
    message: str
    broker_account: int | None = None
    strategy: int | None = None
    login_url: str | None = None  # the re-login link (POST it to start the broker login)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def instrument_known(adapter: BrokerAdapter, symbol: str, exchange: str) -> bool | None:
    """Whether the broker's instrument master lists the symbol; None when this broker cannot be
    asked (Fyers formats its symbols and has no master here). BrokerError when unreachable."""
    from brokers.zerodha import ZerodhaBroker

    if isinstance(adapter, ZerodhaBroker):
        try:
            adapter.instrument_token(symbol, exchange)
        except BrokerError as exc:
            if exc.kind is ErrorKind.INPUT:
                return False
            raise
        return True
    for masters in ("security_ids", "symbol_tokens"):  # Dhan, Angel One: (exchange, symbol) keyed
        lookup = getattr(adapter, masters, None)
        if callable(lookup):
            return (exchange, symbol) in lookup()
    if adapter.name == "paper":
        return is_known(symbol, exchange)
    return None


def _close_today(day: dt.date) -> dt.datetime:
    from apps.strategies.calendar import IST, market_hours

    return dt.datetime.combine(day, market_hours()[1], tzinfo=IST)


def _holidays(day: dt.date) -> dict[str, str]:
    from apps.strategies.models import Holiday

    return dict(Holiday.objects.filter(date=day).values_list("exchange", "name"))


def _running_today(user: Any, day: dt.date) -> list[Any]:
    from apps.strategies.models import Strategy, StrategyStatus

    strategies = Strategy.objects.filter(user=user, status=StrategyStatus.RUNNING, deleted_at__isnull=True)
    return [s for s in strategies.select_related("broker_account").order_by("id") if day.weekday() in s.days]


def readiness_report(*, user: Any, now: dt.datetime | None = None) -> list[Problem]:
    """What will fail today for this trader's running strategies ([] when all is well)."""
    from apps.strategies.calendar import IST, trading_day_of

    now = now or timezone.now()
    day = trading_day_of(now)
    if settings.ENFORCE_MARKET_HOURS and day.weekday() >= 5:
        return []  # nothing trades at the weekend
    strategies = _running_today(user, day)
    if not strategies:
        return []
    problems: list[Problem] = []

    closed = _holidays(day)
    trading = []
    for exchange in sorted({s.exchange for s in strategies}):
        on_it = [s for s in strategies if s.exchange == exchange]
        # The paper broker trades on holidays unless market hours are enforced; an exchange does not.
        affected = [s for s in on_it if settings.ENFORCE_MARKET_HOURS or s.broker_account.broker != "paper"]
        if exchange in closed and affected:
            problems.append(Problem(
                code="holiday",
                message=f"{exchange} is closed today ({closed[exchange]}): {len(affected)} of your strategies "
                        "will not trade.",
            ))
            trading += [s for s in on_it if s not in affected]
        else:
            trading += on_it

    close = _close_today(day)
    accounts: dict[int, BrokerAccount] = {s.broker_account_id: s.broker_account for s in trading}
    first_buy = {aid: min(s.buy_time for s in trading if s.broker_account_id == aid) for aid in accounts}
    for aid, account in sorted(accounts.items()):
        link = login_start_path(aid)
        when = first_buy[aid].strftime("%H:%M")
        if account.status == BrokerAccountStatus.DISABLED:
            problems.append(Problem("account_disabled", f"'{account.label}' is disabled: its strategies will not "
                                    "trade.", broker_account=aid))
        elif account.status == BrokerAccountStatus.NEEDS_LOGIN:
            problems.append(Problem("login_needed", f"'{account.label}' needs a fresh broker login before "
                                    f"{when} IST.", broker_account=aid, login_url=link))
        elif (
            account.broker not in SELF_RENEWING
            and account.token_valid_until is not None
            and account.token_valid_until < close
        ):
            ends = account.token_valid_until.astimezone(IST)
            expired = account.token_valid_until <= now
            message = (
                f"'{account.label}': the broker session expired at {ends:%d %b %H:%M} IST; log in again before "
                f"{when} IST." if expired else
                f"'{account.label}': the broker session ends at {ends:%H:%M} IST, before the market closes; log in "
                "again."
            )
            problems.append(Problem("token_expires", message, broker_account=aid, login_url=link))

    problems += _symbol_problems(trading, accounts)
    return sorted(problems, key=lambda p: (_DISPLAY_ORDER.index(p.code), p.broker_account or 0, p.strategy or 0))


def _symbol_problems(strategies: Iterable[Any], accounts: dict[int, BrokerAccount]) -> list[Problem]:
    problems = []
    adapters: dict[int, BrokerAdapter | None] = {}
    unreachable: set[int] = set()
    for s in strategies:
        aid = s.broker_account_id
        if aid in unreachable:
            continue
        if aid not in adapters:
            try:
                adapters[aid] = broker_adapter_for(accounts[aid])
            except Exception:  # noqa: BLE001 - an unreadable credential is reported, not fatal
                log.warning("readiness: cannot build the adapter", extra={"broker_account_id": aid}, exc_info=True)
                adapters[aid] = None
        adapter = adapters[aid]
        if adapter is None:
            continue
        try:
            known = instrument_known(adapter, s.symbol, s.exchange)
        except BrokerError as exc:
            unreachable.add(aid)
            problems.append(Problem(
                "check_failed",
                f"'{accounts[aid].label}': could not check instruments with the broker ({exc.kind.value}).",
                broker_account=aid,
            ))
            continue
        if known is False:
            problems.append(Problem(
                "unknown_symbol",
                f"Strategy '{s.name}': {accounts[aid].label} does not list {s.exchange}:{s.symbol}; its orders "
                "would be rejected.",
                broker_account=aid,
                strategy=s.pk,
            ))
    return problems


def _notification_kind(problems: list[Problem]) -> str:
    from apps.notifications.models import NotificationKind

    codes = {p.code for p in problems}
    if codes & {"login_needed", "token_expires"}:
        return NotificationKind.TOKEN_EXPIRED
    if codes & {"unknown_symbol", "check_failed", "account_disabled"}:
        return NotificationKind.ORDER_FAILED
    return NotificationKind.STRATEGY_STOPPED


def readiness_notify(*, user_id: int, problems: list[Problem]) -> None:
    from apps.notifications.services import notify

    lines = []
    for p in problems:
        lines.append(f"- {p.message}" + (f" Log in: {p.login_url}" if p.login_url else ""))
    count = len(problems)
    notify(
        user_id=user_id,
        kind=_notification_kind(problems),
        title=f"Before the market opens: {count} problem{'s' if count != 1 else ''} with your strategies",
        body="\n".join(lines),
    )


def readiness_check_all(*, now: dt.datetime | None = None) -> int:
    """The daily check: one notification per trader with problems. Returns how many were sent.
    A trader is told once per day, however often the task runs."""
    from apps.accounts.models import User
    from apps.strategies.calendar import trading_day_of
    from apps.strategies.models import Strategy, StrategyStatus

    now = now or timezone.now()
    day = trading_day_of(now)
    if settings.ENFORCE_MARKET_HOURS and day.weekday() >= 5:
        return 0
    user_ids = (
        Strategy.objects.filter(status=StrategyStatus.RUNNING, deleted_at__isnull=True)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
    redis = get_redis()
    sent = 0
    for user in User.objects.filter(pk__in=list(user_ids), is_active=True).order_by("pk"):
        try:
            problems = readiness_report(user=user, now=now)
        except Exception:  # noqa: BLE001 - one trader's failure must not stop the others' check
            log.exception("readiness check failed", extra={"user_id": user.pk})
            continue
        if not problems:
            continue
        told = f"readiness:{day.isoformat()}:{user.pk}"
        if not redis.set(told, "1", nx=True, ex=36 * 3600):
            continue  # already told today
        try:
            readiness_notify(user_id=user.pk, problems=problems)
        except Exception:  # noqa: BLE001 - the other traders are still told
            redis.delete(told)  # a later run may try again
            log.exception("readiness notification failed", extra={"user_id": user.pk})
            continue
        sent += 1
    log.info("readiness check: %d traders notified", sent)
    return sent
