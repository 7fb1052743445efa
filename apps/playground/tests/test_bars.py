from __future__ import annotations

import datetime as dt
import gzip

import pytest

from apps.playground import backtest, bars


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("timestamp,open,high,low,close\n2025-01-06 09:15,1,2,0.5,1\n2025-01-06 09:16,1,2\n", 3, "5 or 6 columns"),
        ("2025-01-06 09:15,1,2,0.5,1\n2025-13-06 09:16,1,2,0.5,1\n", 2, "timestamp"),
        ("2025-01-06 09:15,1,2,0.5,1\n2025-01-06 09:16,1,x,0.5,1\n", 2, "numbers"),
        ("2025-01-06 09:15,1,2,0.5,1\n2025-01-06 09:16,1,0.9,0.5,1\n", 2, "high must be"),
        ("2025-01-06 09:15,1,2,0.5,1\n2025-01-06 09:15,1,2,0.5,1\n", 2, "increase"),
        ("2025-01-06 09:15,0,2,0.5,1\n", 1, "greater than 0"),
        ("2025-01-06 09:15,nan,2,0.5,1\n", 1, "numbers"),
        ("\n\n", 1, "no bars"),
    ],
)
def test_bad_csv_names_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(bars.BarError) as err:
        bars.parse_csv(text)
    assert err.value.line == line and words in str(err.value) and str(err.value).startswith(f"line {line}:")


def test_timestamps_in_any_zone_land_on_the_ist_day_and_minute() -> None:
    text = "2025-01-06T03:45:00Z,1,1,1,1\n2025-01-06T09:16:00+05:30,1,1,1,1\n1736135220,1,1,1,1,9\n"
    days = bars.parse_csv(text)
    assert [b[0] for b in days[dt.date(2025, 1, 6)]] == [9 * 60 + 15, 9 * 60 + 16, 9 * 60 + 17]


def test_random_walk_is_deterministic_and_well_formed() -> None:
    a = bars.random_walk(start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 10), seed=3, start_price=100_000)
    b = bars.random_walk(start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 10), seed=3, start_price=100_000)
    c = bars.random_walk(start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 10), seed=4, start_price=100_000)
    assert a == b and a != c
    assert all(d.weekday() < 5 for d in a) and len(a) == 8
    for day_bars in a.values():
        assert len(day_bars) == bars.SESSION_MINUTES
        for _, o, h, low, c_ in day_bars:
            assert low <= min(o, c_) <= max(o, c_) <= h and low > 0 and o % bars.TICK_PAISE == 0


def test_bundled_sample_is_small_complete_and_reproducible() -> None:
    assert bars.SAMPLE_PATH.stat().st_size < 2 * 1024 * 1024
    symbols = bars.sample_symbols()
    assert set(symbols) == {"INFY", "TCS"}
    for symbol in symbols:
        days = bars.sample(symbol)
        assert len(days) == bars.SAMPLE_DAYS and all(len(b) == bars.SESSION_MINUTES for b in days.values())
    assert gzip.decompress(bars.SAMPLE_PATH.read_bytes()) == gzip.decompress(bars.sample_csv_bytes())


def test_a_year_of_minute_bars_parses_and_backtests_every_day() -> None:
    """Correctness at full size; the speed (goal: under 2 s) is measured by bench/backtest_speed.py."""
    year = bars.random_walk(start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31), seed=9, start_price=150_000)
    lines = ["timestamp,open,high,low,close,volume"]
    for day, day_bars in year.items():
        for minute, o, h, low, c in day_bars:
            lines.append(
                f"{day} {minute // 60:02d}:{minute % 60:02d},{bars.paise_str(o)},{bars.paise_str(h)},"
                f"{bars.paise_str(low)},{bars.paise_str(c)},100"
            )
    result = backtest.run(
        bars.parse_csv("\n".join(lines)), buy_time=dt.time(9, 20), sell_time=dt.time(15, 10), stop_loss=145_000,
        quantity=10,
    )
    assert result["trading_days"] == 262 and result["summary"]["trades"] == 262
