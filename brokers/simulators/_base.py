"""What every broker simulator shares: an in-memory order book that fills at a settable last
price, runtime faults, and a threaded stdlib HTTP server on an ephemeral loopback port.

Each broker module (`kite`, `dhan`, `fyers`, `angelone`) adds its own routes, field names,
status codes and error envelopes on top, so an adapter talks to the simulator exactly as it
talks to the broker.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import itertools
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from brokers.universe import TICK_SIZE, get_instrument

# Faults a test can switch on at runtime (set_fault). All but "token" affect order placement only.
#   token         every authenticated call fails as with an expired session
#   reject        the order is recorded as REJECTED (insufficient margin), as brokers do
#   timeout       the request hangs past the client's timeout and nothing is placed
#   lose_reply    the order is placed, then the reply hangs past the client's timeout
#   rate_limit    HTTP 429 (or the broker's equivalent), nothing placed
#   server_error  HTTP 5xx, nothing placed
FAULT_KINDS = ("token", "reject", "timeout", "lose_reply", "rate_limit", "server_error")
PLACEMENT_FAULTS = frozenset(FAULT_KINDS) - {"token"}
MARGIN_MESSAGE = "Insufficient funds. Required margin is higher than the available margin."
PAISE = Decimal("0.01")


class SimError(Exception):
    """A broker-neutral refusal; each simulator renders it in its broker's error envelope.

    kind: "input" (bad request), "not_found" (no such order), "state" (cannot cancel now).
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclasses.dataclass
class SimOrder:
    order_id: str
    tag: str
    symbol: str
    exchange: str
    side: str
    quantity: int
    order_type: str
    product: str
    price: Decimal | None
    trigger_price: Decimal | None
    status: str  # OPEN, FILLED, REJECTED, CANCELLED
    placed_at: dt.datetime
    updated_at: dt.datetime
    filled_quantity: int = 0
    average_price: Decimal | None = None
    message: str = ""
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class SimPosition:
    symbol: str
    exchange: str
    product: str
    buy_quantity: int
    buy_average: Decimal
    sell_quantity: int
    sell_average: Decimal
    quantity: int
    average_price: Decimal
    realised: Decimal
    unrealised: Decimal
    last_price: Decimal


def fake_jwt(valid_for: dt.timedelta = dt.timedelta(hours=12), **claims: Any) -> str:
    """A JWT-shaped token with an `exp` claim (unsigned: simulators only compare strings)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    exp = int((dt.datetime.now(dt.UTC) + valid_for).timestamp())
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({**claims, 'exp': exp})}.{secrets.token_hex(8)}"


def _q(value: Decimal) -> Decimal:
    return value.quantize(PAISE, rounding=ROUND_HALF_UP)


def parse_price(value: Any, name: str) -> Decimal | None:
    """A price field from a request: None when absent or zero, SimError("input") when junk."""
    if value is None or value == "":
        return None
    try:
        price = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise SimError("input", f"Invalid `{name}`.") from None
    if not price.is_finite() or price < 0:
        raise SimError("input", f"Invalid `{name}`.")
    if price == 0:
        return None
    if price % TICK_SIZE:
        raise SimError("input", f"`{name}` {price} is not a multiple of the tick size {TICK_SIZE}.")
    return price


class Book:
    """Orders and prices of one simulated account. Thread-safe; fills happen at placement."""

    def __init__(self, id_prefix: str, id_width: int = 15) -> None:
        self._lock = threading.RLock()
        self._orders: dict[str, SimOrder] = {}
        self._prices: dict[tuple[str, str], Decimal] = {}
        self._ids = itertools.count(1)
        self._id_prefix = id_prefix
        self._id_width = id_width

    def last_price(self, symbol: str, exchange: str) -> Decimal:
        instrument = get_instrument(symbol, exchange)
        if instrument is None:
            raise SimError("input", f"Instrument not found: {exchange}:{symbol}")
        with self._lock:
            return self._prices.get((exchange, symbol), instrument.reference_price)

    def set_price(self, symbol: str, price: Decimal | str, exchange: str = "NSE") -> None:
        if get_instrument(symbol, exchange) is None:
            raise ValueError(f"unknown instrument {exchange}:{symbol}")
        with self._lock:
            self._prices[(exchange, symbol)] = _q(Decimal(str(price)))

    def place(
        self,
        *,
        tag: str,
        symbol: str,
        exchange: str,
        side: str,
        quantity: int,
        order_type: str,
        product: str,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
        reject: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> SimOrder:
        last = self.last_price(symbol, exchange)
        if side not in ("BUY", "SELL"):
            raise SimError("input", "Invalid `transaction_type`.")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise SimError("input", "Invalid `quantity`.")
        if order_type not in ("MARKET", "LIMIT", "SL", "SL-M"):
            raise SimError("input", "Invalid `order_type`.")
        if order_type in ("LIMIT", "SL") and price is None:
            raise SimError("input", "Invalid `price`.")
        if order_type in ("SL", "SL-M") and trigger_price is None:
            raise SimError("input", "Invalid `trigger_price`.")
        now = dt.datetime.now(dt.UTC)
        with self._lock:
            order = SimOrder(
                order_id=f"{self._id_prefix}{next(self._ids):0{self._id_width}d}",
                tag=tag,
                symbol=symbol,
                exchange=exchange,
                side=side,
                quantity=quantity,
                order_type=order_type,
                product=product,
                price=price if order_type in ("LIMIT", "SL") else None,
                trigger_price=trigger_price if order_type in ("SL", "SL-M") else None,
                status="OPEN",
                placed_at=now,
                updated_at=now,
                extra=dict(extra or {}),
            )
            if reject is not None:
                order.status, order.message = "REJECTED", reject
            elif self._marketable(order, last):
                order.status, order.filled_quantity, order.average_price = "FILLED", quantity, last
            self._orders[order.order_id] = order
            return dataclasses.replace(order)

    @staticmethod
    def _marketable(order: SimOrder, last: Decimal) -> bool:
        buy = order.side == "BUY"
        if order.trigger_price is not None:
            if not (last >= order.trigger_price if buy else last <= order.trigger_price):
                return False
        if order.price is not None:
            return order.price >= last if buy else order.price <= last
        return True

    def cancel(self, order_id: str) -> SimOrder:
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                raise SimError("not_found", f"Order {order_id} not found.")
            if order.status != "OPEN":
                raise SimError("state", f"Order cannot be cancelled as it is {order.status}.")
            order.status, order.message = "CANCELLED", "Cancelled by user"
            order.updated_at = dt.datetime.now(dt.UTC)
            return dataclasses.replace(order)

    def get(self, order_id: str) -> SimOrder | None:
        with self._lock:
            order = self._orders.get(order_id)
            return dataclasses.replace(order) if order is not None else None

    def orders(self) -> list[SimOrder]:
        with self._lock:
            return [dataclasses.replace(o) for o in self._orders.values()]

    def orders_with_tag(self, tag: str) -> list[SimOrder]:
        return [o for o in self.orders() if o.tag == tag]

    def positions(self) -> list[SimPosition]:
        legs: dict[tuple[str, str, str], list[Decimal]] = {}
        for order in self.orders():
            if order.filled_quantity <= 0 or order.average_price is None:
                continue
            leg = legs.setdefault((order.exchange, order.symbol, order.product), [Decimal(0)] * 4)
            offset = 0 if order.side == "BUY" else 2
            leg[offset] += order.filled_quantity
            leg[offset + 1] += order.filled_quantity * order.average_price
        result = []
        for (exchange, symbol, product), (bq, bv, sq, sv) in legs.items():
            buy_avg = _q(bv / bq) if bq else Decimal("0.00")
            sell_avg = _q(sv / sq) if sq else Decimal("0.00")
            net = int(bq - sq)
            average = buy_avg if net > 0 else sell_avg if net < 0 else Decimal("0.00")
            last = self.last_price(symbol, exchange)
            result.append(
                SimPosition(
                    symbol=symbol,
                    exchange=exchange,
                    product=product,
                    buy_quantity=int(bq),
                    buy_average=buy_avg,
                    sell_quantity=int(sq),
                    sell_average=sell_avg,
                    quantity=net,
                    average_price=average,
                    realised=_q(min(bq, sq) * (sell_avg - buy_avg)),
                    unrealised=_q(net * (last - average)) if net else Decimal("0.00"),
                    last_price=last,
                )
            )
        return result


@dataclasses.dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise SimError("input", "Request body is not valid JSON.") from None

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


@dataclasses.dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0  # hang this long (or until the simulator stops) before answering
    drop: bool = False  # after the delay, close the connection without any answer


def json_reply(status: int, payload: Any) -> Reply:
    return Reply(status, json.dumps(payload, default=_json_default).encode())


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


Handler = Callable[[Request, "re.Match[str]"], Reply]


class BaseSimulator:
    """A broker simulator: `start()` gives its base URL; use it as a context manager in tests."""

    name = "simulator"
    id_prefix = ""

    def __init__(self, *, hang_seconds: float = 3.0) -> None:
        self.book = Book(self.id_prefix)
        self.hang_seconds = hang_seconds
        self._fault: str | None = None
        self._lock = threading.Lock()
        self._log: list[tuple[str, str]] = []
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            (method, re.compile(pattern), handler) for method, pattern, handler in self.routes()
        ]

    # -- for subclasses ---------------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Handler]]:
        raise NotImplementedError

    def not_found(self, request: Request) -> Reply:
        return json_reply(404, {"message": f"No route for {request.method} {request.path}"})

    def error_reply(self, error: SimError) -> Reply:
        """A SimError raised by a handler, in the broker's error envelope."""
        return json_reply(404 if error.kind == "not_found" else 400, {"message": error.message})

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> str:
        if self._server is not None:
            return self.base_url
        simulator = self

        class _Handler(_RequestHandler):
            sim = simulator

        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.block_on_close = False  # hanging handlers wake on stop() and must not be joined
        self._stopping.clear()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{self.name}-http", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{self.name} simulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- test controls ----------------------------------------------------------------------

    def set_fault(self, kind: str | None) -> None:
        """Make every following call fail this way (see FAULT_KINDS); None clears it."""
        if kind is not None and kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULT_KINDS}")
        with self._lock:
            self._fault = kind

    @property
    def fault(self) -> str | None:
        with self._lock:
            return self._fault

    def set_price(self, symbol: str, price: Decimal | str, exchange: str = "NSE") -> None:
        self.book.set_price(symbol, price, exchange)

    def orders_with_tag(self, tag: str) -> list[SimOrder]:
        return self.book.orders_with_tag(tag)

    def request_count(self, method: str, path_pattern: str) -> int:
        """How many requests matched (method, regex on the path): to prove nothing was retried."""
        pattern = re.compile(path_pattern)
        with self._lock:
            return sum(1 for m, p in self._log if m == method and pattern.fullmatch(p))

    def placement_fault(self) -> str | None:
        fault = self.fault
        return fault if fault in PLACEMENT_FAULTS else None

    def hang(self, reply: Reply | None = None) -> Reply:
        """`reply` delivered only after the hang (the client has given up by then); without a
        reply the connection is dropped."""
        if reply is None:
            return Reply(504, delay=self.hang_seconds, drop=True)
        return dataclasses.replace(reply, delay=self.hang_seconds)

    # -- plumbing ---------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Reply:
        with self._lock:
            self._log.append((request.method, request.path))
        for method, pattern, handler in self._routes:
            if method == request.method:
                match = pattern.fullmatch(request.path)
                if match is not None:
                    try:
                        return handler(request, match)
                    except SimError as exc:
                        return self.error_reply(exc)
        return self.not_found(request)

    def wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def iter_log(self) -> Iterator[tuple[str, str]]:
        with self._lock:
            yield from list(self._log)


class _RequestHandler(BaseHTTPRequestHandler):
    sim: BaseSimulator
    server_version = "BrokerSimulator/1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # tests run quietly; requests are counted in the simulator's own log

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, parts.path, parse_qs(parts.query), self.headers, body)
        try:
            reply = self.sim.dispatch(request)
        except Exception as exc:  # a simulator bug must show up as a 500, not a hung client
            reply = json_reply(500, {"message": f"simulator error: {exc!r}"})
        if reply.delay:
            self.sim.wait(reply.delay)
        if reply.drop:
            self.close_connection = True
            return
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            pass  # the client gave up (timeout faults): nothing to tell it

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle
