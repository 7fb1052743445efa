"""Kite feed sessions pointing at a KiteSimulator."""

from __future__ import annotations

from apps.marketdata.kite_feed import KiteFeedSession
from brokers.simulators.kite import KiteSimulator


def kite_session(sim: KiteSimulator, *, access_token: str | None = None, account_id: int = 1) -> KiteFeedSession:
    return KiteFeedSession(
        account_id=account_id,
        api_key=sim.api_key,
        access_token=access_token if access_token is not None else sim.access_token,
        api_root=sim.base_url,
        ws_root=sim.ws_url,
    )
