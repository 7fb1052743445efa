"""Zerodha live prices: the official `kiteconnect.KiteTicker`, run in a process of its own, turned
into our tick shape (symbol, last_price as Decimal, aware UTC timestamp).

KiteTicker runs on Twisted, whose reactor can run once per process and never restart, so it
must not live inside a Django, Celery or test process. Start it as a child process and read
its standard output, one JSON object per tick:

    python -m brokers.zerodha.ticker --instrument 408065=INFY --instrument 779521=SBIN

    {"symbol": "INFY", "last_price": "1548.7", "timestamp": "2025-11-03T04:01:02.345678+00:00",
     "instrument_token": 408065}

Settings come from arguments or, failing those, the environment:

    --api-key        KITE_API_KEY
    --access-token   KITE_ACCESS_TOKEN          (prefer the environment: argv is visible in ps)
    --root           KITE_TICKER_ROOT           default wss://ws.kite.trade
    --instrument     KITE_TICKER_INSTRUMENTS    "TOKEN=SYMBOL,TOKEN=SYMBOL"; tokens from
                                                ZerodhaBroker.instrument_tokens()
    --mode           KITE_TICKER_MODE           ltp (default), quote or full
    --max-ticks      stop after this many ticks (tests)

Exit status: 0 after --max-ticks or SIGTERM/SIGINT; 2 on bad arguments; 3 when Kite refuses the
session (a bad or expired access token fails the WebSocket handshake with 403: log in again
before restarting); 4 when reconnection attempts run out. Logs go to standard error.

In-process use (its own process all the same): `TickerBridge(..., on_tick=callback).run()`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

logger = logging.getLogger("brokers.zerodha.ticker")

DEFAULT_ROOT = "wss://ws.kite.trade"
MODES = ("ltp", "quote", "full")
EXIT_OK, EXIT_USAGE, EXIT_SESSION_REFUSED, EXIT_GAVE_UP = 0, 2, 3, 4


@dataclasses.dataclass(frozen=True, slots=True)
class Tick:
    symbol: str
    last_price: Decimal
    timestamp: dt.datetime
    instrument_token: int

    def to_json(self) -> str:
        return json.dumps(
            {
                "symbol": self.symbol,
                "last_price": str(self.last_price),
                "timestamp": self.timestamp.isoformat(),
                "instrument_token": self.instrument_token,
            }
        )

    @classmethod
    def from_json(cls, line: str) -> Tick:
        data = json.loads(line)
        return cls(
            symbol=data["symbol"],
            last_price=Decimal(data["last_price"]),
            timestamp=dt.datetime.fromisoformat(data["timestamp"]),
            instrument_token=int(data["instrument_token"]),
        )


def ticks_from_kite(
    raw_ticks: Iterable[Mapping[str, Any]], instruments: Mapping[int, str], received_at: dt.datetime
) -> list[Tick]:
    """KiteTicker's decoded ticks as ours; tokens we did not ask for are dropped.

    Prices arrive as floats divided from paise; str() gives back the exact decimal. The
    timestamp is the exchange's when the mode carries one (full), else the time of receipt."""
    ticks = []
    for raw in raw_ticks:
        token = raw.get("instrument_token")
        symbol = instruments.get(token) if isinstance(token, int) else None
        if symbol is None:
            continue
        try:
            price = Decimal(str(raw["last_price"]))
        except (KeyError, InvalidOperation, ValueError):
            continue
        if not price.is_finite() or price <= 0:
            continue
        stamp = raw.get("exchange_timestamp")
        if isinstance(stamp, dt.datetime):
            # kiteconnect builds it with datetime.fromtimestamp(): naive, in this process's zone.
            timestamp = stamp.astimezone(dt.UTC)
        else:
            timestamp = received_at
        ticks.append(Tick(symbol=symbol, last_price=price, timestamp=timestamp, instrument_token=token))
    return ticks


def parse_instruments(specs: Iterable[str]) -> dict[int, str]:
    """["408065=INFY", "779521=SBIN,738561=RELIANCE"] -> {408065: "INFY", ...}."""
    instruments: dict[int, str] = {}
    for spec in specs:
        for item in spec.split(","):
            item = item.strip()
            if not item:
                continue
            token, sep, symbol = item.partition("=")
            if not sep or not token.strip().isdigit() or not symbol.strip():
                raise ValueError(f"bad instrument {item!r}; expected TOKEN=SYMBOL")
            instruments[int(token)] = symbol.strip()
    return instruments


def _handshake_refused(reason: Any) -> bool:
    # autobahn reports it as 'WebSocket connection upgrade failed [403]: Forbidden'.
    return re.search(r"\b40[13]\b", str(reason or "")) is not None


class TickerBridge:
    """Runs KiteTicker until stopped; blocks the calling (main) thread. One per process."""

    def __init__(
        self,
        *,
        api_key: str,
        access_token: str,
        instruments: Mapping[int, str],
        on_tick: Callable[[Tick], None],
        root: str = DEFAULT_ROOT,
        mode: str = "ltp",
        max_ticks: int | None = None,
        reconnect_max_tries: int = 50,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if not instruments:
            raise ValueError("no instruments to subscribe to")
        self.api_key = api_key
        self.access_token = access_token
        self.instruments = dict(instruments)
        self.on_tick = on_tick
        self.root = root
        self.mode = mode
        self.max_ticks = max_ticks
        self.reconnect_max_tries = reconnect_max_tries
        self.tick_count = 0
        self.exit_code = EXIT_OK
        self._ticker: Any = None
        self._finishing = False

    def run(self) -> int:
        from kiteconnect import KiteTicker

        ticker = KiteTicker(
            self.api_key,
            self.access_token,
            root=self.root,
            reconnect=True,
            reconnect_max_tries=self.reconnect_max_tries,
        )
        ticker.on_connect = self._on_connect
        ticker.on_ticks = self._on_ticks
        ticker.on_close = self._on_close
        ticker.on_noreconnect = self._on_noreconnect
        self._ticker = ticker
        ticker.connect(threaded=False)  # runs the reactor here until _finish() stops it
        return self.exit_code

    def _on_connect(self, ws: Any, response: Any) -> None:
        tokens = list(self.instruments)
        ws.subscribe(tokens)
        ws.set_mode(self.mode, tokens)
        logger.info("kite ticker connected; %d instruments in %s mode", len(tokens), self.mode)

    def _on_ticks(self, ws: Any, raw_ticks: list[dict[str, Any]]) -> None:
        if self._finishing:
            return  # frames still in flight while the socket closes
        for tick in ticks_from_kite(raw_ticks, self.instruments, dt.datetime.now(dt.UTC)):
            self.on_tick(tick)
            self.tick_count += 1
            if self.max_ticks is not None and self.tick_count >= self.max_ticks:
                self._finish(EXIT_OK)
                return

    def _on_close(self, ws: Any, code: Any, reason: Any) -> None:
        if self._finishing:
            self._stop_reactor()
        elif _handshake_refused(reason):
            logger.error("Kite refused the ticker session (%s); log in again", reason)
            self._finish(EXIT_SESSION_REFUSED)

    def _on_noreconnect(self, ws: Any) -> None:
        logger.error("kite ticker: reconnection attempts exhausted")
        self._finish(EXIT_GAVE_UP)

    def _finish(self, code: int) -> None:
        """Close the socket cleanly, then stop the reactor (from on_close, or after a grace
        period if the close handshake never completes)."""
        from twisted.internet import reactor

        if self._finishing:
            return
        self._finishing = True
        self.exit_code = code
        if self._ticker is not None:
            self._ticker.stop_retry()
            if self._ticker.is_connected():
                self._ticker.close(1000, "done")
                reactor.callLater(2.0, self._stop_reactor)  # type: ignore[attr-defined]
                return
        self._stop_reactor()

    @staticmethod
    def _stop_reactor() -> None:
        from twisted.internet import reactor
        from twisted.internet.error import ReactorNotRunning

        try:
            reactor.stop()  # type: ignore[attr-defined]
        except ReactorNotRunning:
            pass


def _write_line(tick: Tick) -> None:
    sys.stdout.write(tick.to_json() + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m brokers.zerodha.ticker", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--api-key", default=os.environ.get("KITE_API_KEY"))
    parser.add_argument("--access-token", default=os.environ.get("KITE_ACCESS_TOKEN"))
    parser.add_argument("--root", default=os.environ.get("KITE_TICKER_ROOT") or DEFAULT_ROOT)
    parser.add_argument(
        "--instrument", action="append", default=[], help="TOKEN=SYMBOL (repeatable, or comma-separated)"
    )
    parser.add_argument("--mode", default=os.environ.get("KITE_TICKER_MODE") or "ltp", choices=MODES)
    parser.add_argument("--max-ticks", type=int, default=None)
    parser.add_argument("--reconnect-max-tries", type=int, default=50)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    specs = args.instrument or [os.environ.get("KITE_TICKER_INSTRUMENTS", "")]
    try:
        instruments = parse_instruments(specs)
    except ValueError as exc:
        logger.error("%s", exc)
        return EXIT_USAGE
    if not args.api_key or not args.access_token or not instruments:
        logger.error("api key, access token and at least one instrument are required")
        return EXIT_USAGE
    bridge = TickerBridge(
        api_key=args.api_key,
        access_token=args.access_token,
        instruments=instruments,
        on_tick=_write_line,
        root=args.root,
        mode=args.mode,
        max_ticks=args.max_ticks,
        reconnect_max_tries=args.reconnect_max_tries,
    )
    return bridge.run()


if __name__ == "__main__":
    sys.exit(main())
