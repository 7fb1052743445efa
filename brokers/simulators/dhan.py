"""A local DhanHQ v2 server for tests: JSON routes under /v2 with Dhan's error envelope
({"errorType", "errorCode": "DH-9xx", "errorMessage"}) and its scrip master CSV.

    with DhanSimulator() as sim:
        DhanBroker(..., options={"api_root": sim.api_root, "scrip_master_url": sim.scrip_master_url})

Security ids: 10000 + universe token on NSE, 500000 + universe token on BSE.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from brokers.common import IST
from brokers.simulators._base import (
    MARGIN_MESSAGE,
    BaseSimulator,
    Handler,
    Reply,
    Request,
    SimError,
    SimOrder,
    json_reply,
    parse_price,
)
from brokers.universe import INSTRUMENTS, get_instrument

SEGMENTS = {"NSE": "NSE_EQ", "BSE": "BSE_EQ"}
_ID_BASE = {"NSE": 10000, "BSE": 500000}
PRODUCTS = {"INTRADAY": "MIS", "CNC": "CNC", "MARGIN": "NRML", "MTF": "MTF"}
ORDER_TYPES = {"MARKET": "MARKET", "LIMIT": "LIMIT", "STOP_LOSS": "SL", "STOP_LOSS_MARKET": "SL-M"}
_STATUS = {"OPEN": "PENDING", "FILLED": "TRADED", "REJECTED": "REJECTED", "CANCELLED": "CANCELLED"}
CLIENT_ID = "1100000001"
_TIME = "%Y-%m-%d %H:%M:%S"


def security_id(symbol: str, exchange: str = "NSE") -> str:
    instrument = get_instrument(symbol, exchange)
    if instrument is None or exchange not in _ID_BASE:
        raise KeyError(f"{exchange}:{symbol}")
    return str(_ID_BASE[exchange] + instrument.token)


def _instrument_for(segment: str, sid: str) -> tuple[str, str] | None:
    exchange = {v: k for k, v in SEGMENTS.items()}.get(segment)
    if exchange is None or not sid.isdigit():
        return None
    for instrument in INSTRUMENTS.values():
        if _ID_BASE[exchange] + instrument.token == int(sid):
            return exchange, instrument.symbol
    return None


def _dhan_time(moment: dt.datetime) -> str:
    return moment.astimezone(IST).strftime(_TIME)


class DhanSimulator(BaseSimulator):
    name = "dhan"
    id_prefix = "52"

    def __init__(
        self,
        *,
        client_id: str = CLIENT_ID,
        access_token: str = "dhan_sim_token",  # noqa: S107 - a simulator's fixed test account
        hang_seconds: float = 3.0,
    ) -> None:
        self.client_id = client_id
        self.access_token = access_token
        super().__init__(hang_seconds=hang_seconds)

    @property
    def api_root(self) -> str:
        return self.base_url + "/v2"

    @property
    def scrip_master_url(self) -> str:
        return self.base_url + "/api-data/api-scrip-master.csv"

    def security_id(self, symbol: str, exchange: str = "NSE") -> str:
        return security_id(symbol, exchange)

    # -- envelopes --------------------------------------------------------------------------

    @staticmethod
    def error(status: int, code: str, error_type: str, message: str) -> Reply:
        return json_reply(status, {"errorType": error_type, "errorCode": code, "errorMessage": message})

    def error_reply(self, error: SimError) -> Reply:
        if error.kind == "not_found":
            return self.error(404, "DH-905", "Input_Exception", error.message)
        if error.kind == "state":
            return self.error(400, "DH-906", "Order_Error", error.message)
        return self.error(400, "DH-905", "Input_Exception", error.message)

    def not_found(self, request: Request) -> Reply:
        return self.error(404, "DH-910", "Others", f"No route for {request.method} {request.path}")

    def _authed(self, handler: Handler) -> Handler:
        def wrapped(request: Request, match: Any) -> Reply:
            if self.fault == "token" or request.headers.get("access-token") != self.access_token:
                return self.error(
                    401,
                    "DH-901",
                    "Invalid_Authentication",
                    "Client ID or user generated access token is invalid or expired.",
                )
            return handler(request, match)

        return wrapped

    def routes(self) -> list[tuple[str, str, Handler]]:
        a = self._authed
        return [
            ("GET", r"/v2/profile", a(self._profile)),
            ("POST", r"/v2/orders", a(self._place)),
            ("GET", r"/v2/orders", a(self._orders)),
            ("GET", r"/v2/orders/external/(?P<cid>[^/]+)", a(self._by_correlation)),
            ("GET", r"/v2/orders/(?P<order_id>\w+)", a(self._order)),
            ("DELETE", r"/v2/orders/(?P<order_id>\w+)", a(self._cancel)),
            ("GET", r"/v2/positions", a(self._positions)),
            ("POST", r"/v2/marketfeed/ltp", a(self._ltp)),
            ("GET", r"/api-data/api-scrip-master\.csv", self._scrip_master),
        ]

    # -- handlers ---------------------------------------------------------------------------

    def _profile(self, request: Request, match: Any) -> Reply:
        valid = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=24)).astimezone(IST)
        return json_reply(
            200,
            {
                "dhanClientId": self.client_id,
                "tokenValidity": valid.strftime("%d/%m/%Y %H:%M"),
                "activeSegment": "Equity, Derivative",
                "ddpi": "Active",
                "mtf": "Active",
                "dataPlan": "Active",
                "dataValidity": valid.strftime("%Y-%m-%d %H:%M:%S.0"),
            },
        )

    def order_json(self, order: SimOrder) -> dict[str, Any]:
        reverse_products = {v: k for k, v in PRODUCTS.items()}
        reverse_types = {v: k for k, v in ORDER_TYPES.items()}
        return {
            "dhanClientId": self.client_id,
            "orderId": order.order_id,
            "correlationId": order.tag,
            "orderStatus": _STATUS[order.status],
            "transactionType": order.side,
            "exchangeSegment": SEGMENTS[order.exchange],
            "productType": reverse_products.get(order.product, order.product),
            "orderType": reverse_types.get(order.order_type, order.order_type),
            "validity": "DAY",
            "tradingSymbol": order.symbol,
            "securityId": security_id(order.symbol, order.exchange),
            "quantity": order.quantity,
            "disclosedQuantity": 0,
            "price": order.price or 0,
            "triggerPrice": order.trigger_price or 0,
            "afterMarketOrder": False,
            "boProfitValue": 0,
            "boStopLossValue": 0,
            "legName": "",
            "createTime": _dhan_time(order.placed_at),
            "updateTime": _dhan_time(order.updated_at),
            "exchangeTime": _dhan_time(order.updated_at),
            "drvExpiryDate": "",
            "drvOptionType": "",
            "drvStrikePrice": 0,
            "omsErrorCode": "RMS" if order.status == "REJECTED" else "",
            "omsErrorDescription": order.message if order.status == "REJECTED" else "",
            "algoId": "",
            "remainingQuantity": order.quantity - order.filled_quantity,
            "averageTradedPrice": order.average_price or 0,
            "filledQty": order.filled_quantity,
        }

    def _place(self, request: Request, match: Any) -> Reply:
        body = request.json()
        if not isinstance(body, dict):
            raise SimError("input", "Request body must be a JSON object.")
        correlation_id = str(body.get("correlationId") or "")
        if len(correlation_id) > 30:
            raise SimError("input", "correlationId can be at most 30 characters.")
        found = _instrument_for(str(body.get("exchangeSegment")), str(body.get("securityId")))
        if found is None:
            raise SimError("input", "Invalid SecurityId or exchangeSegment.")
        order_type = ORDER_TYPES.get(str(body.get("orderType")))
        product = PRODUCTS.get(str(body.get("productType")))
        if order_type is None or product is None:
            raise SimError("input", "Invalid orderType or productType.")
        quantity = body.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise SimError("input", "Invalid quantity.")
        fault = self.placement_fault()
        if fault == "rate_limit":
            return self.error(
                429, "DH-904", "Rate_Limit", "Too many requests on server from single user breaching rate limits."
            )
        if fault == "server_error":
            return self.error(500, "DH-908", "Internal_Server_Error", "Server was not able to process the request.")
        if fault == "timeout":
            return self.hang()
        exchange, symbol = found
        order = self.book.place(
            tag=correlation_id,
            symbol=symbol,
            exchange=exchange,
            side=str(body.get("transactionType")),
            quantity=quantity,
            order_type=order_type,
            product=product,
            price=parse_price(body.get("price"), "price"),
            trigger_price=parse_price(body.get("triggerPrice"), "triggerPrice"),
            reject=MARGIN_MESSAGE if fault == "reject" else None,
        )
        reply = json_reply(200, {"orderId": order.order_id, "orderStatus": "TRANSIT"})
        return self.hang(reply) if fault == "lose_reply" else reply

    def _orders(self, request: Request, match: Any) -> Reply:
        return json_reply(200, [self.order_json(o) for o in self.book.orders()])

    def _order(self, request: Request, match: Any) -> Reply:
        order = self.book.get(match["order_id"])
        if order is None:
            raise SimError("not_found", "Order not found.")
        return json_reply(200, self.order_json(order))

    def _by_correlation(self, request: Request, match: Any) -> Reply:
        orders = self.book.orders_with_tag(match["cid"])
        if not orders:
            return self.error(404, "DH-907", "Data_Error", "No order found for this correlation id.")
        return json_reply(200, self.order_json(orders[-1]))

    def _cancel(self, request: Request, match: Any) -> Reply:
        order = self.book.cancel(match["order_id"])
        return json_reply(202, {"orderId": order.order_id, "orderStatus": "CANCELLED"})

    def _positions(self, request: Request, match: Any) -> Reply:
        reverse_products = {v: k for k, v in PRODUCTS.items()}
        rows = []
        for p in self.book.positions():
            rows.append(
                {
                    "dhanClientId": self.client_id,
                    "tradingSymbol": p.symbol,
                    "securityId": security_id(p.symbol, p.exchange),
                    "positionType": "LONG" if p.quantity > 0 else "SHORT" if p.quantity < 0 else "CLOSED",
                    "exchangeSegment": SEGMENTS[p.exchange],
                    "productType": reverse_products.get(p.product, p.product),
                    "buyAvg": p.buy_average,
                    "costPrice": p.average_price,
                    "buyQty": p.buy_quantity,
                    "sellAvg": p.sell_average,
                    "sellQty": p.sell_quantity,
                    "netQty": p.quantity,
                    "realizedProfit": p.realised,
                    "unrealizedProfit": p.unrealised,
                    "rbiReferenceRate": 1.0,
                    "multiplier": 1,
                    "carryForwardBuyQty": 0,
                    "carryForwardSellQty": 0,
                    "dayBuyQty": p.buy_quantity,
                    "daySellQty": p.sell_quantity,
                    "dayBuyValue": p.buy_quantity * p.buy_average,
                    "daySellValue": p.sell_quantity * p.sell_average,
                    "drvExpiryDate": "0001-01-01",
                    "drvOptionType": None,
                    "drvStrikePrice": 0.0,
                    "crossCurrency": False,
                }
            )
        return json_reply(200, rows)

    def _ltp(self, request: Request, match: Any) -> Reply:
        if request.headers.get("client-id") != self.client_id:
            return self.error(400, "DH-905", "Input_Exception", "client-id header is required.")
        body = request.json()
        data: dict[str, dict[str, Any]] = {}
        for segment, ids in (body or {}).items():
            for sid in ids or []:
                found = _instrument_for(segment, str(sid))
                if found is not None:
                    data.setdefault(segment, {})[str(sid)] = {"last_price": self.book.last_price(found[1], found[0])}
        return json_reply(200, {"data": data, "status": "success"})

    def _scrip_master(self, request: Request, match: Any) -> Reply:
        columns = [
            "SEM_EXM_EXCH_ID",
            "SEM_SEGMENT",
            "SEM_SMST_SECURITY_ID",
            "SEM_INSTRUMENT_NAME",
            "SEM_EXPIRY_CODE",
            "SEM_TRADING_SYMBOL",
            "SEM_LOT_UNITS",
            "SEM_CUSTOM_SYMBOL",
            "SEM_EXPIRY_DATE",
            "SEM_STRIKE_PRICE",
            "SEM_OPTION_TYPE",
            "SEM_TICK_SIZE",
            "SEM_EXPIRY_FLAG",
            "SEM_EXCH_INSTRUMENT_TYPE",
            "SEM_SERIES",
            "SM_SYMBOL_NAME",
        ]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for exchange in SEGMENTS:
            for i in INSTRUMENTS.values():
                tail = ["", "0.0", "XX", str(i.tick_size * 100), "NA", "ES"]
                head = [exchange, "E", security_id(i.symbol, exchange), "EQUITY", "0", i.symbol, "1.0", i.name]
                if exchange == "NSE":  # listed first, the BE series line must not shadow EQ's
                    writer.writerow(["NSE", "E", "9" + head[2], *head[3:], *tail, "BE", i.name.upper()])
                writer.writerow([*head, *tail, "EQ" if exchange == "NSE" else "A", i.name.upper()])
        return Reply(200, out.getvalue().encode(), content_type="text/csv")
