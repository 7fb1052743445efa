"""Playground backtest speed: one symbol, a year of minute bars (262 weekdays x 375 bars).

Times each stage separately and the two paths end to end: an uploaded CSV (parse + backtest)
and a generated random walk (generate + backtest). The target is under 2 s for a year.
Pure Python: no database, Redis or Django needed. Run: python bench/backtest_speed.py
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apps.playground import backtest, bars  # noqa: E402

TARGET_SECONDS = 2.0
RUNS = 5


def _csv(days: bars.Days) -> str:
    lines = ["timestamp,open,high,low,close,volume"]
    for day, day_bars in days.items():
        for minute, o, h, low, c in day_bars:
            lines.append(
                f"{day} {minute // 60:02d}:{minute % 60:02d},{bars.paise_str(o)},{bars.paise_str(h)},"
                f"{bars.paise_str(low)},{bars.paise_str(c)},100"
            )
    return "\n".join(lines)


def _time(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> int:
    start, end = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    year = bars.random_walk(start=start, end=end, seed=1, start_price=150_000)
    text = _csv(year)
    n_bars = sum(len(b) for b in year.values())
    rules = {"buy_time": dt.time(9, 20), "sell_time": dt.time(15, 10), "stop_loss": 145_000, "quantity": 10}
    stages = {
        "generate (random walk)": lambda: bars.random_walk(start=start, end=end, seed=1, start_price=150_000),
        "parse CSV": lambda: bars.parse_csv(text),
        "backtest only": lambda: backtest.run(year, **rules),
        "upload path (parse + backtest)": lambda: backtest.run(bars.parse_csv(text), **rules),
        "random path (generate + backtest)": lambda: backtest.run(
            bars.random_walk(start=start, end=end, seed=1, start_price=150_000), **rules
        ),
    }
    print(f"one symbol, {len(year)} trading days, {n_bars} minute bars, CSV {len(text) / 1e6:.1f} MB; {RUNS} runs each")
    worst_path = 0.0
    for name, fn in stages.items():
        times = [_time(fn) for _ in range(RUNS)]
        median = statistics.median(times)
        if "path" in name:
            worst_path = max(worst_path, median)
        print(f"  {name:36s} median {median * 1000:8.1f} ms   min {min(times) * 1000:8.1f} ms   max {max(times) * 1000:8.1f} ms")
    verdict = "OK" if worst_path < TARGET_SECONDS else "SLOW"
    print(f"slowest end-to-end path: {worst_path:.2f} s (target < {TARGET_SECONDS:.0f} s): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
