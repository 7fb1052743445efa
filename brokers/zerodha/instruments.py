"""Kite's instrument master (GET /instruments/{exchange}, CSV): trading symbol -> instrument_token.

The ticker speaks instrument tokens, orders speak trading symbols. The master changes once a
day (new contracts, token reuse after expiry), so it is downloaded at most once per exchange,
API root and Indian trading day per process, and shared by every adapter instance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from brokers.base import BrokerError, ErrorKind
from brokers.common import DailyCache

if TYPE_CHECKING:
    from brokers.zerodha.broker import ZerodhaBroker

_CACHE = DailyCache()


def symbol_tokens(rows: list[dict]) -> dict[str, int]:
    """Trading symbol -> instrument_token for the rows kiteconnect parsed from the CSV.

    Equity symbols are unique within an exchange; derivatives are keyed the same way (their
    trading symbols carry the expiry and strike)."""
    return {str(row["tradingsymbol"]): int(row["instrument_token"]) for row in rows}


class InstrumentMaster:
    def __init__(self, broker: ZerodhaBroker) -> None:
        self.broker = broker

    def tokens(self, exchange: str) -> dict[str, int]:
        def load() -> dict[str, int]:
            # /instruments needs no session, but kiteconnect still sends one if it has it.
            rows = self.broker.call(self.broker.kite.instruments, exchange)
            return symbol_tokens(rows)

        return _CACHE.get((self.broker.api_root, exchange), load)

    def token(self, symbol: str, exchange: str) -> int:
        try:
            return self.tokens(exchange)[symbol]
        except KeyError:
            raise BrokerError(f"Kite has no instrument {exchange}:{symbol}", kind=ErrorKind.INPUT) from None


def clear_cache() -> None:
    """Forget downloaded masters (tests, or a forced refresh after a corporate action)."""
    _CACHE.clear()
