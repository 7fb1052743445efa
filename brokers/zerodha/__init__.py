"""Zerodha Kite Connect: the adapter (official `kiteconnect` client) and the ticker bridge."""

from brokers.zerodha.broker import KiteSession, ZerodhaBroker

__all__ = ["KiteSession", "ZerodhaBroker"]
