"""What `run_feed` and `run_kite_feed` share: the feed's own options, and running it until
SIGINT/SIGTERM with the listener's address and token from settings."""

from __future__ import annotations

import asyncio
import os
import signal
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, OutputWrapper

from apps.marketdata.feed import FeedOptions, FeedStats, TickSource, listener_url, run_feed

_TRUTHY = {"1", "true", "yes", "on"}


def add_feed_arguments(parser: ArgumentParser, *, all_symbols_help: str) -> None:
    parser.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds")
    parser.add_argument("--batch-ms", type=float, default=20.0, help="milliseconds between frames (default 20)")
    parser.add_argument(
        "--all-symbols",
        action="store_true",
        default=os.environ.get("FEED_ALL_SYMBOLS", "").strip().lower() in _TRUTHY,
        help=f"{all_symbols_help} (env FEED_ALL_SYMBOLS=1)",
    )


def check_feed_options(options: dict[str, Any], stderr: OutputWrapper) -> None:
    if options["batch_ms"] <= 0:
        raise CommandError("--batch-ms must be positive")
    if not settings.FEED_TOKEN:
        stderr.write("warning: FEED_TOKEN is empty; the listener will refuse the feed")


def run_feed_until_signalled(source: TickSource, options: dict[str, Any], stdout: OutputWrapper) -> FeedStats:
    feed_options = FeedOptions(
        url=listener_url(settings.LISTENER_HOST, settings.LISTENER_PORT, settings.FEED_TOKEN),
        redis_url=settings.REDIS_URL,
        batch_interval=options["batch_ms"] / 1000,
        all_symbols=options["all_symbols"],
        duration=options["duration"],
    )
    stats = asyncio.run(_until_signalled(source, feed_options))
    stdout.write(f"feed stopped: {stats.ticks_sent} ticks in {stats.batches_sent} frames, {stats.reconnects} reconnects")
    return stats


async def _until_signalled(source: TickSource, options: FeedOptions) -> FeedStats:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        return await run_feed(source, options, stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
