from __future__ import annotations

from decimal import Decimal

import pytest

from brokers.universe import INSTRUMENTS, all_symbols, get_instrument, get_instrument_by_token, is_known


def test_fifty_unique_symbols_and_tokens() -> None:
    symbols = all_symbols()
    assert len(symbols) == len(set(symbols)) == 50
    tokens = [get_instrument(s).token for s in symbols]
    assert len(set(tokens)) == 50 and all(isinstance(t, int) and 0 < t < 65536 for t in tokens)
    for name in ("TCS", "INFY", "RELIANCE", "HDFCBANK", "ICICIBANK", "SBIN", "M&M", "BAJAJ-AUTO"):
        assert name in symbols


@pytest.mark.parametrize("symbol", sorted(INSTRUMENTS))
def test_reference_prices_are_tradeable(symbol: str) -> None:
    instrument = get_instrument(symbol)
    assert instrument.symbol == symbol
    price = instrument.reference_price
    assert isinstance(price, Decimal) and price > 0
    assert price.as_tuple().exponent == -2
    assert instrument.tick_size == Decimal("0.05")
    assert price % instrument.tick_size == 0


def test_lookups() -> None:
    assert get_instrument("NOPE") is None
    assert get_instrument("tcs") is None  # symbols are exact, as at the broker
    assert get_instrument("TCS", "BSE") is get_instrument("TCS")
    assert get_instrument("TCS", "MCX") is None
    assert is_known("M&M") and is_known("M&M", "BSE")
    assert not is_known("M&M", "NFO") and not is_known("ZOMATO")
    assert get_instrument_by_token(get_instrument("SBIN").token).symbol == "SBIN"
    assert get_instrument_by_token(10_000) is None
