"""Helpers of the fault suite: fleets of strategies, a private Redis server, the tally of what
reached the paper broker, and the result table.

Every scenario ends with the same two numbers, counted at the broker, not in our database:
- lost: a strategy whose order never reached a final, matching state (no FILLED intent, or
  the intent says FILLED while the broker holds no order with its tag);
- placed twice: a tag the paper broker holds more than once (`paper_tag_counts`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from base64 import b64decode
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

# Short leases so a crashed claim is taken over within seconds (production: 30 s).
FAST_RECOVERY = {
    "ORDER_CLAIM_LEASE_SECONDS": "3",
    "ORDER_SEND_TIMEOUT_SECONDS": "1",
    "ORDER_REQUEUE_AFTER_SECONDS": "2",
    "ORDER_UNKNOWN_RECHECK_SECONDS": "1",
    "SWEEP_INTERVAL_SECONDS": "1",
    "CELERY_VISIBILITY_TIMEOUT": "30",
}

FULL = os.environ.get("FAULT_SCALE", "fast") == "full"


def scale(fast: int, full: int) -> int:
    """The fast size runs in `make test`; `make faults` (FAULT_SCALE=full) runs the full one."""
    return full if FULL else fast


@dataclasses.dataclass
class FaultResult:
    scenario: str
    orders: int
    lost: int
    placed_twice: int
    recovery_s: float
    note: str = ""


RESULTS: list[FaultResult] = []


def record(result: FaultResult) -> FaultResult:
    RESULTS.append(result)
    print(f"\nFAULT {result.scenario}: orders={result.orders} lost={result.lost} placed_twice={result.placed_twice} "
          f"recovered_in={result.recovery_s:.1f}s {result.note}", flush=True)
    return result


def table(results: Iterable[FaultResult]) -> str:
    rows = [("scenario", "orders", "lost", "placed twice", "time to recover", "note")]
    rows += [(r.scenario, str(r.orders), str(r.lost), str(r.placed_twice), f"{r.recovery_s:.1f} s", r.note)
             for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1])
        if n == 0:
            lines.append("-" * (sum(widths) + 2 * len(widths) + 20))
    return "\n".join(lines)


# --- fleets of strategies ------------------------------------------------------------------------


def paper_accounts(n: int) -> list[Any]:
    from apps.accounts.models import User
    from apps.broker_accounts.services import broker_account_connect

    stamp = time.time_ns()
    users = User.objects.bulk_create(
        [User(email=f"fault{stamp}-{k}@example.test", password="!", role="user") for k in range(n)]
    )
    return [broker_account_connect(user=u, broker="paper", credentials={}) for u in users]


def staggered_strategies(
    accounts: list[Any], count: int, *, first: dt.datetime, spread_seconds: int, symbol: str = "INFY",
    sell_time: dt.time = dt.time(23, 59, 59),
) -> list[int]:
    """`count` RUNNING strategies (the rows strategy_create + strategy_start write: strategy,
    both PeriodicTasks, Redis runtime) whose buy times are spread evenly over
    `spread_seconds` seconds from `first` (IST). Bulk statements: thousands in a second."""
    from apps.strategies.calendar import IST
    from tests.e2e_helpers import bulk_running_strategies

    first = first.astimezone(IST).replace(microsecond=0)
    times = [(first + dt.timedelta(seconds=(n * max(spread_seconds, 1)) // count if spread_seconds else 0)).time()
             for n in range(count)]
    return bulk_running_strategies(accounts, count, buy_times=times, sell_time=sell_time, symbol=symbol, name="fault")


def skip_unless_time_left(seconds: int) -> None:
    """Strategies fire on today's IST date: skip when the run would cross midnight."""
    import pytest

    from apps.strategies.calendar import now_ist

    now = now_ist()
    if (now + dt.timedelta(seconds=seconds)).date() != now.date() or now.time() < dt.time(0, 15):
        pytest.skip("the scenario would cross midnight IST")


# --- counting ----------------------------------------------------------------------------------


@dataclasses.dataclass
class Tally:
    expected: int
    final: int
    lost: list[int]
    twice: dict[str, int]
    at_broker: int

    @property
    def done(self) -> bool:
        return self.final == self.expected


def tally(redis_url: str, strategy_ids: list[int], *, leg: str = "ENTRY") -> Tally:
    from apps.orders.models import FINAL_STATUSES, IntentStatus, OrderIntent
    from brokers.paper import paper_tag_counts

    intents = {i.strategy_id: i for i in OrderIntent.objects.filter(strategy_id__in=strategy_ids, leg=leg)}
    counts = paper_tag_counts(redis_url)
    final = sum(1 for i in intents.values() if i.status in FINAL_STATUSES)
    lost = [sid for sid in strategy_ids
            if sid not in intents or intents[sid].status != IntentStatus.FILLED or counts.get(intents[sid].tag, 0) < 1]
    tags = {i.tag for i in intents.values()}
    twice = {tag: n for tag, n in counts.items() if tag in tags and n > 1}
    return Tally(len(strategy_ids), final, lost, twice, sum(counts.get(t, 0) for t in tags))


def wait_all_final(
    redis_url: str, strategy_ids: list[int], *, timeout: float, leg: str = "ENTRY", on_poll: Any = None
) -> Tally:
    import redis

    deadline = time.monotonic() + timeout
    while True:
        if on_poll is not None:
            on_poll()
        try:
            t = tally(redis_url, strategy_ids, leg=leg)
        except redis.RedisError:  # our pooled connection to a restarted Redis fails once
            time.sleep(0.25)
            continue
        if t.done or time.monotonic() > deadline:
            return t
        time.sleep(0.25)


def in_flight() -> int:
    from apps.orders.models import IntentStatus, OrderIntent

    return OrderIntent.objects.filter(status=IntentStatus.SUBMITTING).count()


# --- queues ------------------------------------------------------------------------------------


def queued_legs(redis_url: str, queue: str = "orders") -> int:
    """Strategy legs waiting in a Celery queue (orders.fire_legs carries a list of ids)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        legs = 0
        for raw in client.lrange(queue, 0, -1):
            message = json.loads(raw)
            args = json.loads(b64decode(message["body"]))[0]
            task = message.get("headers", {}).get("task", "")
            legs += len(args[1]) if task == "orders.fire_legs" else len(args[0]) if task == "orders.execute_intents" else 1
        return legs
    finally:
        client.close()


# --- a private Redis server ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A redis-server of the test's own (free port, its own directory, AOF fsynced on every
    write), so it can be killed and restarted without touching the machine's Redis."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed")
        log = open(self.dir / "redis.log", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--appendonly", "yes", "--appendfsync", "always",
             "--dir", str(self.dir), "--save", "", "--maxmemory-policy", "noeviction", "--protected-mode", "yes"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        self._wait_ping(timeout)

    def _wait_ping(self, timeout: float) -> None:
        import redis

        deadline = time.monotonic() + timeout
        while True:
            try:
                client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
                # Loading the AOF answers LOADING errors until done: wait for a real PONG.
                if client.ping():
                    client.close()
                    return
            except redis.RedisError:
                pass
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {(self.dir / 'redis.log').read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not answer PING")
            time.sleep(0.05)

    def kill(self) -> None:
        """kill -9: no shutdown, no final save; only what the AOF already holds survives."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.kill()
        self.start()
        self.restarts += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
            if self.proc.poll() is None:
                self.kill()


@contextlib.contextmanager
def private_redis(directory: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- the paper broker's side of the world, changed while our stack is down -----------------------


def paper_fill_open(redis_url: str, account_ref: str, broker_order_id: str, price: Decimal) -> None:
    """The exchange fills an OPEN paper order at `price` (order JSON and position totals)."""
    from brokers.paper.store import account_prefix, get_client, position_field

    client = get_client(redis_url)
    key = account_prefix(account_ref) + "orders"
    order = json.loads(client.hget(key, broker_order_id))
    assert order["status"] == "OPEN", order
    order.update(status="FILLED", filled_quantity=order["quantity"], average_price=str(price), message="")
    leg = "b" if order["side"] == "BUY" else "s"
    pipe = client.pipeline()
    pipe.hset(key, broker_order_id, json.dumps(order, separators=(",", ":")))
    pipe.hincrby(account_prefix(account_ref) + "positions", position_field(order["exchange"], order["symbol"], leg + "q"),
                 order["quantity"])
    pipe.hincrby(account_prefix(account_ref) + "positions", position_field(order["exchange"], order["symbol"], leg + "v"),
                 order["quantity"] * int(price * 100))
    pipe.execute()


class Supervisor:
    """What systemd's Restart=always or compose's `restart: unless-stopped` does: start again
    any of `names` that exited. Counts the restarts."""

    def __init__(self, stack: Any, names: Iterable[str]) -> None:
        self.stack = stack
        self.names = list(names)
        self.restarts: dict[str, int] = {}

    def __call__(self) -> None:
        for name in self.names:
            if not self.stack.is_running(name):
                self.restarts[name] = self.restarts.get(name, 0) + 1
                self.stack.start(name)

    def describe(self) -> str:
        if not self.restarts:
            return "no process exited"
        return "exited and restarted by the supervisor: " + ", ".join(f"{k} x{v}" for k, v in self.restarts.items())
