"""Exchange time: trading days, market hours and the next firing of a schedule, in IST."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings

IST = ZoneInfo("Asia/Kolkata")


def now_ist() -> dt.datetime:
    return dt.datetime.now(tz=IST)


def trading_day_of(moment: dt.datetime) -> dt.date:
    return moment.astimezone(IST).date()


def market_hours() -> tuple[dt.time, dt.time]:
    return dt.time.fromisoformat(settings.MARKET_OPEN), dt.time.fromisoformat(settings.MARKET_CLOSE)


def holidays(exchange: str = "NSE", *, start: dt.date | None = None) -> set[dt.date]:
    from .models import Holiday

    qs = Holiday.objects.filter(exchange=exchange)
    if start is not None:
        qs = qs.filter(date__gte=start)
    return set(qs.values_list("date", flat=True))


def is_trading_day(day: dt.date, holiday_dates: Iterable[dt.date] = ()) -> bool:
    """With ENFORCE_MARKET_HOURS off (the paper/local profile) every day trades, so a demo at
    21:00 on a Sunday still runs; on, weekends and exchange holidays do not."""
    if not settings.ENFORCE_MARKET_HOURS:
        return True
    return day.weekday() < 5 and day not in set(holiday_dates)


def next_fire(
    times: Iterable[dt.time],
    weekdays: Iterable[int],
    *,
    after: dt.datetime,
    holiday_dates: Iterable[dt.date] = (),
    horizon_days: int = 15,
) -> dt.datetime | None:
    """The first moment strictly after `after` at one of `times` (IST wall clock) on an allowed
    weekday (Monday = 0) that is a trading day."""
    after_ist = after.astimezone(IST)
    wanted = set(weekdays)
    closed = set(holiday_dates)
    ordered = sorted(times)
    for offset in range(horizon_days):
        day = after_ist.date() + dt.timedelta(days=offset)
        if day.weekday() not in wanted or not is_trading_day(day, closed):
            continue
        for t in ordered:
            candidate = dt.datetime.combine(day, t, tzinfo=IST)
            if candidate > after_ist:
                return candidate
    return None
