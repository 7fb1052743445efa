"""The NIFTY 50 instrument universe the platform trades, with simulator reference prices.

Reference prices are rough late-2025 NSE levels. They seed the market simulator and are the
paper broker's fallback price when the simulator has not written `price:{symbol}` yet; they are
not market data. Tokens are our own small numeric ids for binary feeds (not exchange tokens,
which differ per broker), so they must never be renumbered once a feed format ships.

Symbols are NSE trading symbols, matched exactly (case-sensitive, as brokers do). BSE accepts
the same symbols so one universe serves both exchanges.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from types import MappingProxyType

EXCHANGES: tuple[str, ...] = ("NSE", "BSE")
TICK_SIZE = Decimal("0.05")


@dataclasses.dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str
    name: str
    token: int
    reference_price: Decimal
    tick_size: Decimal = TICK_SIZE
    lot_size: int = 1


# (symbol, company, token, reference price). Index composition after the September 2025
# rebalance; ETERNAL is the former ZOMATO and TMPV the passenger-vehicle Tata Motors left in
# the index after the October 2025 demerger.
_TABLE: tuple[tuple[str, str, int, str], ...] = (
    ("ADANIENT", "Adani Enterprises", 1, "2405.60"),
    ("ADANIPORTS", "Adani Ports and SEZ", 2, "1482.30"),
    ("APOLLOHOSP", "Apollo Hospitals", 3, "7512.50"),
    ("ASIANPAINT", "Asian Paints", 4, "2901.40"),
    ("AXISBANK", "Axis Bank", 5, "1271.80"),
    ("BAJAJ-AUTO", "Bajaj Auto", 6, "9012.00"),
    ("BAJFINANCE", "Bajaj Finance", 7, "1021.35"),
    ("BAJAJFINSV", "Bajaj Finserv", 8, "2081.70"),
    ("BEL", "Bharat Electronics", 9, "411.25"),
    ("BHARTIARTL", "Bharti Airtel", 10, "2104.90"),
    ("CIPLA", "Cipla", 11, "1519.60"),
    ("COALINDIA", "Coal India", 12, "381.45"),
    ("DRREDDY", "Dr. Reddy's Laboratories", 13, "1251.20"),
    ("EICHERMOT", "Eicher Motors", 14, "6998.50"),
    ("ETERNAL", "Eternal", 15, "301.85"),
    ("GRASIM", "Grasim Industries", 16, "2702.10"),
    ("HCLTECH", "HCL Technologies", 17, "1601.40"),
    ("HDFCBANK", "HDFC Bank", 18, "1001.55"),
    ("HDFCLIFE", "HDFC Life Insurance", 19, "771.30"),
    ("HINDALCO", "Hindalco Industries", 20, "801.65"),
    ("HINDUNILVR", "Hindustan Unilever", 21, "2448.20"),
    ("ICICIBANK", "ICICI Bank", 22, "1381.90"),
    ("INDIGO", "InterGlobe Aviation", 23, "5802.00"),
    ("INFY", "Infosys", 24, "1548.70"),
    ("ITC", "ITC", 25, "405.35"),
    ("JIOFIN", "Jio Financial Services", 26, "305.10"),
    ("JSWSTEEL", "JSW Steel", 27, "1161.45"),
    ("KOTAKBANK", "Kotak Mahindra Bank", 28, "2101.60"),
    ("LT", "Larsen & Toubro", 29, "4012.80"),
    ("M&M", "Mahindra & Mahindra", 30, "3702.40"),
    ("MARUTI", "Maruti Suzuki India", 31, "15810.00"),
    ("MAXHEALTH", "Max Healthcare Institute", 32, "1151.25"),
    ("NESTLEIND", "Nestle India", 33, "1268.90"),
    ("NTPC", "NTPC", 34, "331.20"),
    ("ONGC", "Oil and Natural Gas Corporation", 35, "251.40"),
    ("POWERGRID", "Power Grid Corporation of India", 36, "271.55"),
    ("RELIANCE", "Reliance Industries", 37, "1521.30"),
    ("SBILIFE", "SBI Life Insurance", 38, "2001.75"),
    ("SBIN", "State Bank of India", 39, "971.60"),
    ("SHRIRAMFIN", "Shriram Finance", 40, "831.45"),
    ("SUNPHARMA", "Sun Pharmaceutical Industries", 41, "1781.20"),
    ("TATACONSUM", "Tata Consumer Products", 42, "1161.80"),
    ("TMPV", "Tata Motors Passenger Vehicles", 43, "361.45"),
    ("TATASTEEL", "Tata Steel", 44, "171.35"),
    ("TCS", "Tata Consultancy Services", 45, "3151.40"),
    ("TECHM", "Tech Mahindra", 46, "1451.60"),
    ("TITAN", "Titan Company", 47, "3852.30"),
    ("TRENT", "Trent", 48, "4201.50"),
    ("ULTRACEMCO", "UltraTech Cement", 49, "11705.00"),
    ("WIPRO", "Wipro", 50, "245.65"),
)

INSTRUMENTS: MappingProxyType[str, Instrument] = MappingProxyType(
    {
        sym: Instrument(symbol=sym, name=name, token=token, reference_price=Decimal(price))
        for sym, name, token, price in _TABLE
    }
)
_BY_TOKEN: MappingProxyType[int, Instrument] = MappingProxyType({i.token: i for i in INSTRUMENTS.values()})


def get_instrument(symbol: str, exchange: str = "NSE") -> Instrument | None:
    """The instrument for a trading symbol, or None when it is not in the universe."""
    if exchange not in EXCHANGES:
        return None
    return INSTRUMENTS.get(symbol)


def get_instrument_by_token(token: int) -> Instrument | None:
    return _BY_TOKEN.get(token)


def all_symbols() -> list[str]:
    """Every symbol, in token order (stable, so feeds and fixtures can rely on it)."""
    return [i.symbol for i in sorted(INSTRUMENTS.values(), key=lambda i: i.token)]


def is_known(symbol: str, exchange: str = "NSE") -> bool:
    return exchange in EXCHANGES and symbol in INSTRUMENTS
