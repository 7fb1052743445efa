"""Angel One SmartAPI: the adapter over a thin REST client of our own (TOTP login included)."""

from brokers.angelone.broker import AngelOneBroker

__all__ = ["AngelOneBroker"]
