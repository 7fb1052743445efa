"""Market data and stop-loss benchmarks (real processes, real PostgreSQL and Redis).

1. Throughput: simulator -> feed -> listener, 10,000 positions in the stop-loss index over 500
   symbols; sustained ticks/s the listener applied (goal >= 50,000, never below 20,000).
2. Stop-loss latency: a tick at the stop -> the exit order accepted by the paper broker,
   p50/p99, while the orders queue holds a backlog of 5,000 tasks (goal p99 <= 10 ms).

Run: `python bench/market_data.py [--rate 50000] [--seconds 10] [--stops 50]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time

from common import ROOT, reset_state, setup_django, summary


def bench_throughput(rate: int, seconds: float, positions: int, symbols: int) -> None:

    from apps.core.redis import get_redis
    from brokers.paper.simulator import nifty50_prices, synthetic_universe
    from tests.stack import Stack

    reset_state()
    universe = {**{s: float(p) for s, p in nifty50_prices().items()},
                **{s: float(p) for s, p in synthetic_universe(symbols - 50).items()}}
    names = sorted(universe)
    r = get_redis()
    pipe = r.pipeline(transaction=False)
    for n in range(positions):
        symbol = names[n % len(names)]
        # Stops far below the market: every tick is checked, none fires.
        pipe.zadd(f"sl:{symbol}", {str(100_000 + n): universe[symbol] * 0.01})
    pipe.execute()
    with Stack() as stack:
        stack.start("listener")
        port = stack.port("listener")
        env = {**stack.env, "LISTENER_PORT": str(port), "LISTENER_HOST": "127.0.0.1"}
        feed = subprocess.Popen(
            [str(ROOT / ".venv/bin/python"), "manage.py", "run_feed", "--rate", str(rate), "--symbols-extra",
             str(symbols - 50), "--all-symbols", "--duration", str(seconds + 2), "--seed", "7"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(2.0)  # connect and warm up
        samples = []
        start = None
        for _ in range(int(seconds)):
            m = r.hgetall("metrics:listener")
            now = time.monotonic()
            if start is None:
                start = (now, int(m.get("ticks", 0)))
            samples.append((now, int(m.get("ticks", 0))))
            time.sleep(1.0)
        feed.wait(timeout=30)
        index = json.loads(__import__("urllib.request").request.urlopen(f"http://127.0.0.1:{port}/healthz").read())
    per_second = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(samples, samples[1:], strict=False)]
    total = (samples[-1][1] - samples[0][1]) / (samples[-1][0] - samples[0][0])
    print(
        f"throughput: feed at {rate} ticks/s over {symbols} symbols, {index['index_size']} positions indexed: "
        f"listener applied {total:,.0f} ticks/s sustained, lowest 1-s window {min(per_second):,.0f}, "
        f"highest {max(per_second):,.0f}"
    )


def bench_stop_loss_each(stops: int, backlog: int) -> None:
    """One position at a time: each tick stops out exactly one strategy, measured alone."""
    from django.conf import settings
    from django.utils import timezone
    from schedule_lateness import _accounts
    from websockets.sync.client import connect

    from apps.core.redis import get_redis
    from apps.orders import engine
    from apps.orders.models import OrderIntent
    from apps.orders.tasks import execute_intents
    from brokers.paper import paper_orders
    from tests.e2e_helpers import bulk_running_strategies, wait_for
    from tests.stack import Stack

    reset_state()
    accounts = _accounts(stops)
    r = get_redis()
    r.set("price:TCS", "3500.00")
    ids = bulk_running_strategies(accounts, stops, buy_time=dt.time(9, 20), sell_time=dt.time(23, 59, 59),
                                  symbol="TCS", stop_loss="3400")
    engine.legs_fire(leg="ENTRY", strategy_ids=ids, due_at=timezone.now())
    # Give each position its own stop level so one tick stops out exactly one of them.
    pipe = r.pipeline(transaction=False)
    for n, sid in enumerate(ids):
        pipe.zadd("sl:TCS", {str(sid): 3400.0 - n})
    pipe.execute()
    with Stack() as stack:
        stack.start("worker-stoploss", "listener")
        with execute_intents.app.producer_or_acquire() as producer:
            for _ in range(backlog):
                execute_intents.apply_async(args=[[]], queue="orders", producer=producer)
        depth = r.llen("orders")
        url = f"ws://127.0.0.1:{stack.port('listener')}/ticks?token={settings.FEED_TOKEN}"
        sent: dict[int, float] = {}
        with connect(url) as ws:
            for n, sid in enumerate(ids):
                t = time.time()
                ws.send(json.dumps({"t": t, "ticks": [["TCS", f"{3400 - n:.2f}"]]}))
                sent[sid] = t
                time.sleep(0.1)
        wait_for(lambda: OrderIntent.objects.filter(leg="EXIT").count() >= stops, timeout=30, what="exits")
        time.sleep(0.5)
    tags = {i.tag: i.strategy_id for i in OrderIntent.objects.filter(leg="EXIT")}
    lat = []
    for account in accounts:
        for order in paper_orders(settings.REDIS_URL, str(account.pk)):
            if order["side"] == "SELL" and order["tag"] in tags:
                placed = dt.datetime.fromisoformat(order["placed_at"]).timestamp()
                lat.append((placed - sent[tags[order["tag"]]]) * 1000)
    print(f"stop-loss with an orders backlog of {depth} tasks ({stops} stops, one at a time):")
    print(summary("tick -> stop-loss exit accepted at paper broker", lat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--positions", type=int, default=10_000)
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--stops", type=int, default=50)
    parser.add_argument("--backlog", type=int, default=5_000)
    args = parser.parse_args()
    setup_django()
    sys.path.insert(0, str(ROOT / "bench"))
    bench_throughput(args.rate, args.seconds, args.positions, args.symbols)
    bench_stop_loss_each(args.stops, args.backlog)


if __name__ == "__main__":
    main()
