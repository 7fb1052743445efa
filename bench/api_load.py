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

    python bench/api_load.py [--rate 200] [--seconds 20] [--traders 20] [--web-workers 2] [--client raw|httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
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


class _Connection:
    """One keep-alive HTTP/1.1 connection to the web process, one request at a time.

    The client shares the machine's two cores with the server: httpx costs several ms of CPU a
    request there (at 200/s, about as much CPU as the web process itself), this about 0.2 ms,
    so the figures are the server's, not the client's (--client httpx to compare)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await self.writer.drain()
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip().lower() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in fields:
            await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding") == "chunked":
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")
        if fields.get("connection") == "close":
            self.close()
        return status


async def _load(base: str, traders: list[dict[str, Any]], rate: float, seconds: float,
                concurrency: int, client: str) -> dict[str, Any]:
    """A producer puts each request in a queue at its scheduled moment; `concurrency` senders
    take them in turn. Latency counts from the scheduled moment, so time spent waiting for a
    free sender (the server being slow) is in the figures (no coordinated omission)."""
    import httpx

    host, port = base.removeprefix("http://").split(":")
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        for t in traders:  # one login per trader; the access token is reused for the whole run
            r = await http.post("/api/auth/login", json={"email": t["email"], "password": PASSWORD})
            r.raise_for_status()
            t["auth"] = {"Authorization": f"Bearer {r.json()['access']}"}
        latencies: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        reasons: Counter[str] = Counter()
        rng = random.Random(7)
        queue: asyncio.Queue[tuple[str, float, dict[str, Any]] | None] = asyncio.Queue()

        def request(kind: str, trader: dict[str, Any]) -> tuple[str, str, bytes]:
            sid = rng.choice(trader["strategies"])
            if kind == "status":
                return "GET", f"/api/strategy/status/{sid}", b""
            if kind == "list":
                return "GET", "/api/strategy/list", b""
            body = {"name": f"edited {rng.randrange(10**6)}", "stop_loss": "1546.50"}
            return "PATCH", f"/api/strategy/{sid}", json.dumps(body).encode()

        async def sender() -> None:
            conn = _Connection(host, int(port))
            while True:
                item = await queue.get()
                if item is None:
                    conn.close()
                    return
                kind, scheduled, trader = item
                method, path, body = request(kind, trader)
                headers = {**trader["auth"], "Content-Type": "application/json"} if body else trader["auth"]
                try:
                    if client == "httpx":
                        status = (await http.request(method, path, headers=headers, content=body or None)).status_code
                    else:
                        status = await asyncio.wait_for(conn.request(method, path, headers, body), 30)
                    reason = f"HTTP {status}" if status >= 400 else ""
                except (TimeoutError, OSError, ValueError, httpx.HTTPError, asyncio.IncompleteReadError,
                        asyncio.LimitOverrunError) as exc:
                    conn.close()
                    reason = type(exc).__name__
                latencies[kind].append((time.perf_counter() - scheduled) * 1000)
                if reason:
                    errors[kind] += 1
                    reasons[f"{kind} {reason}"] += 1

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
        return {"latencies": latencies, "errors": dict(errors), "reasons": dict(reasons), "sent_in": sent_in}


def _cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (Linux /proc)."""
    total = 0.0
    for pid in pids:
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--traders", type=int, default=20)
    parser.add_argument("--strategies-per-trader", type=int, default=10)
    parser.add_argument("--web-workers", type=int, default=2, help="uvicorn --workers (the Procfile's WEB_WORKERS default)")
    parser.add_argument("--web-threads", type=int, default=0,
                        help="WEB_THREADS of the web process (REST thread pool per worker; 0: its default)")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw",
                        help="raw: a minimal keep-alive HTTP/1.1 client (~0.2 ms CPU a request); httpx: several ms")
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
    end = now_ist() + dt.timedelta(seconds=40 + args.seconds)
    if end.date() != now_ist().date():  # the strategies trade on today's IST date
        raise SystemExit(f"the run would cross midnight IST; start it after 00:00 IST (in {86400 - now_ist().hour * 3600 - now_ist().minute * 60 - now_ist().second} s)")
    with Stack() as stack:
        if args.web_workers > 1:
            stack.specs["web"].argv += ["--workers", str(args.web_workers)]
        if args.web_threads:
            stack.set_env("web", WEB_THREADS=str(args.web_threads))
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
        web_pids = stack.pids("web")
        web_cpu, own_cpu = _cpu_seconds(web_pids), time.process_time()
        started = time.monotonic()
        result = asyncio.run(_load(stack.url, traders, args.rate, args.seconds, args.concurrency, args.client))
        _say("load done")
        elapsed = time.monotonic() - started
        web_cpu, own_cpu = _cpu_seconds(web_pids) - web_cpu, time.process_time() - own_cpu
        time.sleep(2)
        from django.db.models import Count

        intents = dict(OrderIntent.objects.values_list("status").annotate(n=Count("id")))
        legs = dict(OrderIntent.objects.values_list("reason").annotate(n=Count("id")))
        import redis

        feed = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True).hgetall("metrics:feed")
        sl = percentiles("stoploss_latency_ms")
        lateness = percentiles("schedule_lateness_ms")

    lat = result["latencies"]
    kinds = sorted(lat)
    every = [v for k in kinds for v in lat[k]]
    sent, errors = len(every), sum(result["errors"].values())
    print(f"API load: {sent} requests in {result['sent_in']:.1f} s (target {args.rate:.0f}/s for {args.seconds:.0f} s, "
          f"offered {sent / result['sent_in']:.0f}/s, completed {sent / elapsed:.0f}/s), {args.traders} traders, "
          f"web workers {args.web_workers}, client {args.client}, concurrency {args.concurrency}; "
          f"errors {errors}; finished in {elapsed:.1f} s")
    if result["reasons"]:
        print("  errors: " + ", ".join(f"{k} x{n}" for k, n in sorted(result["reasons"].items())))
    print(f"  CPU per request: web process {web_cpu / sent * 1000:.2f} ms ({web_cpu / elapsed * 100:.0f}% of a core), "
          f"load client {own_cpu / sent * 1000:.2f} ms")
    for kind in [*kinds, "all"]:
        values = every if kind == "all" else lat[kind]
        print(f"  {kind:7s} n={len(values):5d}  p50={percentile(values, 50):7.1f} ms  p90={percentile(values, 90):7.1f} ms"
              f"  p99={percentile(values, 99):7.1f} ms  max={max(values):7.1f} ms  errors {result['errors'].get(kind, 0)}")
    print(f"  meanwhile: {OrderIntent.objects.count() - intents_before} order intents {intents} by reason {legs}; "
          f"feed {feed.get('ticks_per_second', '?')} ticks/s; schedule lateness p50/p99 "
          f"{lateness.get('p50')}/{lateness.get('p99')} ms; stop-loss tick->send p50/p99 {sl.get('p50')}/{sl.get('p99')} ms")


if __name__ == "__main__":
    main()
