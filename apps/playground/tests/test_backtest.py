"""The backtest rules on three days of bars written (and checked) by hand."""

from __future__ import annotations

import datetime as dt

from apps.playground import backtest, bars

# buy 09:16, sell 09:20, stop-loss 95.00, quantity 10.
CSV = """timestamp,open,high,low,close,volume
2025-01-06 09:15,100.00,101.00,99.00,100.00,500
2025-01-06 09:16,100.50,101.00,100.00,100.80,500
2025-01-06 09:17,100.80,102.00,100.20,101.50,500
2025-01-06 09:18,101.50,102.50,101.00,102.20,500
2025-01-06 09:19,102.20,102.40,101.80,102.00,500
2025-01-06 09:20,102.00,102.10,90.00,90.50,500
2025-01-07 09:15,99.50,99.80,98.50,99.00,500
2025-01-07 09:16,99.00,99.20,97.00,97.50,500
2025-01-07 09:17,97.50,97.80,96.00,97.00,500
2025-01-07 09:18,97.00,97.10,94.50,96.00,500
2025-01-07 09:19,96.00,96.50,94.00,94.20,500
2025-01-07 09:20,94.20,95.00,94.00,94.80,500
2025-01-08 09:15,98.00,98.50,97.50,98.00,500
2025-01-08 09:17,98.00,98.20,96.50,96.60,500
2025-01-08 09:18,93.00,94.00,92.00,93.50,500
2025-01-08 09:19,93.50,94.00,93.00,93.80,500
"""


def _run(days: bars.Days, **over: object) -> dict:
    rules = {"buy_time": dt.time(9, 16), "sell_time": dt.time(9, 20), "stop_loss": 9500, "quantity": 10} | over
    return backtest.run(days, **rules)  # type: ignore[arg-type]


def test_three_hand_checked_days() -> None:
    result = _run(bars.parse_csv(CSV))
    assert result["trades"] == [
        # Day 1: bought at the 09:16 open; no low reaches 95 before the 09:20 bar (whose low of
        # 90 comes after the scheduled sell at its open): sold at 102.00. +1.50 x 10.
        {"day": "2025-01-06", "entry_time": "09:16", "entry_price": "100.50", "exit_time": "09:20",
         "exit_price": "102.00", "exit_reason": "SCHEDULED", "quantity": 10, "pnl": "15.00"},
        # Day 2: bought at 99.00; the 09:18 bar opens at 97 (above the stop) and trades down to
        # 94.50: out at the stop, 95.00. -4.00 x 10.
        {"day": "2025-01-07", "entry_time": "09:16", "entry_price": "99.00", "exit_time": "09:18",
         "exit_price": "95.00", "exit_reason": "STOP_LOSS", "quantity": 10, "pnl": "-40.00"},
        # Day 3: no 09:16 bar, so the buy is at the 09:17 open, 98.00; the 09:18 bar opens at
        # 93.00, through the stop: out at that open. Data ends before 09:20. -5.00 x 10.
        {"day": "2025-01-08", "entry_time": "09:17", "entry_price": "98.00", "exit_time": "09:18",
         "exit_price": "93.00", "exit_reason": "STOP_LOSS", "quantity": 10, "pnl": "-50.00"},
    ]
    assert result["summary"] == {
        "trades": 3, "wins": 1, "losses": 2, "win_rate": 0.3333, "stop_loss_exits": 2,
        "total_pnl": "-75.00", "max_drawdown": "90.00", "best_trade": "15.00", "worst_trade": "-50.00",
    }
    assert result["equity_curve"] == [
        {"day": "2025-01-06", "equity": "15.00"},
        {"day": "2025-01-07", "equity": "-25.00"},
        {"day": "2025-01-08", "equity": "-75.00"},
    ]


def test_data_ending_before_the_sell_closes_at_the_last_close() -> None:
    days = bars.parse_csv(CSV)
    result = _run({dt.date(2025, 1, 8): days[dt.date(2025, 1, 8)]}, stop_loss=5000)
    assert result["trades"][0] == {
        "day": "2025-01-08", "entry_time": "09:17", "entry_price": "98.00", "exit_time": "09:19",
        "exit_price": "93.80", "exit_reason": "END_OF_DATA", "quantity": 10, "pnl": "-42.00",
    }


def test_no_bar_between_buy_and_sell_means_no_trade_and_weekdays_filter() -> None:
    days = bars.parse_csv(CSV)
    assert _run(days, buy_time=dt.time(9, 21), sell_time=dt.time(9, 30))["trades"] == []
    tuesday_only = _run(days, weekdays=[1])
    assert [t["day"] for t in tuesday_only["trades"]] == ["2025-01-07"] and tuesday_only["trading_days"] == 1


def test_entry_below_the_stop_exits_at_once_at_the_open() -> None:
    result = _run(bars.parse_csv(CSV), stop_loss=10100)
    first = result["trades"][0]
    assert (first["entry_price"], first["exit_price"], first["exit_reason"], first["pnl"]) == ("100.50", "100.50", "STOP_LOSS", "0.00")


def test_progress_is_reported_up_to_done() -> None:
    seen: list[float] = []
    backtest.run(bars.parse_csv(CSV), buy_time=dt.time(9, 16), sell_time=dt.time(9, 20), stop_loss=9500, quantity=1,
                 progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen)
