"""Minute bars for backtests: parsed from CSV, read from the bundled sample, or generated.

A bar is a tuple (minute of day in IST, open, high, low, close) with prices in paise (ints),
so the backtest does exact integer arithmetic and no Decimal work per bar. Bars are grouped by
IST trading day: {date: [bar, ...]} in time order.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import io
import math
import random
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")
Bar = tuple[int, int, int, int, int]
Days = dict[dt.date, list[Bar]]

SESSION_OPEN = 9 * 60 + 15  # 09:15 IST
SESSION_MINUTES = 375  # 09:15 .. 15:29 (the 15:29 bar closes at 15:30)
TICK_PAISE = 5
SAMPLE_PATH = Path(__file__).resolve().parent / "data" / "sample_minute_bars.csv.gz"
SAMPLE_SYMBOLS = {"INFY": (1523_40, 11), "TCS": (3412_50, 22)}  # reference price (paise), seed
SAMPLE_START = dt.date(2025, 1, 1)
SAMPLE_DAYS = 60


class BarError(ValueError):
    """A CSV that cannot be used; `line` is 1-based (the header is line 1 when present)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def to_paise(text: str) -> int:
    value = float(text)
    if value != value or value in (math.inf, -math.inf):
        raise ValueError("not a finite number")
    return round(value * 100)


def paise_str(value: int) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}"


def _timestamp(text: str) -> dt.datetime:
    text = text.strip()
    if text.isdigit():  # epoch seconds
        return dt.datetime.fromtimestamp(int(text), tz=dt.UTC).astimezone(IST)
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=IST)  # a naive timestamp is exchange time
    return moment.astimezone(IST)


def _when(text: str, day_cache: dict[str, dt.date]) -> tuple[dt.date, int]:
    """(IST date, second of day). Fast path for naive "YYYY-MM-DD HH:MM[:SS]" (exchange time)."""
    if len(text) in (16, 19) and text[10] in " T" and text[13] == ":" and (len(text) == 16 or text[16] == ":"):
        day = day_cache.get(text[:10])
        if day is None:
            day = day_cache[text[:10]] = dt.date.fromisoformat(text[:10])
        hour, minute = int(text[11:13]), int(text[14:16])
        second = int(text[17:19]) if len(text) == 19 else 0
        if hour > 23 or minute > 59 or second > 59:
            raise ValueError("time out of range")
        return day, hour * 3600 + minute * 60 + second
    moment = _timestamp(text)
    return moment.date(), moment.hour * 3600 + moment.minute * 60 + moment.second


def parse_csv(text: str, *, max_rows: int = 2_000_000) -> Days:
    """timestamp,open,high,low,close[,volume] (a header line is optional). Timestamps are ISO
    8601 (naive = IST) or epoch seconds, strictly increasing. Raises BarError naming the line."""
    days: Days = {}
    day_cache: dict[str, dt.date] = {}
    last: tuple[dt.date, int] | None = None
    rows = 0
    current_day: dt.date | None = None
    current: list[Bar] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        cells = raw.split(",")
        if len(cells) == 1 and not raw.strip():
            continue
        stamp = cells[0].strip()
        if rows == 0 and stamp.lower() in ("timestamp", "time", "datetime", "date"):
            continue
        if len(cells) not in (5, 6):
            raise BarError(number, f"expected 5 or 6 columns (timestamp,open,high,low,close[,volume]), found {len(cells)}")
        try:
            when = _when(stamp, day_cache)
        except ValueError:
            raise BarError(number, f"timestamp {stamp[:40]!r} is not ISO 8601 or epoch seconds") from None
        try:
            o, h, low, c = to_paise(cells[1]), to_paise(cells[2]), to_paise(cells[3]), to_paise(cells[4])
        except ValueError:
            raise BarError(number, "open, high, low and close must be numbers") from None
        if o <= 0 or h <= 0 or low <= 0 or c <= 0:
            raise BarError(number, "prices must be greater than 0")
        if h < o or h < c or low > o or low > c:
            raise BarError(number, "high must be >= open and close, low <= open and close")
        if last is not None and when <= last:
            raise BarError(number, "timestamps must increase (one bar per minute, oldest first)")
        last = when
        rows += 1
        if rows > max_rows:
            raise BarError(number, f"more than {max_rows} bars")
        if when[0] != current_day:
            current_day = when[0]
            current = days.setdefault(current_day, [])
        current.append((when[1] // 60, o, h, low, c))
    if rows == 0:
        raise BarError(1, "no bars found")
    return days


def between(days: Days, start: dt.date | None, end: dt.date | None) -> Days:
    return {d: bars for d, bars in days.items() if (start is None or d >= start) and (end is None or d <= end)}


def trading_days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        if day.weekday() < 5:
            yield day
        day += dt.timedelta(days=1)


def _tick(value: float) -> int:
    return max(TICK_PAISE, int(round(value / TICK_PAISE)) * TICK_PAISE)


def random_walk(
    *, start: dt.date, end: dt.date, seed: int, start_price: int, volatility_pct: float = 0.05
) -> Days:
    """Seeded geometric random walk over weekdays, 375 minute bars a day, prices on the 0.05
    tick; `volatility_pct` is the standard deviation of one minute's return in percent. The
    same arguments always give the same bars."""
    rng = random.Random(seed)  # noqa: S311 - a seeded simulation, not security
    gauss, sigma = rng.gauss, volatility_pct / 100
    price = float(start_price)
    days: Days = {}
    for day in trading_days(start, end):
        price *= 1 + gauss(0, sigma * 8)  # overnight gap
        bars: list[Bar] = []
        append = bars.append
        open_ = _tick(price)
        for minute in range(SESSION_OPEN, SESSION_OPEN + SESSION_MINUTES):
            price *= 1 + gauss(0, sigma)
            close = _tick(price)
            wiggle = abs(gauss(0, sigma)) * price
            high = _tick(max(open_, close) + wiggle)
            low = _tick(min(open_, close) - abs(gauss(0, sigma)) * price)
            append((minute, open_, max(high, open_, close), min(low, open_, close), close))
            open_ = close
        days[day] = bars
    return days


# --- the bundled sample -----------------------------------------------------------------------


def sample_csv_bytes() -> bytes:
    """The bundled sample file's exact bytes (gzip with a fixed header): regenerate it with
    `manage.py make_playground_sample`."""
    out = io.StringIO()
    out.write("symbol,timestamp,open,high,low,close,volume\n")
    end = SAMPLE_START + dt.timedelta(days=SAMPLE_DAYS * 7 // 5 + 7)
    for symbol, (price, seed) in SAMPLE_SYMBOLS.items():
        days = random_walk(start=SAMPLE_START, end=end, seed=seed, start_price=price, volatility_pct=0.04)
        volume = random.Random(seed * 7)  # noqa: S311 - seeded sample volumes
        for day in sorted(days)[:SAMPLE_DAYS]:
            stamp = day.isoformat()
            for minute, o, h, low, c in days[day]:
                out.write(
                    f"{symbol},{stamp} {minute // 60:02d}:{minute % 60:02d},"
                    f"{paise_str(o)},{paise_str(h)},{paise_str(low)},{paise_str(c)},{volume.randint(100, 5000)}\n"
                )
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(out.getvalue().encode())
    return buffer.getvalue()


@functools.cache
def _sample() -> dict[str, Days]:
    by_symbol: dict[str, list[str]] = {}
    with gzip.open(SAMPLE_PATH, "rt") as handle:
        next(handle)
        for line in handle:
            symbol, rest = line.split(",", 1)
            by_symbol.setdefault(symbol, []).append(rest)
    return {symbol: parse_csv("".join(lines)) for symbol, lines in by_symbol.items()}


def sample_symbols() -> dict[str, tuple[dt.date, dt.date]]:
    """Symbols in the bundled sample, each with its first and last day."""
    return {symbol: (min(days), max(days)) for symbol, days in _sample().items()}


def sample(symbol: str, start: dt.date | None = None, end: dt.date | None = None) -> Days:
    days = _sample().get(symbol)
    if days is None:
        raise KeyError(symbol)
    return between(days, start, end)
