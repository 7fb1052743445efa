"""Orders per second per broker account and exchange (SEBI retail-algo rule, default 10/s).

Every process shares the limit through Redis. An order over the limit is never dropped and
never sent to be refused: it waits for its turn, in arrival order, sleeping rather than
polling.

The rule, with N = BROKER_ORDERS_PER_SECOND and W = one second (+ BROKER_RATE_MARGIN_MS):
orders of one account and exchange are numbered 1, 2, 3, ...; order k may start only once
order k-N has *finished* (its reply is in) and W has passed since. A request reaches the
broker between its start and its reply, so the orders k-N, k-2N, ... reach the broker at least
W apart, whatever the network or a busy process does to the timing; numbers split into N such
chains, so no window of W ever holds more than N orders at the broker. (Spacing the *starts*
alone is not enough: a request delayed a few tens of milliseconds in a busy worker lands in
the next second's window, and the broker answers 429.)

Redis, per account and exchange: a counter of order numbers, and one small key per order
holding "s<ms>" (started, planned start) or "e<ms>" (finished), expiring by itself. Times
come from the Redis server clock, so every host agrees. Two calls per order (reserve, release)
below the limit; a waiting order adds a confirmation or two.

Runs on the engine's broker-I/O threads around `adapter.submit`; blocking is the point.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import redis
from django.conf import settings
from redis.commands.core import Script

from apps.core.redis import get_redis
from brokers.base import BrokerAdapter, BrokerError, ErrorKind, OrderRequest, OrderResult

log = logging.getLogger(__name__)

# An order still unfinished this long after it started is taken as finished (its process died
# mid-send): its chain must not stall for ever.
IN_FLIGHT_CAP_MS = 30_000
_POLL_SECONDS = 0.02  # while the order we wait for is still in flight (its reply is late)

# KEYS[1] key prefix. ARGV: N, W ms, max wait ms, entry ttl ms.
# -> {order number (0: refused, nothing reserved), ms to wait, 1 when the order it depends on
#     had already answered (no confirmation needed) else 0}
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n, w, max_wait, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local seq = tonumber(redis.call('GET', KEYS[1] .. ':seq') or '0') + 1
local slot = now
local settled = 1
if seq > n then
    local v = redis.call('GET', KEYS[1] .. ':' .. (seq - n))
    if v then
        local at = tonumber(string.sub(v, 2)) + w
        if at > slot then slot = at end
        if string.sub(v, 1, 1) == 's' then settled = 0 end
    end
end
if slot - now > max_wait then return {0, slot - now, 0} end
redis.call('SET', KEYS[1] .. ':seq', seq, 'PX', ttl)
redis.call('SET', KEYS[1] .. ':' .. seq, 's' .. slot, 'PX', ttl)
return {seq, slot - now, settled}
"""

# KEYS[1] key prefix. ARGV: order number, N, W ms, in-flight cap ms.
# -> ms still to wait (0: go now), or -1 while the order it waits for has no reply yet
_CONFIRM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local seq, n, w, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
if seq <= n then return 0 end
local v = redis.call('GET', KEYS[1] .. ':' .. (seq - n))
if not v then return 0 end
local at = tonumber(string.sub(v, 2))
if string.sub(v, 1, 1) == 's' then
    if now - at > cap then return 0 end
    return -1
end
if at + w > now then return at + w - now end
return 0
"""

# KEYS[1] key prefix. ARGV: order number, entry ttl ms.
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1] .. ':' .. ARGV[1], 'e' .. now, 'PX', tonumber(ARGV[2]))
return now
"""

_scripts: dict[str, Script] = {}


def _script(source: str) -> Script:
    script = _scripts.get(source)
    if script is None:
        script = _scripts.setdefault(source, get_redis().register_script(source))
    return script


@dataclasses.dataclass(frozen=True, slots=True)
class Ticket:
    """One order's place in its account's sequence; release it when the broker has answered."""

    prefix: str
    seq: int


def key_prefix(account_id: int, exchange: str) -> str:
    return f"ratelimit:orders:{account_id}:{exchange}"


def applies_to(broker: str) -> bool:
    """Whether orders of this broker are limited (BROKER_OPTIONS[broker]['rate_limit'], default on)."""
    return bool(settings.BROKER_OPTIONS.get(broker, {}).get("rate_limit", True))


def _params() -> tuple[int, int, int, int]:
    n = settings.BROKER_ORDERS_PER_SECOND
    w = 1000 + settings.BROKER_RATE_MARGIN_MS
    max_wait = int(settings.BROKER_RATE_MAX_WAIT_SECONDS * 1000)
    ttl = max_wait + w + IN_FLIGHT_CAP_MS + 5000
    return n, w, max_wait, ttl


def acquire(account_id: int, exchange: str) -> Ticket | None:
    """Block until this account may send one more order to `exchange`; pass the ticket to
    `release` once the broker has answered (or the send failed).

    Raises BrokerError(RATE_LIMIT), reserving nothing, when the wait would be longer than
    BROKER_RATE_MAX_WAIT_SECONDS: the engine treats that like a broker's 429 (not final, looked
    up by tag, queued again, at most ORDER_MAX_ATTEMPTS) rather than let an order wait past its
    claim lease, when the sweeper would send it a second time. None when no limit applies or
    Redis cannot be reached: a limiter outage must not hold a stop-loss exit, and the broker's
    own limit still answers 429, which the engine handles.
    """
    n, w, max_wait, ttl = _params()
    if n <= 0:
        return None
    prefix = key_prefix(account_id, exchange)
    client = get_redis()
    try:
        seq, wait_ms, settled = _script(_RESERVE)(keys=[prefix], args=[n, w, max_wait, ttl], client=client)
        if not seq:
            raise BrokerError(
                f"Order rate limit: {int(wait_ms) / 1000:.1f} s of orders already queued for this account on "
                f"{exchange} (limit {n}/s); not sent",
                kind=ErrorKind.RATE_LIMIT,
            )
        started = time.monotonic()
        if wait_ms > 0:
            time.sleep(wait_ms / 1000)
        # The order it depends on had not answered when the slot was planned: its reply decides.
        while not settled:
            left = int(_script(_CONFIRM)(keys=[prefix], args=[seq, n, w, IN_FLIGHT_CAP_MS], client=client))
            if left == 0:
                break
            time.sleep(_POLL_SECONDS if left < 0 else left / 1000)
    except redis.RedisError:
        log.warning("order rate limiter unavailable; sending unlimited", exc_info=True)
        return None
    waited = time.monotonic() - started
    if waited >= 1.0:
        log.info("order waited %.2f s for its rate-limit slot", waited,
                 extra={"broker_account_id": account_id, "exchange": exchange})
    return Ticket(prefix=prefix, seq=int(seq))


def release(ticket: Ticket | None) -> None:
    """The broker answered this order (or the send failed): the order k+N may go W from now."""
    if ticket is None:
        return
    try:
        _script(_RELEASE)(keys=[ticket.prefix], args=[ticket.seq, _params()[3]], client=get_redis())
    except redis.RedisError:
        # Its successor waits at most IN_FLIGHT_CAP_MS for it, then goes.
        log.warning("order rate limiter: release failed", exc_info=True)


def submit(adapter: BrokerAdapter, order: OrderRequest, *, account_id: int) -> OrderResult:
    """adapter.submit(order) within the account's orders-per-second limit on order.exchange.
    Brokers with BROKER_OPTIONS[...]['rate_limit'] false are not limited."""
    if not applies_to(adapter.name):
        return adapter.submit(order)
    ticket = acquire(account_id, order.exchange)
    try:
        return adapter.submit(order)
    finally:
        release(ticket)
