"""Which broker adapters exist, and which of the planned ones can be used yet."""

from __future__ import annotations

from brokers.angelone import AngelOneBroker
from brokers.base import BrokerAdapter
from brokers.dhan import DhanBroker
from brokers.fyers import FyersBroker
from brokers.paper import PaperBroker
from brokers.zerodha import ZerodhaBroker

ADAPTERS: dict[str, type[BrokerAdapter]] = {
    cls.name: cls for cls in (PaperBroker, ZerodhaBroker, DhanBroker, FyersBroker, AngelOneBroker)
}

# Every broker the product plans to support, for forms and the API; adapters land over time.
BROKER_CHOICES: list[tuple[str, str]] = [
    ("paper", PaperBroker.display_name),
    ("zerodha", ZerodhaBroker.display_name),
    ("dhan", DhanBroker.display_name),
    ("fyers", FyersBroker.display_name),
    ("angelone", AngelOneBroker.display_name),
]


def get_adapter_class(name: str) -> type[BrokerAdapter]:
    """The adapter class for a broker name; KeyError when none is available (yet)."""
    try:
        return ADAPTERS[name]
    except KeyError:
        planned = dict(BROKER_CHOICES)
        reason = "is planned but not available yet" if name in planned else "is not a known broker"
        raise KeyError(f"Broker {name!r} {reason}") from None


def is_available(name: str) -> bool:
    return name in ADAPTERS
