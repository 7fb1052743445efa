from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings

from brokers.paper import clear_faults, paper_tag_counts, set_faults


@pytest.fixture
def paper_account(make_user: Callable[..., Any]) -> Any:
    from apps.broker_accounts.services import broker_account_connect

    return broker_account_connect(user=make_user("user"), broker="paper", credentials={})


@pytest.fixture
def running_strategy(paper_account: Any) -> Callable[..., Any]:
    from apps.strategies.services import strategy_create, strategy_start

    def make(account: Any = None, **fields: Any) -> Any:
        account = account or paper_account
        data = {
            "name": "t",
            "symbol": "TCS",
            "quantity": 5,
            "buy_time": dt.time(9, 20),
            "sell_time": dt.time(15, 10),
            "stop_loss": Decimal("3000"),
            "broker_account": account.pk,
        } | fields
        return strategy_start(strategy=strategy_create(user=account.user, **data))

    return make


@pytest.fixture
def faults(paper_account: Any) -> Any:
    """faults(**rates) sets paper faults for the test's account; cleared afterwards."""
    ref = str(paper_account.pk)

    def apply(**values: Any) -> None:
        set_faults(settings.REDIS_URL, ref, **values)

    yield apply
    clear_faults(settings.REDIS_URL, ref)


@pytest.fixture
def broker_orders(paper_account: Any) -> Callable[[], dict[str, int]]:
    return lambda: paper_tag_counts(settings.REDIS_URL, str(paper_account.pk))
