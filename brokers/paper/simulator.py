"""The market simulator: random-walk ticks, scripted scenarios and CSV replay, in batches.

Plain Python (no Django), so the feed process, tests and benchmarks can all drive it. The
caller owns timing: `next_batch(now)` returns every tick due by `now` (epoch seconds), so the
same simulator serves a real-time feed loop and a test that steps a fake clock.

Why batches: at 50,000 ticks/s one message (or one call) per tick would cost more than the
ticks themselves. The walk is counted, not scheduled: the number of ticks due by `now` is
`rate * elapsed`, so the rate holds exactly whatever the call cadence, and the generated
sequence does not depend on where the batches are cut (same seed, same ticks).

Hot loop cost: prices are ints in paise, each symbol has a pre-computed table of price moves
(a normal deviate * sigma * price, rounded to the tick size) rebuilt only when its price
drifts away from the table's base, one `getrandbits(32)` per tick picks both the symbol and
the move, and price strings come from a small cache (formatting an int as "3151.40" costs
more than all the rest of the tick).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import math
import random
import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from brokers.universe import INSTRUMENTS, TICK_SIZE

IST = ZoneInfo("Asia/Kolkata")
DEFAULT_RATE = 200.0
# Per-tick relative move. 0.0001 moves TCS (~3150) by ~0.30 per tick, a few tick sizes, which
# looks like a liquid NSE stock; low-priced stocks often print an unchanged price, as they do.
DEFAULT_SIGMA = 0.0001
# A stalled caller (GC pause, suspended laptop, slow listener) must not get a burst of
# minutes of ticks at once: at most this many seconds of walk are generated per call.
DEFAULT_MAX_CATCHUP = 1.0

_MOVE_BITS = 10
_MOVE_TABLE = 1 << _MOVE_BITS  # distinct moves per symbol; fine-grained enough to look normal
_MOVE_MASK = _MOVE_TABLE - 1
# A symbol's move table is rebuilt when its price leaves base * (1 +- this): moves then stay
# within a few percent of sigma * price without a float multiply per tick.
_REBASE_DRIFT = 0.05
_FMT_CACHE_MAX = 200_000
_CENTS = tuple(f"{c:02d}" for c in range(100))

Tick = tuple[str, str]


class SimulatorDataError(ValueError):
    """A scenario or replay file that cannot be used; the message names the file and line."""

    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}, line {line}: {message}")
        self.source = source
        self.line = line


@dataclasses.dataclass(frozen=True, slots=True)
class ScenarioEvent:
    """A price the simulator prints at a given time and then walks on from.

    Exactly one of `offset` (seconds after the simulator starts) and `clock` (a time of day in
    Asia/Kolkata, on the day the simulator starts) is set.
    """

    symbol: str
    price: Decimal
    offset: float | None = None
    clock: dt.time | None = None
    line: int = 0


def to_paise(price: Decimal | str | int | float, tick_paise: int = 5) -> int:
    """A price in paise, rounded to the nearest tick and never below one tick."""
    paise = int((Decimal(str(price)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    ticks = (paise + tick_paise // 2) // tick_paise
    return max(ticks, 1) * tick_paise


def format_paise(paise: int) -> str:
    return f"{paise // 100}.{_CENTS[paise % 100]}"


def nifty50_prices() -> dict[str, Decimal]:
    """The default universe: NIFTY 50 symbols at their reference prices (brokers.universe)."""
    return {symbol: instrument.reference_price for symbol, instrument in INSTRUMENTS.items()}


def synthetic_universe(n: int, *, seed: int = 0) -> dict[str, Decimal]:
    """`n` made-up symbols SYM0001.. with prices between 50 and 5000 (for benchmarks that need
    more symbols than the NIFTY 50); the same `n` and seed always give the same prices."""
    rng = random.Random(seed)  # noqa: S311 - simulated prices, not security
    width = max(4, len(str(n)))
    return {
        f"SYM{i:0{width}d}": Decimal(to_paise(Decimal(rng.uniform(50, 5000)).quantize(Decimal("0.01")))) / 100
        for i in range(1, n + 1)
    }


# --- Scenario files ------------------------------------------------------------------------

# NSE trading symbols: letters, digits and a few marks (M&M, BAJAJ-AUTO).
_SYMBOL = re.compile(r"^[A-Za-z0-9&_.\-]{1,40}$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$")
_RELATIVE = re.compile(r"^\+(\d+(?:\.\d+)?)s?$")


def parse_scenario(text: str, *, source: str = "<scenario>") -> list[ScenarioEvent]:
    """Parse a scenario script: one event per line, `WHEN SYMBOL PRICE`.

        # comments and blank lines are ignored
        +2.5s TCS 3490        2.5 seconds after the feed starts ("s" optional)
        09:31:05 TCS 3490     at 09:31:05 Asia/Kolkata on the day the feed starts

    Raises SimulatorDataError naming the line on anything else.
    """
    events: list[ScenarioEvent] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 3:
            raise SimulatorDataError(source, number, f"expected 'WHEN SYMBOL PRICE', got {raw.strip()!r}")
        when, symbol, price_text = parts
        _check_symbol(symbol, source, number)
        price = _parse_price(price_text, source, number)
        if (match := _RELATIVE.match(when)) is not None:
            events.append(ScenarioEvent(symbol=symbol, price=price, offset=float(match.group(1)), line=number))
        elif (clock := _parse_clock(when)) is not None:
            events.append(ScenarioEvent(symbol=symbol, price=price, clock=clock, line=number))
        else:
            raise SimulatorDataError(source, number, f"bad time {when!r}: use +SECONDS (e.g. +2.5s) or HH:MM:SS")
    return events


def load_scenario_file(path: str | Path) -> list[ScenarioEvent]:
    path = Path(path)
    return parse_scenario(path.read_text(encoding="utf-8"), source=str(path))


def _check_symbol(symbol: str, source: str, line: int) -> None:
    if not symbol:
        raise SimulatorDataError(source, line, "empty symbol")
    if _SYMBOL.match(symbol) is None:
        raise SimulatorDataError(source, line, f"bad symbol {symbol!r}")


def _parse_price(text: str, source: str, line: int) -> Decimal:
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise SimulatorDataError(source, line, f"bad price {text!r}") from None
    if not price.is_finite() or price <= 0:
        raise SimulatorDataError(source, line, f"price must be a positive number, got {text!r}")
    return price


def _parse_clock(text: str) -> dt.time | None:
    match = _CLOCK.match(text)
    if match is None:
        return None
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3))
    micro = int((match.group(4) or "0").ljust(6, "0"))
    try:
        return dt.time(hour, minute, second, micro)
    except ValueError:
        return None


# --- CSV replay ----------------------------------------------------------------------------


def parse_replay_csv(path: str | Path, *, speed: float = 1.0) -> list[ScenarioEvent]:
    """Rows `timestamp,symbol,price` (an optional header row) as events offset from the first
    row, divided by `speed` (2.0 replays twice as fast).

    A timestamp is epoch seconds (1733383800.25), an ISO 8601 date-time (naive means
    Asia/Kolkata) or a time of day HH:MM:SS[.ffffff]; all rows must use the same kind, in time
    order. Raises SimulatorDataError naming the line on a bad row.
    """
    if speed <= 0:
        raise ValueError("speed must be positive")
    path = Path(path)
    source = str(path)
    events: list[ScenarioEvent] = []
    first: float | None = None
    previous = float("-inf")
    kind: str | None = None
    # csv.reader's line_num counts physical lines, which is what a person looks for in an editor.
    # errors="replace": a bad byte then fails on its own line (a decode error would be raised
    # for a whole buffered chunk, with no usable line number).
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        for row in _rows(reader, source):
            number = reader.line_num
            cells = [cell.strip() for cell in row]
            if any("\ufffd" in cell for cell in cells):
                raise SimulatorDataError(source, number, "not UTF-8 text")
            if not cells or cells == [""] or cells[0].startswith("#"):
                continue
            if not events and first is None and cells[0].lower() in {"timestamp", "time", "ts"}:
                continue  # header row
            if len(cells) != 3:
                raise SimulatorDataError(source, number, f"expected 3 columns timestamp,symbol,price, got {len(cells)}")
            stamp_text, symbol, price_text = cells
            _check_symbol(symbol, source, number)
            row_kind, stamp = _parse_timestamp(stamp_text, source, number)
            if kind is None:
                kind = row_kind
            elif row_kind != kind:
                raise SimulatorDataError(
                    source, number, f"timestamp {stamp_text!r} is a {row_kind}, earlier rows use {kind}"
                )
            if stamp < previous:
                raise SimulatorDataError(
                    source, number, f"timestamp {stamp_text!r} goes back in time; rows must be in time order"
                )
            previous = stamp
            if first is None:
                first = stamp
            price = _parse_price(price_text, source, number)
            events.append(ScenarioEvent(symbol=symbol, price=price, offset=(stamp - first) / speed, line=number))
    return events


def _rows(reader: Iterator[list[str]], source: str) -> Iterator[list[str]]:
    """csv rows, with a malformed row (csv.Error) reported by line like any other bad row."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SimulatorDataError(source, getattr(reader, "line_num", 0), f"unreadable row ({exc})") from None
        yield row


def _parse_timestamp(text: str, source: str, line: int) -> tuple[str, float]:
    clock = _parse_clock(text)
    if clock is not None:
        return "time of day", clock.hour * 3600 + clock.minute * 60 + clock.second + clock.microsecond / 1e6
    try:
        epoch = float(text)
    except ValueError:
        pass
    else:
        if math.isfinite(epoch):
            return "epoch", epoch
        raise SimulatorDataError(source, line, f"bad timestamp {text!r}")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise SimulatorDataError(
            source, line, f"bad timestamp {text!r}: use epoch seconds, ISO 8601 or HH:MM:SS"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=IST)
    return "ISO date-time", moment.timestamp()


# --- The simulator -------------------------------------------------------------------------


class MarketSimulator:
    """Random-walk ticks over a symbol universe at `rate` ticks per second (across every active
    symbol), plus scheduled scenario/replay prices. Deterministic for a given seed and sequence
    of calls.

    Times are epoch seconds (time.time()): the feed stamps frames with them, and scenario times
    of day are resolved against the date of `start`.
    """

    def __init__(
        self,
        prices: Mapping[str, Decimal | str | int] | None = None,
        *,
        rate: float = DEFAULT_RATE,
        sigma: float = DEFAULT_SIGMA,
        seed: int | None = None,
        tick_size: Decimal = TICK_SIZE,
        max_catchup: float = DEFAULT_MAX_CATCHUP,
        walk: bool = True,
    ) -> None:
        if rate < 0:
            raise ValueError("rate must be >= 0")
        if sigma < 0:
            raise ValueError("sigma must be >= 0")
        self._tick = int(tick_size * 100)
        if self._tick <= 0 or Decimal(self._tick) != tick_size * 100:
            raise ValueError("tick_size must be a whole number of paise")
        self._rng = random.Random(seed)  # noqa: S311 - simulated prices, not security
        self._sigma = sigma
        # One shared set of standard normal deviates, scaled per symbol into its move table.
        self._z = [self._rng.gauss(0.0, 1.0) for _ in range(_MOVE_TABLE)]
        self._symbols: list[str] = []
        self._index: dict[str, int] = {}
        self._paise: list[int] = []
        self._moves: list[list[int]] = []
        self._move_base: list[int] = []
        universe = nifty50_prices() if prices is None else prices
        for symbol, price in universe.items():
            self._add_symbol(symbol, to_paise(price, self._tick))
        self._wanted: set[str] | None = None
        self._active: list[int] = list(range(len(self._symbols)))
        self._active_mask: list[bool] = [True] * len(self._symbols)
        self._fmt: dict[int, str] = {}
        self._rate = float(rate)
        self._walk = walk
        self._max_catchup = max_catchup
        self._start: float | None = None
        # The walk's clock: ticks due by t = _n0 + floor((t - _t0) * rate).
        self._t0 = 0.0
        self._n0 = 0
        self._emitted = 0
        self._pending: list[ScenarioEvent] = []  # loaded but not yet placed on the time axis
        self._events: list[tuple[float, int, ScenarioEvent]] = []  # (at, load order, event), sorted
        self._next_event = 0
        self._loaded = 0
        self.ticks_generated = 0
        self.ticks_skipped = 0  # walk ticks dropped by the catch-up cap

    # -- universe and subscriptions --

    @property
    def symbols(self) -> list[str]:
        return list(self._symbols)

    @property
    def active_symbols(self) -> list[str]:
        return [self._symbols[i] for i in self._active]

    @property
    def active_count(self) -> int:
        return len(self._active)

    @property
    def rate(self) -> float:
        return self._rate

    def price(self, symbol: str) -> Decimal:
        """The current price of a symbol (KeyError when it is not in the universe)."""
        return Decimal(self._paise[self._index[symbol]]) / 100

    def knows(self, symbol: str) -> bool:
        return symbol in self._index

    def set_symbols(self, symbols: Iterable[str] | None) -> set[str]:
        """Tick only these symbols (None: all). Returns the requested symbols it does not know,
        which stay wanted: a replay that brings them later makes them tick."""
        if symbols is None:
            self._wanted = None
            self._refresh_active()
            return set()
        self._wanted = set(symbols)
        self._refresh_active()
        return {s for s in self._wanted if s not in self._index}

    def _refresh_active(self) -> None:
        if self._wanted is None:
            self._active = list(range(len(self._symbols)))
        else:
            self._active = sorted(self._index[s] for s in self._wanted if s in self._index)
        mask = [False] * len(self._symbols)
        for i in self._active:
            mask[i] = True
        self._active_mask = mask

    def _add_symbol(self, symbol: str, paise: int) -> int:
        index = self._index.get(symbol)
        if index is not None:
            self._set_price(index, paise)
            return index
        index = len(self._symbols)
        self._symbols.append(symbol)
        self._index[symbol] = index
        self._paise.append(paise)
        self._moves.append([])
        self._move_base.append(0)
        self._rebuild_moves(index)
        return index

    def _set_price(self, index: int, paise: int) -> None:
        self._paise[index] = paise
        self._rebuild_moves(index)

    def _rebuild_moves(self, index: int) -> None:
        base = self._paise[index]
        tick = self._tick
        scale = base * self._sigma / tick
        self._moves[index] = [round(z * scale) * tick for z in self._z]
        self._move_base[index] = base

    # -- rate and time --

    def start(self, now: float) -> None:
        """Put the simulator on the time axis (the first next_batch does this implicitly)."""
        if self._start is not None:
            return
        self._start = now
        self._t0 = now
        self._n0 = 0
        self._emitted = 0
        self._place_pending(now)

    def set_rate(self, rate: float, now: float) -> None:
        """Change the walk rate from `now` on, without a burst or a gap."""
        if rate < 0:
            raise ValueError("rate must be >= 0")
        if self._start is None:
            self._rate = float(rate)
            return
        self._n0 = self._due(now)
        self._t0 = now
        self._rate = float(rate)

    def _due(self, t: float) -> int:
        if t <= self._t0:
            return self._n0
        return self._n0 + int((t - self._t0) * self._rate)

    # -- scenarios and replay --

    def load_events(
        self, events: Iterable[ScenarioEvent], *, add_unknown: bool = False, source: str = "<events>"
    ) -> None:
        """Schedule prices. Unknown symbols are an error (a typo in a script should not pass
        silently) unless `add_unknown`, which adds them with their first price as the base."""
        events = list(events)
        if not add_unknown:
            for event in events:
                if event.symbol not in self._index:
                    raise SimulatorDataError(source, event.line, f"unknown symbol {event.symbol!r}")
        for event in events:
            if event.symbol not in self._index:
                self._add_symbol(event.symbol, to_paise(event.price, self._tick))
        if add_unknown:
            self._refresh_active()
        self._pending.extend(events)
        if self._start is not None:
            self._place_pending(self._start)

    def load_scenario(self, path: str | Path) -> list[ScenarioEvent]:
        path = Path(path)
        events = load_scenario_file(path)
        self.load_events(events, source=str(path))
        return events

    def replay_csv(self, path: str | Path, *, speed: float = 1.0, walk: bool = False) -> list[ScenarioEvent]:
        """Replay a CSV of ticks from the start, at their recorded spacing. The random walk
        stops unless `walk` (a replay usually means "exactly these ticks")."""
        events = parse_replay_csv(path, speed=speed)
        self._walk = walk
        self.load_events(events, add_unknown=True, source=str(path))
        return events

    def _place_pending(self, start: float) -> None:
        day = dt.datetime.fromtimestamp(start, tz=IST).date()
        for event in self._pending:
            if event.offset is not None:
                at = start + event.offset
            elif event.clock is not None:
                # A time already past when the feed starts fires at once, so the state the
                # script describes still holds (its last price becomes the base).
                at = max(start, dt.datetime.combine(day, event.clock, tzinfo=IST).timestamp())
            else:
                raise ValueError(f"scenario event for {event.symbol} has neither an offset nor a clock time")
            self._events.append((at, self._loaded, event))
            self._loaded += 1
        self._pending.clear()
        done = self._events[: self._next_event]
        rest = sorted(self._events[self._next_event :], key=lambda item: (item[0], item[1]))
        self._events = done + rest

    @property
    def events_remaining(self) -> int:
        return len(self._events) - self._next_event + len(self._pending)

    # -- ticks --

    def next_batch(self, now: float) -> list[Tick]:
        """Every tick due by `now`, in time order: (symbol, price as a decimal string)."""
        if self._start is None:
            self.start(now)
        out: list[Tick] = []
        events = self._events
        while self._next_event < len(events) and events[self._next_event][0] <= now:
            at, _, event = events[self._next_event]
            self._next_event += 1
            self._walk_until(at, out)
            index = self._index[event.symbol]
            paise = to_paise(event.price, self._tick)
            self._set_price(index, paise)
            if self._active_mask[index]:
                out.append((event.symbol, self._format(paise)))
                self.ticks_generated += 1
        self._walk_until(now, out)
        return out

    def _format(self, paise: int) -> str:
        text = self._fmt.get(paise)
        if text is None:
            text = format_paise(paise)
            if len(self._fmt) >= _FMT_CACHE_MAX:
                self._fmt.clear()
            self._fmt[paise] = text
        return text

    def _walk_until(self, t: float, out: list[Tick]) -> None:
        due = self._due(t)
        count = due - self._emitted
        if count <= 0:
            return
        cap = max(1, int(self._rate * self._max_catchup))
        if count > cap:
            self.ticks_skipped += count - cap
            count = cap
        self._emitted = due
        active = self._active
        if not self._walk or not active:
            return  # the walk's clock still advances, so a later subscription gets no burst
        self._generate(count, out)

    def _generate(self, count: int, out: list[Tick]) -> None:
        # Everything the loop touches is a local: attribute lookups would double the cost.
        bits = self._rng.getrandbits
        active = self._active
        n_active = len(active)
        paise = self._paise
        moves = self._moves
        symbols = self._symbols
        fmt = self._fmt
        fmt_get = fmt.get
        tick = self._tick
        append = out.append
        touched: set[int] = set()
        touch = touched.add
        for _ in range(count):
            r = bits(32)
            i = active[(r >> _MOVE_BITS) % n_active]
            p = paise[i] + moves[i][r & _MOVE_MASK]
            if p < tick:
                p = tick
            paise[i] = p
            text = fmt_get(p)
            if text is None:
                text = f"{p // 100}.{_CENTS[p % 100]}"
                fmt[p] = text
            append((symbols[i], text))
            touch(i)
        self.ticks_generated += count
        if len(fmt) > _FMT_CACHE_MAX:
            fmt.clear()
        # Rebase move tables once per batch, not per tick: a few percent of drift within one
        # batch changes the size of moves by a few percent, which nobody can see.
        base = self._move_base
        for i in touched:
            if abs(paise[i] - base[i]) > base[i] * _REBASE_DRIFT:
                self._rebuild_moves(i)
