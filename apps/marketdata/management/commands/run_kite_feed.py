"""`python manage.py run_kite_feed`: the feed process on Zerodha's live ticks (KiteTicker).

The same feed as `run_feed` (subscriptions follow running strategies, frames to the listener,
reconnect with backoff), with the KiteTicker bridge as its source instead of the simulator.
The Kite session is the stored Zerodha account's (KITE_FEED_ACCOUNT_ID, else the most recently
logged-in active one), re-read every KITE_FEED_REFRESH_SECONDS, so the daily login needs no
restart. API and WebSocket roots: BROKER_OPTIONS["zerodha"] (KITE_API_ROOT, KITE_WS_ROOT).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from apps.marketdata.kite_feed import build_kite_source

from ._feed_command import add_feed_arguments, check_feed_options, run_feed_until_signalled


class Command(BaseCommand):
    help = "Push Zerodha KiteTicker ticks to the tick listener (symbols of running strategies only)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--mode", choices=("ltp", "quote", "full"), default="ltp", help="KiteTicker mode")
        add_feed_arguments(
            parser, all_symbols_help="subscribe to the whole instrument master (capped at Kite's 3000 per connection)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check_feed_options(options, self.stderr)
        source = build_kite_source(mode=options["mode"])
        try:
            run_feed_until_signalled(source, options, self.stdout)
        finally:
            source.close()  # stops the bridge child
