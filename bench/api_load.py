"""API under concurrent traders while ticks and orders flow.

Real processes through tests.stack: uvicorn (web), the orders, stop-loss and default workers,
beat with the strategy scheduler, the tick listener and the feed (market simulator). N traders
each hold strategies whose buys and sells fall inside the measured window (and stop-losses
near the market, so the feed triggers exits), while an open-loop client sends a fixed rate of
requests: status polling (most), strategy lists, and strategy edits (name and stop-loss, which
the listener's stop index follows).

Open loop: requests are started on schedule whether or not earlier ones have answered, so a
slow server shows up as latency, not as a lower request rate. Latency is measured from the
scheduled start. Client, server and databases share this machine (2 cores): the figures are a
floor for a real deployment, not a ceiling.

    python bench/api_load.py [--rate 200] [--seconds 20] [--traders 20] [--web-workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import time
from collections import defaultdict
from typing import Any

from common import ROOT, percentile, reset_state, setup_django  # noqa: F401 - ROOT puts the repo on sys.path

PASSWORD = "Sturdy-Passw0rd-42"


def _traders(n: int, per_trader: int, window_start: dt.datetime, seconds: int) -> list[dict[str, Any]]:
    """Traders with a paper account and strategies whose buy (and sell, 6 s later) fall in the
    window; every other one has its stop-loss just under the market."""
    from apps.accounts.models import User
    from apps.broker_accounts.services import broker_account_connect
    from tests.fault.harness import staggered_strategies

    users = [User.objects.create_user(email=f"load{k}@example.test", password=PASSWORD) for k in range(n)]
    accounts = [broker_account_connect(user=u, broker="paper", credentials={}) for u in users]
    ids = staggered_strategies(accounts, n * per_trader, first=window_start, spread_seconds=max(seconds - 8, 1),
                               symbol="INFY", sell_time=dt.time(23, 59, 58))
    from decimal import Decimal

    from apps.strategies.models import Strategy

    strategies = list(Strategy.objects.filter(pk__in=ids).order_by("id"))
    for k, s in enumerate(strategies):
        s.sell_time = (dt.datetime.combine(window_start.date(), s.buy_time) + dt.timedelta(seconds=6)).time()
        if k % 2:
            s.stop_loss = Decimal("1547.00")  # INFY's reference price is 1548.70
    Strategy.objects.bulk_update(strategies, ["sell_time", "stop_loss"])
    from apps.strategies.schedules import schedules_sync

    for s in strategies:
        schedules_sync(s)
    from django.utils import timezone

    from apps.strategies.calendar import trading_day_of
    from apps.strategies.runtime import runtime_rebuild

    runtime_rebuild(today=trading_day_of(timezone.now()))
    by_user: dict[int, list[int]] = defaultdict(list)
    for s in strategies:
        by_user[s.user_id].append(s.pk)
    return [{"email": u.email, "strategies": by_user[u.pk]} for u in users]


async def _load(base: str, traders: list[dict[str, Any]], rate: float, seconds: float,
                concurrency: int) -> dict[str, list[float]]:
    """A producer puts each request in a queue at its scheduled moment; `concurrency` senders
    take them in turn. Latency counts from the scheduled moment, so time spent waiting for a
    free sender (the server being slow) is in the figures (no coordinated omission)."""
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        for t in traders:
            r = await http.post("/api/auth/login", json={"email": t["email"], "password": PASSWORD})
            r.raise_for_status()
            t["auth"] = {"Authorization": f"Bearer {r.json()['access']}"}
        latencies: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        rng = random.Random(7)
        queue: asyncio.Queue[tuple[str, float, dict[str, Any]] | None] = asyncio.Queue()

        async def sender() -> None:
            while True:
                item = await queue.get()
                if item is None:
                    return
                kind, scheduled, trader = item
                sid = rng.choice(trader["strategies"])
                try:
                    if kind == "status":
                        r = await http.get(f"/api/strategy/status/{sid}", headers=trader["auth"])
                    elif kind == "list":
                        r = await http.get("/api/strategy/list", headers=trader["auth"])
                    else:
                        r = await http.patch(f"/api/strategy/{sid}", headers=trader["auth"],
                                             json={"name": f"edited {rng.randrange(10**6)}", "stop_loss": "1546.50"})
                    ok = r.status_code < 400
                except httpx.HTTPError:
                    ok = False
                latencies[kind].append((time.perf_counter() - scheduled) * 1000)
                if not ok:
                    errors[kind] += 1

        senders = [asyncio.create_task(sender()) for _ in range(concurrency)]
        start = time.perf_counter()
        total = int(rate * seconds)
        for n in range(total):
            scheduled = start + n / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            roll = rng.random()
            kind = "status" if roll < 0.8 else "list" if roll < 0.9 else "edit"
            queue.put_nowait((kind, scheduled, rng.choice(traders)))
        sent_in = time.perf_counter() - start
        for _ in senders:
            queue.put_nowait(None)
        await asyncio.gather(*senders)
        latencies["_errors"] = [float(sum(errors.values()))]
        latencies["_sent_in"] = [sent_in]
        for kind, count in errors.items():
            latencies[f"_errors_{kind}"] = [float(count)]
        return latencies


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--traders", type=int, default=20)
    parser.add_argument("--strategies-per-trader", type=int, default=10)
    parser.add_argument("--web-workers", type=int, default=1, help="uvicorn --workers")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight at most (client side)")
    parser.add_argument("--api-only", action="store_true",
                        help="start only the web process (no workers, beat, listener or feed): the API's own capacity")
    args = parser.parse_args()
    setup_django()
    reset_state()

    from django.conf import settings

    from apps.monitoring.metrics import percentiles
    from apps.orders.models import OrderIntent
    from apps.strategies.calendar import now_ist
    from brokers.paper import clear_faults
    from tests.stack import Stack

    clear_faults(settings.REDIS_URL, None)
    with Stack() as stack:
        if args.web_workers > 1:
            stack.specs["web"].argv += ["--workers", str(args.web_workers)]
        names = ["web"] if args.api_only else ["web", "listener", "worker-orders", "worker-stoploss", "worker-default", "beat"]
        _say(f"starting {', '.join(names)}")
        stack.start(*names)
        if not args.api_only:
            stack.add_process("feed", ["python", "manage.py", "run_feed"], lambda s, name: s.is_running(name),
                              env={"LISTENER_HOST": "127.0.0.1", "LISTENER_PORT": str(stack.port("listener"))})
        window = (now_ist() + dt.timedelta(seconds=30)).replace(microsecond=0)
        traders = _traders(args.traders, args.strategies_per_trader, window, int(args.seconds))
        if not args.api_only:
            stack.start("feed")
        _say(f"{len(traders)} traders ready; load starts at {window.time()}")
        wait = (window - now_ist()).total_seconds()
        if wait > 0:
            time.sleep(wait)
        intents_before = OrderIntent.objects.count()
        started = time.monotonic()
        lat = asyncio.run(_load(stack.url, traders, args.rate, args.seconds, args.concurrency))
        _say("load done")
        elapsed = time.monotonic() - started
        time.sleep(2)
        from django.db.models import Count

        intents = dict(OrderIntent.objects.values_list("status").annotate(n=Count("id")))
        legs = dict(OrderIntent.objects.values_list("reason").annotate(n=Count("id")))
        import redis

        feed = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True).hgetall("metrics:feed")
        sl = percentiles("stoploss_latency_ms")
        lateness = percentiles("schedule_lateness_ms")

    kinds = [k for k in lat if not k.startswith("_")]
    every = [v for k in kinds for v in lat[k]]
    sent = len(every)
    print(f"API load: {sent} requests in {lat['_sent_in'][0]:.1f} s (target {args.rate:.0f}/s for {args.seconds:.0f} s, "
          f"offered {sent / lat['_sent_in'][0]:.0f}/s, completed {sent / elapsed:.0f}/s), {args.traders} traders, "
          f"web workers {args.web_workers}, client concurrency {args.concurrency}; "
          f"errors {int(lat['_errors'][0])}; finished in {elapsed:.1f} s")
    for kind in [*sorted(kinds), "all"]:
        values = every if kind == "all" else lat[kind]
        print(f"  {kind:7s} n={len(values):5d}  p50={percentile(values, 50):7.1f} ms  p90={percentile(values, 90):7.1f} ms"
              f"  p99={percentile(values, 99):7.1f} ms  max={max(values):7.1f} ms")
    print(f"  meanwhile: {OrderIntent.objects.count() - intents_before} order intents {intents} by reason {legs}; "
          f"feed {feed.get('ticks_per_second', '?')} ticks/s; schedule lateness p50/p99 "
          f"{lateness.get('p50')}/{lateness.get('p99')} ms; stop-loss tick->send p50/p99 {sl.get('p50')}/{sl.get('p99')} ms")


if __name__ == "__main__":
    main()
