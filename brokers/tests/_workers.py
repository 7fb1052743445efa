"""Process entry points for multi-process tests (spawned children import this small module)."""

from __future__ import annotations

from brokers.base import OrderRequest, Side
from brokers.paper import PaperBroker


def place_orders(redis_url: str, account_ref: str, tag: str, count: int) -> list[str]:
    adapter = PaperBroker(account_ref=account_ref, credentials={}, options={"redis_url": redis_url})
    request = OrderRequest(tag=tag, symbol="INFY", exchange="NSE", side=Side.BUY, quantity=1)
    return [adapter.submit(request).broker_order_id for _ in range(count)]
