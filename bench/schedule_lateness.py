"""Schedule lateness: from a leg's due second to the order accepted by the paper broker.

1. One strategy at a time (N samples, each due in its own second): goal p99 <= 20 ms.
2. The market-open herd: 1,000 strategies of 100 traders due in the same second, paper broker
   latency 200 ms: goal all 1,000 accepted within 1.0 s of the due second.

Real processes (Celery orders worker, beat with the strategy scheduler), real PostgreSQL and
Redis. Run: `make bench` or `python bench/schedule_lateness.py [--samples 20] [--herd 1000]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from common import ROOT, reset_state, setup_django, summary  # noqa: F401 - ROOT puts the repo on sys.path


def _accounts(n_traders: int) -> list:
    from apps.accounts.models import User
    from apps.broker_accounts.services import broker_account_connect

    users = User.objects.bulk_create(
        [User(email=f"bench{n}@example.test", password="!", role="user") for n in range(n_traders)]
    )
    return [broker_account_connect(user=u, broker="paper", credentials={}) for u in users]


def _lateness_ms(accounts: list, due_by_strategy: dict[int, dt.datetime]) -> list[float]:
    from django.conf import settings

    from apps.orders.models import OrderIntent
    from brokers.paper import paper_orders

    placed: dict[str, dt.datetime] = {}
    for account in accounts:
        for order in paper_orders(settings.REDIS_URL, str(account.pk)):
            placed[order["tag"]] = dt.datetime.fromisoformat(order["placed_at"])
    out = []
    for intent in OrderIntent.objects.filter(strategy_id__in=due_by_strategy, leg="ENTRY"):
        if intent.tag in placed:
            out.append((placed[intent.tag] - due_by_strategy[intent.strategy_id]).total_seconds() * 1000)
    return out


def _wait_orders(expected: int, timeout: float) -> int:
    from apps.orders.models import OrderIntent

    deadline = time.monotonic() + timeout
    done = 0
    while time.monotonic() < deadline:
        done = OrderIntent.objects.filter(status__in=["FILLED", "REJECTED", "FAILED"]).count()
        if done >= expected:
            break
        time.sleep(0.2)
    return done


def bench_single(samples: int) -> None:
    from apps.strategies.calendar import now_ist
    from brokers.paper import clear_faults
    from tests.e2e_helpers import bulk_running_strategies
    from tests.stack import Stack

    reset_state()
    from django.conf import settings

    clear_faults(settings.REDIS_URL, None)
    accounts = _accounts(1)
    with Stack() as stack:
        stack.start("worker-orders", "beat")
        first = (now_ist() + dt.timedelta(seconds=3)).replace(microsecond=0)
        due: dict[int, dt.datetime] = {}
        for n in range(samples):
            at = first + dt.timedelta(seconds=n)
            (sid,) = bulk_running_strategies(accounts, 1, buy_time=at.time(), sell_time=dt.time(23, 59, 59))
            due[sid] = at
        _wait_orders(samples, timeout=samples + 20)
    print(summary("single strategy, due second -> accepted at paper broker", _lateness_ms(accounts, due)))


def bench_herd(count: int, traders: int, latency_ms: int) -> None:
    from django.conf import settings

    from apps.strategies.calendar import now_ist
    from brokers.paper import clear_faults, set_faults
    from tests.e2e_helpers import bulk_running_strategies
    from tests.stack import Stack

    reset_state()
    accounts = _accounts(traders)
    set_faults(settings.REDIS_URL, None, latency_ms=latency_ms)
    try:
        with Stack() as stack:
            stack.start("worker-orders", "beat")
            at = (now_ist() + dt.timedelta(seconds=6)).replace(microsecond=0)
            ids = bulk_running_strategies(accounts, count, buy_time=at.time(), sell_time=dt.time(23, 59, 59))
            setup_left = (at - now_ist()).total_seconds()
            done = _wait_orders(count, timeout=60)
        late = _lateness_ms(accounts, dict.fromkeys(ids, at))
    finally:
        clear_faults(settings.REDIS_URL, None)
    within = sum(1 for v in late if v <= 1000)
    print(
        f"herd: {count} strategies of {traders} traders due {at.time()}, paper latency {latency_ms} ms "
        f"(set-up finished {setup_left:.1f} s early): {done} final, {within}/{count} accepted within 1.0 s"
    )
    print(summary("herd, due second -> accepted at paper broker", late))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--herd", type=int, default=1000)
    parser.add_argument("--traders", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=200)
    args = parser.parse_args()
    setup_django()
    bench_single(args.samples)
    bench_herd(args.herd, args.traders, args.latency_ms)


if __name__ == "__main__":
    main()
