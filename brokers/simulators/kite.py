"""A local Zerodha Kite Connect v3 server for tests: REST (what the official `kiteconnect`
client sends and expects) plus the ticker WebSocket (binary frames as the real one).

    with KiteSimulator(ticker=True) as sim:
        kite = KiteConnect(sim.api_key, access_token=sim.access_token, root=sim.base_url)
        ... KiteTicker(sim.api_key, sim.access_token, root=sim.ws_url) in another process ...

Instrument tokens follow Kite's layout, exchange_token << 8 | segment (NSE 1, BSE 4), with our
universe token as the exchange token; `instrument_token(symbol, exchange)` gives one.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import secrets
import struct
import threading
import time
from decimal import Decimal
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as WsRequest
from websockets.http11 import Response as WsResponse

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
from brokers.universe import EXCHANGES, INSTRUMENTS, get_instrument, get_instrument_by_token

SEGMENTS = {"NSE": 1, "BSE": 4}
VARIETIES = ("regular", "amo", "co", "iceberg", "auction")
PRODUCTS = ("MIS", "CNC", "NRML", "MTF")
USER_ID = "ZS1234"
_KITE_TIME = "%Y-%m-%d %H:%M:%S"


def instrument_token(symbol: str, exchange: str = "NSE") -> int:
    instrument = get_instrument(symbol, exchange)
    if instrument is None or exchange not in SEGMENTS:
        raise KeyError(f"{exchange}:{symbol}")
    return instrument.token << 8 | SEGMENTS[exchange]


def instrument_for_token(token: int) -> tuple[str, str] | None:
    """(exchange, symbol) of a simulator instrument token, or None."""
    exchange = {v: k for k, v in SEGMENTS.items()}.get(token & 0xFF)
    instrument = get_instrument_by_token(token >> 8)
    if exchange is None or instrument is None:
        return None
    return exchange, instrument.symbol


def _kite_time(moment: dt.datetime) -> str:
    return moment.astimezone(IST).strftime(_KITE_TIME)


def _paise(price: Decimal) -> int:
    return int((price * 100).to_integral_value())


# -- ticker packets (big-endian, prices in paise) ---------------------------------------------


def ltp_packet(token: int, price: Decimal) -> bytes:
    return struct.pack(">II", token, _paise(price))


def quote_packet(token: int, price: Decimal, *, volume: int = 0, close: Decimal | None = None) -> bytes:
    p = _paise(price)
    c = _paise(close) if close is not None else p
    # token, LTP, last qty, average price, volume, total buy qty, total sell qty, open, high, low, close
    return struct.pack(">11I", token, p, 1, p, volume, 0, 0, p, p, p, c)


def full_packet(token: int, price: Decimal, *, timestamp: int, volume: int = 0) -> bytes:
    head = quote_packet(token, price, volume=volume)
    # last trade time, OI, OI day high, OI day low, exchange timestamp
    middle = struct.pack(">5I", timestamp, 0, 0, 0, timestamp)
    p = _paise(price)
    depth = b"".join(struct.pack(">IiH2x", 10 * (i + 1), p - 5 * (i + 1), i + 1) for i in range(5))
    depth += b"".join(struct.pack(">IiH2x", 10 * (i + 1), p + 5 * (i + 1), i + 1) for i in range(5))
    return head + middle + depth


def frame(packets: list[bytes]) -> bytes:
    """One binary message: uint16 packet count, then uint16 length + bytes per packet."""
    return struct.pack(">H", len(packets)) + b"".join(struct.pack(">H", len(p)) + p for p in packets)


HEARTBEAT = b"\x00"


class KiteSimulator(BaseSimulator):
    name = "kite"
    id_prefix = "25"

    def __init__(
        self,
        *,
        api_key: str = "kite_sim_key",
        api_secret: str = "kite_sim_secret",  # noqa: S107 - a simulator's fixed test account
        access_token: str = "kite_sim_token",  # noqa: S107
        hang_seconds: float = 3.0,
        ticker: bool = False,
        tick_interval: float = 0.1,
        orders_per_second: int | None = 10,
    ) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.access_token = access_token
        self._tokens = {access_token}
        self._request_tokens: set[str] = set()
        # Kite's order limit (10/s per user): a placement over it answers 429 and places nothing.
        self.orders_per_second = orders_per_second
        self._placement_times: list[float] = []  # monotonic times of placements let through
        self._rate_limited = 0
        super().__init__(hang_seconds=hang_seconds)
        self._ticker = _TickerServer(self, tick_interval) if ticker else None

    # -- lifecycle and controls -------------------------------------------------------------

    def start(self) -> str:
        url = super().start()
        if self._server is not None:
            # socketserver listens with a backlog of 5: a burst of connections would lose SYNs
            # and arrive a second late, which no real broker front end does. Linux takes a
            # second listen() as a new backlog.
            self._server.socket.listen(256)
        if self._ticker is not None:
            self._ticker.start()
        return url

    def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
        super().stop()

    @property
    def ws_url(self) -> str:
        if self._ticker is None:
            raise RuntimeError("start the simulator with ticker=True for the WebSocket")
        return self._ticker.url

    def issue_request_token(self) -> str:
        """What Kite puts on the redirect URL after the user logs in (single use)."""
        token = secrets.token_hex(16)
        with self._lock:
            self._request_tokens.add(token)
        return token

    def access_tokens(self) -> set[str]:
        """Every access token that works now (tests check none of them leaks into a log)."""
        with self._lock:
            return set(self._tokens)

    def expire_tokens(self) -> None:
        """Every access token stops working, as at Kite's daily 06:00 IST reset."""
        with self._lock:
            self._tokens.clear()

    def token_valid(self, api_key: str | None, access_token: str | None) -> bool:
        if self.fault == "token":
            return False
        with self._lock:
            return api_key == self.api_key and access_token in self._tokens

    def instrument_token(self, symbol: str, exchange: str = "NSE") -> int:
        return instrument_token(symbol, exchange)

    def placement_times(self) -> list[float]:
        """time.monotonic() of every order placement the rate limit let through."""
        with self._lock:
            return list(self._placement_times)

    @property
    def rate_limited_count(self) -> int:
        """How many placements were refused with 429 by the orders-per-second limit."""
        with self._lock:
            return self._rate_limited

    def _over_order_rate(self) -> bool:
        """Count this placement in a sliding one-second window; True when it is over the limit."""
        if self.orders_per_second is None:
            return False
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._placement_times[-self.orders_per_second :] if t > now - 1.0]
            if len(recent) >= self.orders_per_second:
                self._rate_limited += 1
                return True
            self._placement_times.append(now)
            return False

    # -- envelopes --------------------------------------------------------------------------

    @staticmethod
    def ok(data: Any) -> Reply:
        return json_reply(200, {"status": "success", "data": data})

    @staticmethod
    def error(status: int, error_type: str, message: str) -> Reply:
        return json_reply(status, {"status": "error", "message": message, "data": None, "error_type": error_type})

    def error_reply(self, error: SimError) -> Reply:
        return self.error(400, "InputException", error.message)

    def not_found(self, request: Request) -> Reply:
        return self.error(404, "GeneralException", "Route not found")

    def _authed(self, handler: Handler) -> Handler:
        def wrapped(request: Request, match: Any) -> Reply:
            header = request.headers.get("Authorization") or ""
            scheme, _, credentials = header.partition(" ")
            api_key, _, access_token = credentials.partition(":")
            if scheme != "token" or not self.token_valid(api_key, access_token):
                return self.error(403, "TokenException", "Incorrect `api_key` or `access_token`.")
            return handler(request, match)

        return wrapped

    def routes(self) -> list[tuple[str, str, Handler]]:
        a = self._authed
        return [
            ("POST", r"/session/token", self._session_token),
            ("GET", r"/user/profile", a(self._profile)),
            ("GET", r"/user/margins", a(self._margins)),
            ("GET", r"/orders", a(self._orders)),
            ("POST", r"/orders/(?P<variety>[a-z]+)", a(self._place)),
            ("DELETE", r"/orders/(?P<variety>[a-z]+)/(?P<order_id>\w+)", a(self._cancel)),
            ("GET", r"/orders/(?P<order_id>\w+)", a(self._history)),
            ("GET", r"/portfolio/positions", a(self._positions)),
            ("GET", r"/quote/ltp", a(self._ltp)),
            ("GET", r"/instruments(?:/(?P<exchange>[A-Z]+))?", self._instruments),
        ]

    # -- REST handlers ----------------------------------------------------------------------

    def _session_token(self, request: Request, match: Any) -> Reply:
        form = request.form()
        request_token = form.get("request_token", "")
        expected = hashlib.sha256((self.api_key + request_token + self.api_secret).encode()).hexdigest()
        if form.get("api_key") != self.api_key:
            return self.error(403, "TokenException", "Invalid `api_key`.")
        with self._lock:
            known = request_token in self._request_tokens
        if not known:
            return self.error(403, "TokenException", "Token is invalid or has expired.")
        if not hmac.compare_digest(form.get("checksum", ""), expected):
            return self.error(403, "TokenException", "Invalid `checksum`.")
        access_token = secrets.token_hex(16)
        with self._lock:
            self._request_tokens.discard(request_token)
            self._tokens.add(access_token)
        profile = self._profile_data()
        return self.ok(
            {
                **profile,
                "api_key": self.api_key,
                "access_token": access_token,
                "public_token": secrets.token_hex(8),
                "refresh_token": "",
                "enctoken": secrets.token_hex(8),
                "login_time": _kite_time(dt.datetime.now(dt.UTC)),
            }
        )

    def _profile_data(self) -> dict[str, Any]:
        return {
            "user_id": USER_ID,
            "user_type": "individual",
            "email": "sim@example.test",
            "user_name": "Kite Simulator",
            "user_shortname": "Sim",
            "broker": "ZERODHA",
            "exchanges": list(EXCHANGES),
            "products": list(PRODUCTS),
            "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
            "avatar_url": None,
            "meta": {"demat_consent": "consent"},
        }

    def _profile(self, request: Request, match: Any) -> Reply:
        return self.ok(self._profile_data())

    def _margins(self, request: Request, match: Any) -> Reply:
        segment = {"enabled": True, "net": 100000.0, "available": {"cash": 100000.0}, "utilised": {}}
        return self.ok({"equity": segment, "commodity": {**segment, "net": 0.0}})

    def order_json(self, order: SimOrder, status: str | None = None) -> dict[str, Any]:
        if status is None:
            status = {"FILLED": "COMPLETE"}.get(order.status, order.status)
            if status == "OPEN" and order.trigger_price is not None:
                last = self.book.last_price(order.symbol, order.exchange)
                triggered = last >= order.trigger_price if order.side == "BUY" else last <= order.trigger_price
                status = "OPEN" if triggered else "TRIGGER PENDING"
        filled = order.filled_quantity if status in ("COMPLETE", "OPEN", "CANCELLED") else 0
        return {
            "placed_by": USER_ID,
            "order_id": order.order_id,
            "exchange_order_id": None if order.status == "REJECTED" else "1100000" + order.order_id[-8:],
            "parent_order_id": None,
            "status": status,
            "status_message": order.message or None,
            "status_message_raw": order.message or None,
            "order_timestamp": _kite_time(order.updated_at),
            "exchange_update_timestamp": _kite_time(order.updated_at),
            "exchange_timestamp": _kite_time(order.placed_at),
            "variety": order.extra.get("variety", "regular"),
            "modified": False,
            "exchange": order.exchange,
            "tradingsymbol": order.symbol,
            "instrument_token": instrument_token(order.symbol, order.exchange),
            "order_type": order.order_type,
            "transaction_type": order.side,
            "validity": order.extra.get("validity", "DAY"),
            "validity_ttl": 0,
            "product": order.product,
            "quantity": order.quantity,
            "disclosed_quantity": 0,
            "price": order.price or 0,
            "trigger_price": order.trigger_price or 0,
            "average_price": order.average_price or 0,
            "filled_quantity": filled,
            "pending_quantity": order.quantity - filled if status == "OPEN" else 0,
            "cancelled_quantity": order.quantity - filled if status == "CANCELLED" else 0,
            "market_protection": order.extra.get("market_protection") or 0,
            "meta": {},
            "tag": order.tag or None,
            "tags": [order.tag] if order.tag else [],
            "algo_id": order.extra.get("algo_id"),
            "guid": order.order_id,
        }

    def _orders(self, request: Request, match: Any) -> Reply:
        return self.ok([self.order_json(o) for o in self.book.orders()])

    def _history(self, request: Request, match: Any) -> Reply:
        order = self.book.get(match["order_id"])
        if order is None:
            return self.error(400, "InputException", "Couldn't find that `order_id`.")
        steps = ["PUT ORDER REQ RECEIVED", "VALIDATION PENDING"]
        if order.status != "REJECTED":
            steps += ["OPEN PENDING", "OPEN"]
        history = [self.order_json(order, status) for status in steps]
        for entry in history:
            entry.update(filled_quantity=0, average_price=0, status_message=None)
        history.append(self.order_json(order))
        return self.ok(history)

    def _place(self, request: Request, match: Any) -> Reply:
        if self._over_order_rate():
            return self.error(429, "NetworkException", "Too many requests")
        form = request.form()
        variety = match["variety"]
        if variety not in VARIETIES:
            return self.error(400, "InputException", "Invalid `variety`.")
        tag = form.get("tag", "")
        if len(tag) > 20 or (tag and not tag.isalnum()):
            return self.error(400, "InputException", "Invalid `tag`. Tags can be up to 20 alphanumeric characters.")
        if form.get("product") not in PRODUCTS:
            return self.error(400, "InputException", "Invalid `product`.")
        try:
            quantity = int(form.get("quantity", ""))
        except ValueError:
            return self.error(400, "InputException", "Invalid `quantity`.")
        if get_instrument(form.get("tradingsymbol", ""), form.get("exchange", "")) is None:
            return self.error(400, "InputException", "Invalid `tradingsymbol`.")
        fault = self.placement_fault()
        if fault == "rate_limit":
            return self.error(429, "NetworkException", "Too many requests")
        if fault == "server_error":
            return self.error(503, "NetworkException", "Order management system is unreachable.")
        if fault == "timeout":
            return self.hang()
        extra = {
            "variety": variety,
            "validity": form.get("validity", "DAY"),
            "market_protection": form.get("market_protection"),
            "algo_id": form.get("algo_id"),
        }
        order = self.book.place(
            tag=tag,
            symbol=form["tradingsymbol"],
            exchange=form["exchange"],
            side=form.get("transaction_type", ""),
            quantity=quantity,
            order_type=form.get("order_type", ""),
            product=form["product"],
            price=parse_price(form.get("price"), "price"),
            trigger_price=parse_price(form.get("trigger_price"), "trigger_price"),
            reject=MARGIN_MESSAGE if fault == "reject" else None,
            extra=extra,
        )
        reply = self.ok({"order_id": order.order_id})
        return self.hang(reply) if fault == "lose_reply" else reply

    def _cancel(self, request: Request, match: Any) -> Reply:
        try:
            order = self.book.cancel(match["order_id"])
        except SimError as exc:
            if exc.kind == "not_found":
                return self.error(400, "InputException", "Couldn't find that `order_id`.")
            return self.error(400, "InputException", exc.message)
        return self.ok({"order_id": order.order_id})

    def _positions(self, request: Request, match: Any) -> Reply:
        net = []
        for p in self.book.positions():
            net.append(
                {
                    "tradingsymbol": p.symbol,
                    "exchange": p.exchange,
                    "instrument_token": instrument_token(p.symbol, p.exchange),
                    "product": p.product,
                    "quantity": p.quantity,
                    "overnight_quantity": 0,
                    "multiplier": 1,
                    "average_price": p.average_price,
                    "close_price": 0,
                    "last_price": p.last_price,
                    "value": p.sell_quantity * p.sell_average - p.buy_quantity * p.buy_average,
                    "pnl": p.realised + p.unrealised,
                    "m2m": p.realised + p.unrealised,
                    "unrealised": p.unrealised,
                    "realised": p.realised,
                    "buy_quantity": p.buy_quantity,
                    "buy_price": p.buy_average,
                    "buy_value": p.buy_quantity * p.buy_average,
                    "sell_quantity": p.sell_quantity,
                    "sell_price": p.sell_average,
                    "sell_value": p.sell_quantity * p.sell_average,
                    "day_buy_quantity": p.buy_quantity,
                    "day_sell_quantity": p.sell_quantity,
                }
            )
        return self.ok({"net": net, "day": net})

    def _ltp(self, request: Request, match: Any) -> Reply:
        data = {}
        for key in request.query.get("i", []):
            exchange, _, symbol = key.partition(":")
            if get_instrument(symbol, exchange) is None or exchange not in SEGMENTS:
                continue  # Kite leaves unknown instruments out of the reply
            data[key] = {
                "instrument_token": instrument_token(symbol, exchange),
                "last_price": self.book.last_price(symbol, exchange),
            }
        return self.ok(data)

    def _instruments(self, request: Request, match: Any) -> Reply:
        exchanges = [match["exchange"]] if match["exchange"] else list(SEGMENTS)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            [
                "instrument_token",
                "exchange_token",
                "tradingsymbol",
                "name",
                "last_price",
                "expiry",
                "strike",
                "tick_size",
                "lot_size",
                "instrument_type",
                "segment",
                "exchange",
            ]
        )
        for exchange in exchanges:
            if exchange not in SEGMENTS:
                continue
            for instrument in INSTRUMENTS.values():
                writer.writerow(
                    [
                        instrument_token(instrument.symbol, exchange),
                        instrument.token,
                        instrument.symbol,
                        instrument.name.upper(),
                        "0",
                        "",
                        "0",
                        str(instrument.tick_size),
                        instrument.lot_size,
                        "EQ",
                        exchange,
                        exchange,
                    ]
                )
        return Reply(200, out.getvalue().encode(), content_type="text/csv")


class _TickerServer:
    """Kite's market-data WebSocket on its own asyncio loop and thread."""

    def __init__(self, sim: KiteSimulator, tick_interval: float) -> None:
        self.sim = sim
        self.tick_interval = tick_interval
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Future[None] | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kite-ticker", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("kite ticker simulator did not start")

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(lambda: self._stop.done() or self._stop.set_result(None))
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.get_running_loop().create_future()
        async with serve(self._session, "127.0.0.1", 0, process_request=self._check, compression=None) as server:
            self._port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop

    def _check(self, connection: ServerConnection, request: WsRequest) -> WsResponse | None:
        query = parse_qs(urlsplit(request.path).query)
        api_key = (query.get("api_key") or [None])[-1]
        access_token = (query.get("access_token") or [None])[-1]
        if not self.sim.token_valid(api_key, access_token):
            return connection.respond(HTTPStatus.FORBIDDEN, "Invalid `api_key` or `access_token`.\n")
        return None

    async def _session(self, connection: ServerConnection) -> None:
        modes: dict[int, str] = {}
        sender = asyncio.create_task(self._send_ticks(connection, modes))
        try:
            async for message in connection:
                if isinstance(message, str):
                    self._apply(message, modes)
        except ConnectionClosed:
            pass
        finally:
            sender.cancel()

    @staticmethod
    def _apply(message: str, modes: dict[int, str]) -> None:
        try:
            request = json.loads(message)
            action, value = request["a"], request["v"]
            if action == "subscribe":
                for token in value:
                    modes.setdefault(int(token), "quote")  # Kite's default mode
            elif action == "unsubscribe":
                for token in value:
                    modes.pop(int(token), None)
            elif action == "mode":
                mode, tokens = value
                if mode in ("ltp", "quote", "full"):
                    for token in tokens:
                        if int(token) in modes:
                            modes[int(token)] = mode
        except (ValueError, KeyError, TypeError):
            pass  # Kite ignores malformed requests

    async def _send_ticks(self, connection: ServerConnection, modes: dict[int, str]) -> None:
        try:
            while True:
                packets = []
                now = int(dt.datetime.now(dt.UTC).timestamp())
                for token, mode in list(modes.items()):
                    found = instrument_for_token(token)
                    if found is None:
                        continue
                    exchange, symbol = found
                    price = self.sim.book.last_price(symbol, exchange)
                    if mode == "ltp":
                        packets.append(ltp_packet(token, price))
                    elif mode == "quote":
                        packets.append(quote_packet(token, price))
                    else:
                        packets.append(full_packet(token, price, timestamp=now))
                await connection.send(frame(packets) if packets else HEARTBEAT)
                await asyncio.sleep(self.tick_interval)
        except ConnectionClosed:
            pass
