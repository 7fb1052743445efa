"""Fyers (API v3): the adapter over a thin REST client of our own."""

from brokers.fyers.broker import FyersBroker

__all__ = ["FyersBroker"]
