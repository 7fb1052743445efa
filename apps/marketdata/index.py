"""The listener's in-memory stop-loss index: per symbol, the LONG positions sorted by stop.

A tick at `price` stops out every position whose stop_loss >= price: one bisect per tick, so a
single core checks hundreds of thousands of ticks a second. Each position fires once; it comes
back only if the runtime re-adds it (for instance an exit that failed leaves it LONG).
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field


@dataclass
class _Book:
    stops: list[float] = field(default_factory=list)  # ascending
    ids: list[int] = field(default_factory=list)  # parallel to stops


class StopLossIndex:
    def __init__(self, *, refire_after: float = 30.0) -> None:
        self._books: dict[str, _Book] = {}
        self._where: dict[int, tuple[str, float]] = {}
        self._fired: dict[int, float] = {}
        self.refire_after = refire_after

    def __len__(self) -> int:
        return len(self._where)

    def upsert(self, strategy_id: int, symbol: str, stop: float) -> None:
        if self._where.get(strategy_id) == (symbol, stop):
            return
        self.remove(strategy_id)
        fired = self._fired.get(strategy_id)
        if fired is not None and time.monotonic() - fired < self.refire_after:
            return  # just fired: its exit is on the way; Redis has not caught up yet
        book = self._books.setdefault(symbol, _Book())
        i = bisect.bisect_left(book.stops, stop)
        book.stops.insert(i, stop)
        book.ids.insert(i, strategy_id)
        self._where[strategy_id] = (symbol, stop)

    def remove(self, strategy_id: int) -> None:
        where = self._where.pop(strategy_id, None)
        if where is None:
            return
        book = self._books[where[0]]
        i = bisect.bisect_left(book.stops, where[1])
        while book.ids[i] != strategy_id:  # equal stops sit side by side
            i += 1
        del book.stops[i]
        del book.ids[i]

    def replace_all(self, entries: list[tuple[int, str, float]]) -> None:
        """Rebuild from a full snapshot (start-up, periodic resync)."""
        self._books.clear()
        self._where.clear()
        for strategy_id, symbol, stop in entries:
            self.upsert(strategy_id, symbol, stop)

    def hits(self, symbol: str, price: float) -> list[int]:
        """Strategies stopped out by this tick; they leave the index (each stop fires once)."""
        book = self._books.get(symbol)
        if book is None or not book.stops or price > book.stops[-1]:
            return []
        i = bisect.bisect_left(book.stops, price)
        fired = book.ids[i:]
        del book.stops[i:]
        del book.ids[i:]
        now = time.monotonic()
        for strategy_id in fired:
            self._where.pop(strategy_id, None)
            self._fired[strategy_id] = now
        if len(self._fired) > 10_000:
            self._fired = {k: v for k, v in self._fired.items() if now - v < self.refire_after}
        return fired
