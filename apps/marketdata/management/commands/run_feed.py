"""`python manage.py run_feed`: the feed process (Procfile `feed`)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.marketdata.feed import TickSource, build_simulator_source
from brokers.paper.simulator import SimulatorDataError

from ._feed_command import add_feed_arguments, check_feed_options, run_feed_until_signalled


class Command(BaseCommand):
    help = (
        "Push market ticks to the tick listener over its WebSocket. MARKET_FEED=simulator runs the "
        "market simulator; only symbols of running strategies tick unless --all-symbols."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--rate",
            type=float,
            default=None,
            help="simulated ticks per second across all ticking symbols (default SIM_TICKS_PER_SECOND)",
        )
        parser.add_argument(
            "--scenario",
            action="append",
            default=[],
            metavar="FILE",
            help="scripted prices, lines 'WHEN SYMBOL PRICE' (see scenarios/); repeatable",
        )
        parser.add_argument("--replay", metavar="CSV", help="replay ticks from a CSV file timestamp,symbol,price")
        parser.add_argument("--replay-speed", type=float, default=1.0, help="replay speed factor (2 = twice as fast)")
        parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable market")
        parser.add_argument(
            "--symbols-extra",
            type=int,
            default=0,
            metavar="N",
            help="add N synthetic symbols SYM0001.. to the universe",
        )
        parser.add_argument("--sigma", type=float, default=None, help="per-tick relative price move (std dev)")
        add_feed_arguments(parser, all_symbols_help="tick every symbol, not only those of running strategies")

    def handle(self, *args: Any, **options: Any) -> None:
        check_feed_options(options, self.stderr)
        run_feed_until_signalled(self._build_source(options), options, self.stdout)

    def _build_source(self, options: dict[str, Any]) -> TickSource:
        kind = settings.MARKET_FEED
        if kind != "simulator":
            # Broker bridges (zerodha first) plug in here as another TickSource.
            raise CommandError(f"MARKET_FEED={kind!r} is not available yet; use MARKET_FEED=simulator")
        explicit_rate = options["rate"] is not None
        rate = options["rate"] if explicit_rate else float(settings.SIM_TICKS_PER_SECOND)
        if rate < 0:
            raise CommandError("--rate must be >= 0")
        try:
            return build_simulator_source(
                rate=rate,
                seed=options["seed"],
                symbols_extra=options["symbols_extra"],
                scenarios=options["scenario"],
                replay=options["replay"],
                replay_speed=options["replay_speed"],
                # A replay means "exactly these ticks" unless a walk rate was asked for too.
                walk=options["replay"] is None or explicit_rate,
                sigma=options["sigma"],
            )
        except (OSError, SimulatorDataError, ValueError) as exc:
            raise CommandError(str(exc)) from exc

