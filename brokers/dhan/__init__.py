"""Dhan (DhanHQ v2): the adapter over a thin REST client of our own."""

from brokers.dhan.broker import DhanBroker

__all__ = ["DhanBroker"]
