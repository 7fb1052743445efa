from __future__ import annotations

import datetime as dt
import logging
import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.errors import ApplicationError
from brokers.universe import get_instrument

from . import backtest, bars
from .models import BacktestRun, BacktestSource, BacktestStatus

log = logging.getLogger(__name__)

RULES = ("buy_time", "sell_time", "stop_loss", "quantity")
MAX_RANDOM_SPAN = dt.timedelta(days=3 * 366)


def _rules(*, user: Any, strategy: int | None, given: dict[str, Any]) -> dict[str, Any]:
    """The rules to test: an own strategy's, overridden by any given explicitly."""
    rules: dict[str, Any] = {}
    if strategy is not None:
        from apps.strategies.selectors import strategy_get

        s = strategy_get(user=user, strategy_id=strategy)  # 404 for anybody else's
        rules = {
            "symbol": s.symbol, "buy_time": s.buy_time, "sell_time": s.sell_time,
            "stop_loss": s.stop_loss, "quantity": s.quantity, "days": s.days,
        }
    rules.update({k: v for k, v in given.items() if v is not None})
    missing = [name for name in RULES if rules.get(name) is None]
    if missing:
        raise ApplicationError(
            "Give the strategy's rules, or a strategy to take them from.",
            fields={name: ["Required (or give `strategy`)."] for name in missing},
        )
    errors: dict[str, list[str]] = {}
    if rules["buy_time"] >= rules["sell_time"]:
        errors["sell_time"] = ["Must be after buy_time."]
    if rules["stop_loss"] <= 0:
        errors["stop_loss"] = ["Must be greater than 0."]
    if rules["quantity"] <= 0:
        errors["quantity"] = ["Must be at least 1."]
    if errors:
        raise ApplicationError("Invalid rules: " + ", ".join(sorted(errors)) + ".", fields=errors)
    return rules


def backtest_submit(
    *,
    user: Any,
    source: str,
    strategy: int | None = None,
    symbol: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    buy_time: dt.time | None = None,
    sell_time: dt.time | None = None,
    stop_loss: Decimal | None = None,
    quantity: int | None = None,
    days: list[int] | None = None,
    csv: str | None = None,
    seed: int | None = None,
    start_price: Decimal | None = None,
    volatility: float | None = None,
) -> BacktestRun:
    """Validate a backtest (a bad CSV is refused here, naming its line) and queue it."""
    from apps.operations.selectors import feature_enabled

    if not feature_enabled("playground"):
        raise ApplicationError("The playground is turned off on this deployment.", code="feature_disabled", status=403)
    rules = _rules(
        user=user,
        strategy=strategy,
        given={"symbol": symbol, "buy_time": buy_time, "sell_time": sell_time, "stop_loss": stop_loss,
               "quantity": quantity, "days": days},
    )
    if start is not None and end is not None and start > end:
        raise ApplicationError.field("end", "Must not be before start.")
    symbol = (rules.get("symbol") or "").strip().upper()
    params: dict[str, Any] = {
        "symbol": symbol,
        "buy_time": rules["buy_time"].strftime("%H:%M:%S"),
        "sell_time": rules["sell_time"].strftime("%H:%M:%S"),
        "stop_loss": str(Decimal(rules["stop_loss"]).quantize(Decimal("0.01"))),
        "quantity": int(rules["quantity"]),
        "days": sorted(set(rules["days"])) if rules.get("days") else None,
        "strategy": strategy,
    }
    upload = ""
    if source == BacktestSource.UPLOAD:
        if not csv:
            raise ApplicationError.field("csv", "Upload the minute bars (CSV text or a file).")
        try:
            parsed = bars.between(bars.parse_csv(csv), start, end)
        except bars.BarError as exc:
            raise ApplicationError.field("csv", str(exc)) from exc
        if not parsed:
            raise ApplicationError.field("start", "The uploaded bars have no day in this date range.")
        params |= {"start": (start or min(parsed)).isoformat(), "end": (end or max(parsed)).isoformat()}
        upload = csv
    elif source == BacktestSource.SAMPLE:
        available = bars.sample_symbols()
        if symbol not in available:
            raise ApplicationError.field("symbol", f"The sample data has {', '.join(sorted(available))}.")
        first, last = available[symbol]
        start, end = start or first, end or last
        if start > last or end < first:
            raise ApplicationError.field("start", f"The sample of {symbol} covers {first} to {last}.")
        params |= {"start": start.isoformat(), "end": end.isoformat()}
    elif source == BacktestSource.RANDOM:
        if start is None or end is None:
            missing = {name: ["Required for a random walk."] for name, v in (("start", start), ("end", end)) if v is None}
            raise ApplicationError("Give the date range to generate.", fields=missing)
        if end - start > MAX_RANDOM_SPAN:
            raise ApplicationError.field("end", "At most three years of generated bars.")
        if start_price is None:
            instrument = get_instrument(symbol) if symbol else None
            if instrument is None:
                raise ApplicationError.field("start_price", "Required unless symbol is a known instrument.")
            start_price = instrument.reference_price
        if start_price <= 0:
            raise ApplicationError.field("start_price", "Must be greater than 0.")
        params |= {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "seed": seed if seed is not None else 1,
            "start_price": str(Decimal(start_price).quantize(Decimal("0.01"))),
            "volatility": float(volatility) if volatility is not None else 0.05,
        }
    else:
        raise ApplicationError.field("source", "One of upload, sample, random.")

    with transaction.atomic():
        run = BacktestRun.objects.create(user=user, source=source, params=params, upload=upload)
        from .tasks import run_backtest

        run_id = run.pk
        transaction.on_commit(lambda: run_backtest.apply_async(args=[run_id], queue="default"))
    return run


def _load(run: BacktestRun) -> bars.Days:
    p = run.params
    start, end = dt.date.fromisoformat(p["start"]), dt.date.fromisoformat(p["end"])
    if run.source == BacktestSource.UPLOAD:
        return bars.between(bars.parse_csv(run.upload), start, end)
    if run.source == BacktestSource.SAMPLE:
        return bars.sample(p["symbol"], start, end)
    return bars.random_walk(
        start=start, end=end, seed=int(p["seed"]), start_price=bars.to_paise(p["start_price"]),
        volatility_pct=float(p["volatility"]),
    )


def backtest_compute(run: BacktestRun, *, progress: Any = None) -> dict[str, Any]:
    """Load the bars and run the rules (no database writes): the result document."""
    p = run.params
    started = time.perf_counter()
    days = _load(run)
    loaded = time.perf_counter()
    result = backtest.run(
        days,
        buy_time=dt.time.fromisoformat(p["buy_time"]),
        sell_time=dt.time.fromisoformat(p["sell_time"]),
        stop_loss=bars.to_paise(p["stop_loss"]),
        quantity=int(p["quantity"]),
        weekdays=p.get("days"),
        progress=progress,
    )
    done = time.perf_counter()
    result["bars"] = sum(len(b) for b in days.values())
    result["timing_ms"] = {"load": round((loaded - started) * 1000, 1), "backtest": round((done - loaded) * 1000, 1)}
    return result


def backtest_execute(*, run_id: int) -> str:
    """Claim a queued run (or one whose worker died: RUNNING past PLAYGROUND_STALE_SECONDS),
    run it, and store the result. Progress is written about every 5% of the days."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.PLAYGROUND_STALE_SECONDS)
    claimed = BacktestRun.objects.filter(
        Q(status=BacktestStatus.QUEUED) | Q(status=BacktestStatus.RUNNING, started_at__lt=stale), pk=run_id
    ).update(status=BacktestStatus.RUNNING, started_at=now, progress=0)
    if claimed != 1:
        return "skipped"
    run = BacktestRun.objects.get(pk=run_id)
    last = [0]

    def progress(fraction: float) -> None:
        percent = min(99, int(fraction * 100))
        if percent > last[0]:
            last[0] = percent
            BacktestRun.objects.filter(pk=run_id, status=BacktestStatus.RUNNING).update(progress=percent)

    try:
        result = backtest_compute(run, progress=progress)
    except Exception as exc:  # noqa: BLE001 - a failed run says why; the worker carries on
        log.exception("backtest failed", extra={"run": run_id})
        BacktestRun.objects.filter(pk=run_id, status=BacktestStatus.RUNNING).update(
            status=BacktestStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:500], finished_at=timezone.now()
        )
        return "failed"
    BacktestRun.objects.filter(pk=run_id, status=BacktestStatus.RUNNING).update(
        status=BacktestStatus.DONE, progress=100, result=result, finished_at=timezone.now()
    )
    return "done"
