"""The paper broker: a Redis-backed simulator shared by every process, with fault injection."""

from brokers.paper.broker import PaperBroker
from brokers.paper.faults import FAULT_FIELDS, Faults, clear_faults, parse_faults, set_faults
from brokers.paper.store import DEFAULT_REDIS_URL, paper_orders, paper_reset, paper_tag_counts

__all__ = [
    "DEFAULT_REDIS_URL",
    "FAULT_FIELDS",
    "Faults",
    "PaperBroker",
    "clear_faults",
    "paper_orders",
    "paper_reset",
    "paper_tag_counts",
    "parse_faults",
    "set_faults",
]
