"""`python manage.py run_kite_feed`: the feed process on Zerodha's live ticks (KiteTicker).

The same feed as `run_feed` (subscriptions follow running strategies, frames to the listener,
reconnect with backoff), with the KiteTicker bridge as its source instead of the simulator.
The Kite session is the stored Zerodha account's (KITE_FEED_ACCOUNT_ID, else the most recently
logged-in active one), re-read every KITE_FEED_REFRESH_SECONDS, so the daily login needs no
restart. API and WebSocket roots: BROKER_OPTIONS["zerodha"] (KITE_API_ROOT, KITE_WS_ROOT).
"""

from __future__ import annotations

import asyncio
import os
import signal
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.marketdata.feed import FeedOptions, FeedStats, listener_url, run_feed
from apps.marketdata.kite_feed import KiteTickerSource, build_kite_source

_TRUTHY = {"1", "true", "yes", "on"}


class Command(BaseCommand):
    help = "Push Zerodha KiteTicker ticks to the tick listener (symbols of running strategies only)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--mode", choices=("ltp", "quote", "full"), default="ltp", help="KiteTicker mode")
        parser.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds")
        parser.add_argument("--batch-ms", type=float, default=20.0, help="milliseconds between frames (default 20)")
        parser.add_argument(
            "--all-symbols",
            action="store_true",
            default=os.environ.get("FEED_ALL_SYMBOLS", "").strip().lower() in _TRUTHY,
            help="subscribe to the whole instrument master (capped at Kite's 3000 per connection)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_ms"] <= 0:
            raise CommandError("--batch-ms must be positive")
        if not settings.FEED_TOKEN:
            self.stderr.write("warning: FEED_TOKEN is empty; the listener will refuse the feed")
        source = build_kite_source(mode=options["mode"])
        feed_options = FeedOptions(
            url=listener_url(settings.LISTENER_HOST, settings.LISTENER_PORT, settings.FEED_TOKEN),
            redis_url=settings.REDIS_URL,
            batch_interval=options["batch_ms"] / 1000,
            all_symbols=options["all_symbols"],
            duration=options["duration"],
        )
        try:
            stats = asyncio.run(_run_until_signalled(source, feed_options))
        finally:
            source.close()  # stops the bridge child
        self.stdout.write(
            f"feed stopped: {stats.ticks_sent} ticks in {stats.batches_sent} frames, {stats.reconnects} reconnects"
        )


async def _run_until_signalled(source: KiteTickerSource, options: FeedOptions) -> FeedStats:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        return await run_feed(source, options, stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
