"""Local HTTP (and WebSocket) servers that speak each broker's real protocol, for tests and demos.

Every simulator keeps one account's orders and positions in memory, fills MARKET orders at a
settable last price, takes faults at runtime (`set_fault`, see `FAULT_KINDS`), binds an
ephemeral loopback port, and is a context manager:

    with DhanSimulator() as sim:
        adapter = DhanBroker(..., options={"api_root": sim.api_root, ...})

Import a simulator from its module (`brokers.simulators.kite`, ...): the Kite one pulls in
`websockets`, which the others do not need.
"""

from brokers.simulators._base import FAULT_KINDS, SimOrder

__all__ = ["FAULT_KINDS", "SimOrder"]
