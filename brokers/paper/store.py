"""Redis layout, connections and Lua scripts of the paper broker, plus test introspection.

Every paper account lives under `paper:{account_ref}:`:
    counter        INCR per order placed on the account
    orders         HASH broker_order_id -> order JSON
    tag:{tag}      LIST of broker_order_ids, one entry per order, duplicates kept
    tagcount       HASH tag -> orders with that tag
    positions      HASH "{exchange}:{symbol}|bq|bv|sq|sv" -> buy/sell quantity and value (paise)
    faults         HASH of fault settings (see brokers.paper.faults)
Shared: `paper:seq` (order id sequence, so ids are unique across accounts), `paper:tagcount`
(tag -> orders across all accounts) and `paper:faults`.

Positions are kept as running buy/sell totals in integer paise because those only ever need
HINCRBY: no read-modify-write, so no WATCH retries when many processes fill the same symbol,
and the arithmetic is exact. Average price and realised P&L are derived on read.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
ROOT = "paper:"
SEQ_KEY = "paper:seq"
GLOBAL_TAGCOUNT_KEY = "paper:tagcount"
GLOBAL_FAULTS_KEY = "paper:faults"
PRICE_KEY = "price:{symbol}"
ORDER_ID_DIGITS = 10

_ACCOUNT_REF = re.compile(r"^[^\s:]+$")

# Atomically: allocate the id, store the order, index its tag, count it, move the position.
# The order JSON arrives without its id (ARGV[1] is everything after the opening brace) so the
# id allocated here can be spliced in without a JSON library on either side.
_RECORD_LUA = """
local seq = redis.call('INCR', KEYS[1])
redis.call('INCR', KEYS[2])
local id = ARGV[2] .. string.format('%0' .. ARGV[3] .. 'd', seq)
redis.call('HSET', KEYS[3], id, '{"broker_order_id":"' .. id .. '",' .. ARGV[1])
redis.call('RPUSH', KEYS[4], id)
redis.call('HINCRBY', KEYS[5], ARGV[4], 1)
redis.call('HINCRBY', KEYS[6], ARGV[4], 1)
local n = tonumber(ARGV[5])
for i = 0, n - 1 do
  redis.call('HINCRBY', KEYS[7], ARGV[6 + 2 * i], ARGV[7 + 2 * i])
end
return id
"""

# Returns {0} when the order is unknown, {1, json} when it is not OPEN, {2, json} once cancelled.
# Orders hold no floats (prices are strings), so the cjson round trip cannot lose precision.
_CANCEL_LUA = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {0} end
local o = cjson.decode(raw)
if o.status ~= 'OPEN' then return {1, raw} end
o.status = 'CANCELLED'
o.message = ARGV[2]
o.updated_at = ARGV[3]
local new = cjson.encode(o)
redis.call('HSET', KEYS[1], ARGV[1], new)
return {2, new}
"""

_UNCOUNT_TAGS_LUA = """
local counts = redis.call('HGETALL', KEYS[1])
for i = 1, #counts, 2 do
  local left = redis.call('HINCRBY', KEYS[2], counts[i], -tonumber(counts[i + 1]))
  if left <= 0 then redis.call('HDEL', KEYS[2], counts[i]) end
end
redis.call('DEL', KEYS[1])
return #counts / 2
"""


class Connection:
    """A client (with its pool) and the scripts registered on it; one per URL per process."""

    def __init__(self, url: str) -> None:
        # No automatic retries: re-sending the record script after a timeout could place the
        # order twice, which is exactly the ambiguity callers must resolve by tag instead.
        # A blocking pool: hundreds of order threads share a few dozen connections and wait
        # their turn (each command takes well under a millisecond) instead of failing.
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=64,
            timeout=10,
            decode_responses=True,
            socket_connect_timeout=2,
            socket_timeout=5,
            retry=Retry(NoBackoff(), 0),
        )
        self.client: redis.Redis = redis.Redis(connection_pool=pool)
        self.record = self.client.register_script(_RECORD_LUA)
        self.cancel = self.client.register_script(_CANCEL_LUA)
        self.uncount_tags = self.client.register_script(_UNCOUNT_TAGS_LUA)


_CONNECTIONS: dict[str, Connection] = {}
_CONNECTIONS_LOCK = threading.Lock()


def get_connection(url: str) -> Connection:
    # redis-py pools notice a fork (pid check) and reconnect, so caching before Celery's
    # prefork is safe.
    conn = _CONNECTIONS.get(url)
    if conn is None:
        with _CONNECTIONS_LOCK:
            conn = _CONNECTIONS.get(url)
            if conn is None:
                conn = _CONNECTIONS[url] = Connection(url)
    return conn


def get_client(url: str) -> redis.Redis:
    return get_connection(url).client


def check_account_ref(account_ref: str) -> str:
    # ':' would let one account's keys alias another's; whitespace is almost surely a bug.
    if not isinstance(account_ref, str) or not _ACCOUNT_REF.match(account_ref):
        raise ValueError(f"paper account_ref must be non-empty without ':' or whitespace, got {account_ref!r}")
    return account_ref


def account_prefix(account_ref: str) -> str:
    return f"{ROOT}{account_ref}:"


def faults_key(account_ref: str | None = None) -> str:
    return GLOBAL_FAULTS_KEY if account_ref is None else account_prefix(check_account_ref(account_ref)) + "faults"


def price_key(symbol: str) -> str:
    return PRICE_KEY.format(symbol=symbol)


def position_field(exchange: str, symbol: str, part: str) -> str:
    return f"{exchange}:{symbol}|{part}"


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def _delete_matching(client: redis.Redis, pattern: str) -> int:
    deleted = 0
    batch: list[str] = []
    for key in client.scan_iter(match=pattern, count=500):
        batch.append(key)
        if len(batch) >= 500:
            deleted += client.delete(*batch)
            batch.clear()
    if batch:
        deleted += client.delete(*batch)
    return deleted


def paper_orders(redis_url: str, account_ref: str) -> list[dict[str, Any]]:
    """Every order recorded for the account, oldest first (ids follow one global sequence)."""
    raw = get_client(redis_url).hgetall(account_prefix(check_account_ref(account_ref)) + "orders")
    return [json.loads(raw[order_id]) for order_id in sorted(raw)]


def paper_tag_counts(redis_url: str, account_ref: str | None = None) -> dict[str, int]:
    """Orders per tag (rejected ones included) for one account, or across all accounts."""
    key = GLOBAL_TAGCOUNT_KEY if account_ref is None else account_prefix(check_account_ref(account_ref)) + "tagcount"
    return {tag: int(count) for tag, count in get_client(redis_url).hgetall(key).items()}


def paper_reset(redis_url: str, account_ref: str | None = None) -> int:
    """Delete paper state: every `paper:*` key, or one account's keys (its tags are also
    taken out of the global tag counts). Not atomic with respect to concurrent orders on the
    account being reset. Returns the number of keys deleted."""
    conn = get_connection(redis_url)
    if account_ref is None:
        return _delete_matching(conn.client, ROOT + "*")
    prefix = account_prefix(check_account_ref(account_ref))
    conn.uncount_tags(keys=[prefix + "tagcount", GLOBAL_TAGCOUNT_KEY])
    return _delete_matching(conn.client, _glob_escape(prefix) + "*")


def parse_position_fields(fields: dict[str, str]) -> dict[tuple[str, str], dict[str, int]]:
    """Group the positions hash into {(exchange, symbol): {"bq", "bv", "sq", "sv"}}."""
    grouped: dict[tuple[str, str], dict[str, int]] = {}
    for field, value in fields.items():
        instrument, _, part = field.rpartition("|")
        exchange, _, symbol = instrument.partition(":")
        grouped.setdefault((exchange, symbol), {"bq": 0, "bv": 0, "sq": 0, "sv": 0})[part] = int(value)
    return grouped


def keys_for(account_ref: str, tag: str) -> list[str]:
    """KEYS for the record script, in its order."""
    prefix = account_prefix(account_ref)
    return [
        SEQ_KEY,
        prefix + "counter",
        prefix + "orders",
        prefix + "tag:" + tag,
        prefix + "tagcount",
        GLOBAL_TAGCOUNT_KEY,
        prefix + "positions",
    ]


def record_args(order_json_tail: str, tag: str, position_deltas: Iterable[tuple[str, int]]) -> list[Any]:
    deltas = list(position_deltas)
    args: list[Any] = [order_json_tail, "P", ORDER_ID_DIGITS, tag, len(deltas)]
    for field, delta in deltas:
        args.extend((field, delta))
    return args
