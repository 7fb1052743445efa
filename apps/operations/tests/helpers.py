"""Small builders shared by the operations, monitoring, dashboard and playground tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone


def paper_account(user: Any, label: str | None = None) -> Any:
    from apps.broker_accounts.services import broker_account_connect

    return broker_account_connect(user=user, broker="paper", credentials={}, label=label)


def make_strategy(user: Any, account: Any = None, *, running: bool = True, **fields: Any) -> Any:
    from apps.strategies.services import strategy_create, strategy_start

    account = account or paper_account(user)
    data = {
        "name": "TCS morning",
        "symbol": "TCS",
        "quantity": 10,
        "buy_time": dt.time(9, 20),
        "sell_time": dt.time(15, 10),
        "stop_loss": Decimal("3000"),
        "broker_account": account.pk,
    } | fields
    strategy = strategy_create(user=user, **data)
    return strategy_start(strategy=strategy) if running else strategy


def make_intent(strategy: Any, *, leg: str = "ENTRY", status: str = "FILLED", price: str | None = "100.00", **over: Any) -> Any:
    from apps.orders.models import OrderIntent
    from apps.strategies.calendar import trading_day_of

    now = timezone.now()
    filled = status == "FILLED"
    data = {
        "strategy": strategy,
        "user_id": strategy.user_id,
        "broker_account_id": strategy.broker_account_id,
        "trading_day": trading_day_of(now),
        "leg": leg,
        "side": "BUY" if leg == "ENTRY" else "SELL",
        "reason": "SCHEDULED",
        "symbol": strategy.symbol,
        "exchange": strategy.exchange,
        "product": strategy.product,
        "quantity": strategy.quantity,
        "status": status,
        "filled_quantity": strategy.quantity if filled else 0,
        "average_price": Decimal(price) if filled and price is not None else None,
        "created_at": now,
        "updated_at": now,
    } | over
    return OrderIntent.objects.create(**data)
