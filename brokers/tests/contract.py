"""The behaviour every broker adapter must show, as a reusable test class.

A broker's test module subclasses `AdapterContract` (name the subclass `Test...` so pytest
collects it) and provides two fixtures:

    adapter     a ready adapter on a fresh, empty account, built with non-empty credentials
    set_fault   a callable set_fault(kind) that makes the adapter's (simulated) broker answer
                every following order placement with that fault, or clears faults when kind
                is None. Kinds: "token", "reject", "timeout", "lose_reply", "rate_limit".
                A simulator that cannot produce a kind calls pytest.skip for it.

Override `symbol`, `other_symbol`, `exchange` or `quantity` when a broker's sandbox needs to.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from brokers.base import BrokerAdapter, BrokerError, ErrorKind, OrderRequest, OrderStatus, OrderType, Side

FAULT_KINDS = ("token", "reject", "timeout", "lose_reply", "rate_limit")


def new_tag() -> str:
    # 16 characters: within Kite's 20-character tag limit.
    return uuid.uuid4().hex[:16]


class AdapterContract:
    symbol = "INFY"
    other_symbol = "RELIANCE"
    exchange = "NSE"
    quantity = 2

    def order(
        self, *, side: Side = Side.BUY, quantity: int | None = None, symbol: str | None = None, **fields: object
    ) -> OrderRequest:
        values: dict[str, object] = {
            "tag": new_tag(),
            "symbol": symbol or self.symbol,
            "exchange": self.exchange,
            "side": side,
            "quantity": self.quantity if quantity is None else quantity,
        }
        values.update(fields)
        return OrderRequest(**values)  # type: ignore[arg-type]

    def net_quantity(self, adapter: BrokerAdapter, symbol: str) -> int:
        return sum(p.quantity for p in adapter.positions() if p.symbol == symbol and p.exchange == self.exchange)

    # -- placing and finding orders ---------------------------------------------------------

    def test_market_buy_fills_with_order_id_and_tag(self, adapter: BrokerAdapter) -> None:
        request = self.order()
        result = adapter.submit(request)
        assert result.broker_order_id
        assert result.tag == request.tag
        assert result.status is OrderStatus.FILLED
        assert result.side is Side.BUY
        assert result.quantity == result.filled_quantity == request.quantity
        assert result.average_price is not None and result.average_price > 0

    def test_order_by_tag_finds_the_order(self, adapter: BrokerAdapter) -> None:
        request = self.order()
        placed = adapter.submit(request)
        found = adapter.order_by_tag(request.tag)
        assert [o.broker_order_id for o in found] == [placed.broker_order_id]
        assert found[0].tag == request.tag
        assert found[0].status is OrderStatus.FILLED
        assert found[0].quantity == request.quantity

    def test_order_by_tag_of_unknown_tag_is_empty(self, adapter: BrokerAdapter) -> None:
        assert adapter.order_by_tag(new_tag()) == []

    def test_distinct_orders_get_distinct_ids(self, adapter: BrokerAdapter) -> None:
        ids = {adapter.submit(self.order()).broker_order_id for _ in range(3)}
        assert len(ids) == 3

    # -- positions and quotes ---------------------------------------------------------------

    def test_sell_reduces_position(self, adapter: BrokerAdapter) -> None:
        adapter.submit(self.order(quantity=5))
        adapter.submit(self.order(side=Side.SELL, quantity=2))
        assert self.net_quantity(adapter, self.symbol) == 3

    def test_positions_reflect_net_quantity(self, adapter: BrokerAdapter) -> None:
        assert adapter.positions() == []
        adapter.submit(self.order(quantity=3))
        adapter.submit(self.order(quantity=2))
        adapter.submit(self.order(side=Side.SELL, quantity=1))
        adapter.submit(self.order(side=Side.SELL, quantity=6, symbol=self.other_symbol))
        assert self.net_quantity(adapter, self.symbol) == 4
        assert self.net_quantity(adapter, self.other_symbol) == -6
        for position in adapter.positions():
            assert position.average_price > 0

    def test_quote_has_positive_price(self, adapter: BrokerAdapter) -> None:
        quote = adapter.quote(self.symbol, self.exchange)
        assert quote.symbol == self.symbol
        assert quote.exchange == self.exchange
        assert quote.last_price > 0
        assert quote.timestamp.tzinfo is not None

    # -- errors -----------------------------------------------------------------------------

    def test_unknown_symbol_is_a_final_error(self, adapter: BrokerAdapter) -> None:
        request = self.order(symbol="NOSUCHSTOCK")
        with pytest.raises(BrokerError) as caught:
            adapter.submit(request)
        assert caught.value.final
        assert adapter.order_by_tag(request.tag) == []

    @pytest.mark.parametrize("quantity", [0, -1])
    def test_non_positive_quantity_is_a_final_error(self, adapter: BrokerAdapter, quantity: int) -> None:
        request = self.order(quantity=quantity)
        with pytest.raises(BrokerError) as caught:
            adapter.submit(request)
        assert caught.value.final
        assert adapter.order_by_tag(request.tag) == []

    def test_cancelling_a_filled_order_is_a_final_error(self, adapter: BrokerAdapter) -> None:
        placed = adapter.submit(self.order())
        with pytest.raises(BrokerError) as caught:
            adapter.cancel(placed.broker_order_id)
        assert caught.value.final

    def test_far_limit_order_stays_open_and_can_be_cancelled(self, adapter: BrokerAdapter) -> None:
        last = adapter.quote(self.symbol, self.exchange).last_price
        tick = Decimal("0.05")
        far = max((last / 2 / tick).to_integral_value(), Decimal(1)) * tick
        request = self.order(order_type=OrderType.LIMIT, price=far)
        placed = adapter.submit(request)
        assert placed.status is OrderStatus.OPEN
        assert placed.filled_quantity == 0
        cancelled = adapter.cancel(placed.broker_order_id)
        assert cancelled.broker_order_id == placed.broker_order_id
        assert cancelled.status is OrderStatus.CANCELLED
        assert [o.status for o in adapter.order_by_tag(request.tag)] == [OrderStatus.CANCELLED]
        assert self.net_quantity(adapter, self.symbol) == 0

    def test_repr_never_shows_credentials(self, adapter: BrokerAdapter) -> None:
        assert adapter.credentials, "the adapter fixture must be built with credential values"
        shown = repr(adapter) + str(adapter)
        for value in adapter.credentials.values():
            assert value not in shown

    # -- faults -----------------------------------------------------------------------------

    def test_expired_token_is_a_final_token_error(self, adapter: BrokerAdapter, set_fault) -> None:
        set_fault("token")
        request = self.order()
        with pytest.raises(BrokerError) as caught:
            adapter.submit(request)
        assert caught.value.kind is ErrorKind.TOKEN and caught.value.final
        set_fault(None)
        assert adapter.order_by_tag(request.tag) == []

    def test_rejection_is_final_and_visible_by_tag(self, adapter: BrokerAdapter, set_fault) -> None:
        set_fault("reject")
        request = self.order()
        with pytest.raises(BrokerError) as caught:
            adapter.submit(request)
        assert caught.value.kind is ErrorKind.REJECTED and caught.value.final
        set_fault(None)
        assert [o.status for o in adapter.order_by_tag(request.tag)] == [OrderStatus.REJECTED]
        assert self.net_quantity(adapter, self.symbol) == 0

    def test_timeout_is_unknown_and_places_nothing(self, adapter: BrokerAdapter, set_fault) -> None:
        set_fault("timeout")
        request = self.order()
        with pytest.raises(BrokerError) as caught:
            adapter.submit(request)
        assert caught.value.kind is ErrorKind.UNKNOWN and not caught.value.final
        set_fault(None)
        assert adapter.order_by_tag(request.tag) == []

    def test_lost_reply_is_unknown_but_the_order_exists(self, adapter: BrokerAdapter, set_fault) -> None:
        set_fault("lose_reply")
        request = self.order()
        with pytest.raises(BrokerError) as caught:
            adapter.submit(request)
        assert caught.value.kind is ErrorKind.UNKNOWN and not caught.value.final
        set_fault(None)
        found = adapter.order_by_tag(request.tag)
        assert [o.status for o in found] == [OrderStatus.FILLED]
        assert self.net_quantity(adapter, self.symbol) == request.quantity

    def test_rate_limit_is_not_final_and_places_nothing(self, adapter: BrokerAdapter, set_fault) -> None:
        set_fault("rate_limit")
        request = self.order()
        with pytest.raises(BrokerError) as caught:
            adapter.submit(request)
        assert caught.value.kind is ErrorKind.RATE_LIMIT and not caught.value.final
        set_fault(None)
        assert adapter.order_by_tag(request.tag) == []
