"""Dhan (DhanHQ v2) through our thin client. Our tag is Dhan's correlationId.

Options: api_root (default https://api.dhan.co/v2), timeout (seconds, default 7),
scrip_master_url (Dhan's security list, CSV; downloaded once a day per process),
security_ids ({"NSE:INFY": "1594", ...}: skips the download, for tests and pinned setups),
market_protection_pct (MARKET orders go out as LIMIT orders at most this far from the last price).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from brokers.base import (
    AccountCheck,
    BrokerAdapter,
    BrokerError,
    CredentialField,
    ErrorKind,
    OrderRequest,
    OrderResult,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Side,
    ensure_send_window,
)
from brokers.common import (
    DEFAULT_TIMEOUT,
    DailyCache,
    check_order,
    input_error,
    ist_to_utc,
    market_protection_percent,
    now_utc,
    protected_limit_price,
    to_decimal,
    to_int,
)
from brokers.dhan.client import DEFAULT_API_ROOT, DEFAULT_SCRIP_MASTER_URL, DhanClient

TAG_MAX = 30
SEGMENTS = {"NSE": "NSE_EQ", "BSE": "BSE_EQ"}
EXCHANGES = {v: k for k, v in SEGMENTS.items()}
PRODUCTS = {"MIS": "INTRADAY", "CNC": "CNC", "NRML": "MARGIN", "MTF": "MTF"}
ORDER_TYPES = {
    OrderType.MARKET: "MARKET",
    OrderType.LIMIT: "LIMIT",
    OrderType.SL: "STOP_LOSS",
    OrderType.SL_M: "STOP_LOSS_MARKET",
}
STATUSES = {
    "TRADED": OrderStatus.FILLED,
    "REJECTED": OrderStatus.REJECTED,
    "CANCELLED": OrderStatus.CANCELLED,
    "EXPIRED": OrderStatus.CANCELLED,
}  # TRANSIT, PENDING, PART_TRADED, TRIGGERED: still working
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f")
_MASTERS = DailyCache()


def order_result(order: Mapping[str, Any]) -> OrderResult:
    filled = to_int(order.get("filledQty"))
    average = to_decimal(order.get("averageTradedPrice"))
    return OrderResult(
        broker_order_id=str(order.get("orderId")),
        tag=str(order.get("correlationId") or ""),
        status=STATUSES.get(str(order.get("orderStatus")), OrderStatus.OPEN),
        side=Side(order.get("transactionType")),
        quantity=to_int(order.get("quantity")),
        filled_quantity=filled,
        average_price=average if filled and average else None,
        message=str(order.get("omsErrorDescription") or ""),
        placed_at=ist_to_utc(order.get("createTime"), _TIME_FORMATS),
        raw=dict(order),
    )


class DhanBroker(BrokerAdapter):
    name = "dhan"
    display_name = "Dhan"
    credential_fields = (
        CredentialField("client_id", "Client ID", secret=False),
        CredentialField("access_token", "Access token"),
    )

    def __init__(
        self, *, account_ref: str, credentials: Mapping[str, str], options: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(account_ref=account_ref, credentials=credentials, options=options)
        self.api_root: str = self.options.get("api_root") or DEFAULT_API_ROOT
        self.timeout = float(self.options.get("timeout") or DEFAULT_TIMEOUT)
        self._client: DhanClient | None = None

    @property
    def client(self) -> DhanClient:
        if self._client is None:
            self._client = DhanClient(
                client_id=self.credentials.get("client_id", ""),
                access_token=self.credentials.get("access_token", ""),
                base_url=self.api_root,
                timeout=self.timeout,
            )
        return self._client

    # -- instruments ------------------------------------------------------------------------

    def security_ids(self) -> Mapping[tuple[str, str], str]:
        """(exchange, symbol) -> Dhan security id, pinned in options or from the day's master."""
        pinned = self.options.get("security_ids")
        if pinned is not None:
            return {(k.split(":", 1)[0], k.split(":", 1)[1]): str(v) for k, v in pinned.items()}
        url = self.options.get("scrip_master_url") or DEFAULT_SCRIP_MASTER_URL
        return _MASTERS.get(url, lambda: self.client.download_scrip_master(url))

    def security_id(self, symbol: str, exchange: str) -> str:
        if exchange not in SEGMENTS:
            raise input_error(f"Dhan adapter trades NSE and BSE equities, not {exchange}")
        security_id = self.security_ids().get((exchange, symbol))
        if not security_id:
            raise input_error(f"Dhan has no security {exchange}:{symbol}")
        return security_id

    # -- BrokerAdapter ----------------------------------------------------------------------

    def validate_credentials(self) -> AccountCheck:
        errors = self.check_credential_shape(self.credentials)
        if errors:
            raise BrokerError(
                f"Invalid Dhan credentials: {', '.join(sorted(errors))}", kind=ErrorKind.CREDENTIALS, raw=errors
            )
        profile = self.client.request("GET", "/profile")
        if str(profile.get("dhanClientId")) != self.credentials["client_id"]:
            raise BrokerError("Dhan: the access token belongs to another client id", kind=ErrorKind.CREDENTIALS)
        return AccountCheck(
            account_name=str(profile.get("dhanClientId")),
            token_valid_until=ist_to_utc(profile.get("tokenValidity"), ("%d/%m/%Y %H:%M",)),
        )

    def submit(self, order: OrderRequest) -> OrderResult:
        check_order(order, max_tag_length=TAG_MAX, broker="Dhan")
        security_id = self.security_id(order.symbol, order.exchange)
        order_type = OrderType(order.order_type)
        side = Side(order.side)
        price = to_decimal(order.price)
        protection = market_protection_percent(self.options)
        if protection is not None and order_type is OrderType.MARKET:
            last = self.quote(order.symbol, order.exchange).last_price
            order_type, price = OrderType.LIMIT, protected_limit_price(side, last, protection)
        body = {
            "dhanClientId": self.credentials.get("client_id", ""),
            "correlationId": order.tag,
            "transactionType": side.value,
            "exchangeSegment": SEGMENTS[order.exchange],
            "productType": PRODUCTS.get(order.product, order.product),
            "orderType": ORDER_TYPES[order_type],
            "validity": "DAY",
            "securityId": security_id,
            "quantity": order.quantity,
            "disclosedQuantity": 0,
            "price": price if order_type in (OrderType.LIMIT, OrderType.SL) and price is not None else 0,
            "triggerPrice": to_decimal(order.trigger_price) or 0,
            "afterMarketOrder": False,
        }
        ensure_send_window(order)
        placed = self.client.request("POST", "/orders", json_body=body)
        order_id = str(placed.get("orderId"))
        try:
            detail = self.client.request("GET", f"/orders/{order_id}")
        except BrokerError:
            # Placed, but the status read failed: report it working; the engine reconciles by tag.
            return OrderResult(
                broker_order_id=order_id,
                tag=order.tag,
                status=STATUSES.get(str(placed.get("orderStatus")), OrderStatus.OPEN),
                side=side,
                quantity=order.quantity,
                message="Placed; status not read yet",
                raw=placed,
            )
        result = order_result(detail[0] if isinstance(detail, list) else detail)
        if result.status is OrderStatus.REJECTED:
            raise BrokerError(
                f"Dhan rejected the order: {result.message or 'no reason given'}", kind=ErrorKind.REJECTED, raw=result
            )
        return result

    def cancel(self, broker_order_id: str) -> OrderResult:
        self.client.request("DELETE", f"/orders/{broker_order_id}")
        detail = self.client.request("GET", f"/orders/{broker_order_id}")
        return order_result(detail[0] if isinstance(detail, list) else detail)

    def order_by_tag(self, tag: str) -> list[OrderResult]:
        """GET /orders/external/{correlationId}. Dhan answers with the order (the latest, if a
        correlation id was reused) or 404 when it has none."""
        try:
            found = self.client.request("GET", f"/orders/external/{tag}")
        except BrokerError as exc:
            status = exc.raw.get("status") if isinstance(exc.raw, dict) else None
            if status == 404 or (exc.kind is ErrorKind.INPUT and "DH-907" in exc.message):
                return []
            raise
        orders = found if isinstance(found, list) else [found] if found else []
        return [order_result(o) for o in orders if str(o.get("correlationId")) == tag]

    def positions(self) -> list[Position]:
        rows = self.client.request("GET", "/positions") or []
        symbols = {(exchange, sid): symbol for (exchange, symbol), sid in self.security_ids().items()}
        result = []
        for p in rows:
            exchange = EXCHANGES.get(str(p.get("exchangeSegment")))
            if exchange is None:
                continue
            symbol = symbols.get((exchange, str(p.get("securityId")))) or str(p.get("tradingSymbol"))
            net = to_int(p.get("netQty"))
            average = to_decimal(p.get("costPrice")) or Decimal(0)
            if not average:
                average = to_decimal(p.get("buyAvg" if net > 0 else "sellAvg")) or Decimal(0)
            result.append(
                Position(
                    symbol=symbol,
                    exchange=exchange,
                    quantity=net,
                    average_price=average,
                    realised_pnl=to_decimal(p.get("realizedProfit")) or Decimal(0),
                )
            )
        return result

    def quote(self, symbol: str, exchange: str) -> Quote:
        security_id = self.security_id(symbol, exchange)
        segment = SEGMENTS[exchange]
        data = self.client.request("POST", "/marketfeed/ltp", json_body={segment: [int(security_id)]})
        entry = ((data or {}).get("data") or {}).get(segment, {}).get(security_id) or {}
        price = to_decimal(entry.get("last_price"))
        if price is None or price <= 0:
            raise BrokerError(f"Dhan has no price for {exchange}:{symbol}", kind=ErrorKind.INPUT, raw=data)
        return Quote(symbol=symbol, exchange=exchange, last_price=price, timestamp=now_utc())
