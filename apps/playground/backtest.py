"""Backtest of the platform's one rule over minute bars (pure Python, no Django).

Each trading day (in date order, on the strategy's weekdays):
- Entry: BUY `quantity` at the open of the bar containing `buy_time` (the first bar whose
  minute is at or after buy_time's minute). No such bar before sell_time's bar: no trade.
- Stop-loss, highest priority: from the entry bar up to (not including) the sell bar, the
  first bar whose low <= stop_loss closes the position at the stop price, or at that bar's
  open when the open is already at or below the stop (a gap through it).
- Otherwise SELL at the open of the bar containing `sell_time`; when the day's data ends
  before it, at the last bar's close (exit reason END_OF_DATA).
P&L = (exit - entry) x quantity. Prices are in paise internally; results are decimal strings.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Callable, Iterable
from typing import Any

from .bars import Days, paise_str


def _minute(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def run(
    days: Days,
    *,
    buy_time: dt.time,
    sell_time: dt.time,
    stop_loss: int,
    quantity: int,
    weekdays: Iterable[int] | None = None,
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """Trades, summary and equity curve; `stop_loss` in paise; `progress(fraction)` is called
    about every 5% of the days."""
    buy_m, sell_m = _minute(buy_time), _minute(sell_time)
    allowed = set(weekdays) if weekdays is not None else None
    ordered = sorted(d for d in days if allowed is None or d.weekday() in allowed)
    trades: list[dict[str, Any]] = []
    curve: list[dict[str, Any]] = []
    equity = peak = max_dd = 0
    wins = losses = stops = 0
    step = max(1, len(ordered) // 20)
    for n, day in enumerate(ordered, start=1):
        bars = days[day]
        minutes = [b[0] for b in bars]
        i = bisect_left(minutes, buy_m)
        j = bisect_left(minutes, sell_m)
        if i < len(bars) and i < j:
            entry = bars[i][1]
            exit_price = exit_minute = None
            reason = "SCHEDULED"
            for k in range(i, j):
                bar = bars[k]
                if bar[3] <= stop_loss:
                    exit_price = bar[1] if bar[1] <= stop_loss else stop_loss
                    exit_minute, reason = bar[0], "STOP_LOSS"
                    break
            if exit_price is None:
                if j < len(bars):
                    exit_price, exit_minute = bars[j][1], bars[j][0]
                else:
                    exit_price, exit_minute, reason = bars[-1][4], bars[-1][0], "END_OF_DATA"
            pnl = (exit_price - entry) * quantity
            equity += pnl
            peak = max(peak, equity)
            max_dd = max(max_dd, peak - equity)
            wins += pnl > 0
            losses += pnl < 0
            stops += reason == "STOP_LOSS"
            trades.append(
                {
                    "day": day.isoformat(),
                    "entry_time": _hhmm(bars[i][0]),
                    "entry_price": paise_str(entry),
                    "exit_time": _hhmm(exit_minute),
                    "exit_price": paise_str(exit_price),
                    "exit_reason": reason,
                    "quantity": quantity,
                    "pnl": paise_str(pnl),
                }
            )
            curve.append({"day": day.isoformat(), "equity": paise_str(equity)})
        if progress is not None and (n % step == 0 or n == len(ordered)):
            progress(n / len(ordered))
    count = len(trades)
    pnls = [t["pnl"] for t in trades]
    return {
        "trading_days": len(ordered),
        "trades": trades,
        "summary": {
            "trades": count,
            "wins": wins,
            "losses": losses,
            "win_rate": round(wins / count, 4) if count else None,
            "stop_loss_exits": stops,
            "total_pnl": paise_str(equity),
            "max_drawdown": paise_str(max_dd),
            "best_trade": max(pnls, key=_as_number) if pnls else None,
            "worst_trade": min(pnls, key=_as_number) if pnls else None,
        },
        "equity_curve": curve,
    }


def _as_number(text: str) -> float:
    return float(text)
