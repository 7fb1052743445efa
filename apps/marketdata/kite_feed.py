"""Zerodha live ticks as a feed source (MARKET_FEED=zerodha; `manage.py run_kite_feed`).

    Kite ticker WebSocket -> `python -m brokers.zerodha.ticker` (child process, JSON lines)
        -> KiteTickerSource (buffer) -> Feed -> listener frames {"t", "ticks": [[symbol, price]]}

KiteTicker runs on Twisted, whose reactor cannot restart, so the bridge is a child process
(brokers/zerodha/ticker.py) and this source reads its standard output. A supervisor thread
keeps one bridge running for what the platform trades:

- symbols come from the Feed (running strategies), instrument tokens from Kite's instrument
  master (downloaded once a day); symbols Kite does not list are reported as unserved;
- the session (API key + access token) comes from a provider, by default the stored Zerodha
  account named by KITE_FEED_ACCOUNT_ID, else the most recently logged-in active one. It is
  read again every `refresh_seconds`, so the daily login reaches the feed without a restart;
- a change of symbols or session starts a new bridge and stops the old one once the new one
  ticks (make before break: a stop-loss never goes blind during a resubscription);
- a bridge Kite refused (expired token, exit 3) is not restarted until the token changes;
  any other exit restarts it with backoff.

The access token reaches the child through its environment (never argv, visible in `ps`),
and the child gets no other secret of ours.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

from brokers.base import BrokerError
from brokers.zerodha.ticker import EXIT_SESSION_REFUSED, Tick

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
MAX_INSTRUMENTS = 3000  # Kite's per-connection limit
_ENV_PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "PYTHONPATH", "VIRTUAL_ENV", "SSL_CERT_FILE", "SSL_CERT_DIR")
_CENT = Decimal("0.01")


@dataclasses.dataclass(frozen=True, slots=True)
class KiteFeedSession:
    account_id: int
    api_key: str
    access_token: str = dataclasses.field(repr=False)
    api_root: str = "https://api.kite.trade"
    ws_root: str = "wss://ws.kite.trade"


SessionProvider = Callable[[], KiteFeedSession | None]


def price_text(price: Decimal) -> str:
    """Kite sends paise: show at least two decimals, as the other feeds do ("3500.00")."""
    exponent = price.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        price = price.quantize(_CENT)
    return format(price, "f")


try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - not Linux/glibc
    _libc = None


def _die_with_parent() -> None:  # in the child between fork and exec
    if _libc is not None:
        _libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


class _Bridge:
    """One `python -m brokers.zerodha.ticker` child and the thread reading its ticks."""

    def __init__(
        self,
        *,
        session: KiteFeedSession,
        instruments: dict[int, str],
        mode: str,
        python: str,
        on_tick: Callable[[Tick], None],
    ) -> None:
        self.session = session
        self.instruments = instruments
        self.key = (session.api_key, session.access_token, session.ws_root, frozenset(instruments.items()))
        self.first_tick = threading.Event()
        env = {name: os.environ[name] for name in _ENV_PASSTHROUGH if name in os.environ}
        env.update(
            PYTHONUNBUFFERED="1",
            KITE_API_KEY=session.api_key,
            KITE_ACCESS_TOKEN=session.access_token,
            KITE_TICKER_ROOT=session.ws_root,
            KITE_TICKER_INSTRUMENTS=",".join(f"{token}={symbol}" for token, symbol in sorted(instruments.items())),
            KITE_TICKER_MODE=mode,
        )
        self.proc = subprocess.Popen(  # noqa: S603 - our own module, fixed argv
            [python, "-m", "brokers.zerodha.ticker"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=None,  # its log lines go to ours
            text=True,
            bufsize=1,
            preexec_fn=_die_with_parent,  # a prctl only
        )
        self._on_tick = on_tick
        self._reader = threading.Thread(target=self._read, name=f"kite-bridge-{self.proc.pid}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        if self.proc.stdout is None:
            return
        for line in self.proc.stdout:
            try:
                tick = Tick.from_json(line)
            except (ValueError, KeyError, ArithmeticError):
                logger.warning("kite bridge: unreadable line skipped")
                continue
            self._on_tick(tick)
            self.first_tick.set()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    def stop(self, timeout: float = 5.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(2)


class KiteTickerSource:
    """A TickSource (apps.marketdata.feed) fed by the KiteTicker bridge."""

    name = "zerodha"

    def __init__(
        self,
        session_provider: SessionProvider,
        *,
        exchange: str = "NSE",
        mode: str = "ltp",
        refresh_seconds: float = 15.0,
        switch_timeout: float = 10.0,
        max_instruments: int = MAX_INSTRUMENTS,
        python: str = sys.executable,
    ) -> None:
        self.session_provider = session_provider
        self.exchange = exchange
        self.mode = mode
        self.refresh_seconds = refresh_seconds
        self.switch_timeout = switch_timeout
        self.max_instruments = max_instruments
        self.python = python
        self.spawned = 0  # bridges started (for operators and tests)
        self._lock = threading.Lock()
        self._buffer: list[tuple[str, str]] = []
        self._wanted: frozenset[str] | None = frozenset()
        self._unserved: set[str] = set()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._bridge: _Bridge | None = None
        self._refused: tuple[str, str] | None = None
        self._thread: threading.Thread | None = None

    # -- TickSource -------------------------------------------------------------------------

    def next_batch(self, now: float) -> list[tuple[str, str]]:
        with self._lock:
            batch, self._buffer = self._buffer, []
        return batch

    def set_symbols(self, symbols: Iterable[str] | None) -> set[str]:
        wanted = None if symbols is None else frozenset(symbols)
        with self._lock:
            changed = wanted != self._wanted
            self._wanted = wanted
            unserved = set(self._unserved) if wanted is None else self._unserved & wanted
        if self._thread is None:
            self.start()
        elif changed:
            self._wake.set()
        return unserved

    def symbol_count(self) -> int:
        bridge = self._bridge
        return len(bridge.instruments) if bridge is not None and bridge.alive() else 0

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._supervise, name="kite-feed-supervisor", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(15)
        if self._bridge is not None:
            self._bridge.stop()
            self._bridge = None

    @property
    def bridge_pid(self) -> int | None:
        bridge = self._bridge
        return bridge.pid if bridge is not None and bridge.alive() else None

    # -- supervisor ----------------------------------------------------------------------------

    def _on_tick(self, tick: Tick) -> None:
        with self._lock:
            self._buffer.append((tick.symbol, price_text(tick.last_price)))

    def _supervise(self) -> None:
        session: KiteFeedSession | None = None
        refresh_at = 0.0
        restart_at = 0.0
        backoff = 1.0
        while not self._stopping.is_set():
            now = time.monotonic()
            bridge = self._bridge
            if bridge is not None and not bridge.alive():
                code = bridge.returncode
                self._bridge = None
                bridge.stop()
                if code == EXIT_SESSION_REFUSED:
                    self._refused = (bridge.session.api_key, bridge.session.access_token)
                    logger.error("Kite refused the ticker session of broker account %s: log in to Kite again",
                                 bridge.session.account_id)
                    refresh_at = 0.0  # look for a new token at once
                else:
                    restart_at, backoff = now + backoff, min(backoff * 2, 30.0)
                    logger.warning("kite bridge exited with code %s; restarting in %.0f s", code, restart_at - now)
            if now >= refresh_at:
                session = self._read_session()
                refresh_at = now + self.refresh_seconds
            with self._lock:
                wanted = self._wanted
            usable = session is not None and (session.api_key, session.access_token) != self._refused
            if session is None or not usable or wanted == frozenset():
                if self._bridge is not None:
                    logger.info("kite feed idle (%s)", "no usable Kite session" if not usable else "no symbols")
                    self._bridge.stop()
                    self._bridge = None
            elif now >= restart_at:
                self._ensure_bridge(session, wanted)
                if self._bridge is not None and self._bridge.alive():
                    backoff = max(1.0, backoff / 2) if self._bridge.first_tick.is_set() else backoff
            self._wake.wait(0.5)
            self._wake.clear()
        if self._bridge is not None:
            self._bridge.stop()
            self._bridge = None

    def _read_session(self) -> KiteFeedSession | None:
        try:
            return self.session_provider()
        except Exception:  # noqa: BLE001 - keep the current bridge; try again next refresh
            logger.exception("cannot read the Kite feed session")
            return self._bridge.session if self._bridge is not None else None

    def _ensure_bridge(self, session: KiteFeedSession, wanted: frozenset[str] | None) -> None:
        try:
            instruments = self._instruments(session, wanted)
        except BrokerError as exc:
            logger.warning("kite instrument master unavailable (%s); keeping the current subscription", exc.message)
            return
        if not instruments:
            if self._bridge is not None:
                self._bridge.stop()
                self._bridge = None
            return
        key = (session.api_key, session.access_token, session.ws_root, frozenset(instruments.items()))
        if self._bridge is not None and self._bridge.key == key:
            return
        new = _Bridge(session=session, instruments=instruments, mode=self.mode, python=self.python, on_tick=self._on_tick)
        self.spawned += 1
        logger.info("kite bridge %s started: %d instruments, account %s", new.pid, len(instruments), session.account_id)
        old, self._bridge = self._bridge, new
        if old is not None:
            # Make before break: the old bridge keeps ticking until the new one does.
            new.first_tick.wait(self.switch_timeout)
            old.stop()

    def _instruments(self, session: KiteFeedSession, wanted: frozenset[str] | None) -> dict[int, str]:
        """{instrument_token: symbol} for the wanted symbols Kite lists (None: all, capped)."""
        from brokers.zerodha import ZerodhaBroker
        from brokers.zerodha.instruments import InstrumentMaster

        adapter = ZerodhaBroker(
            account_ref=f"feed-{session.account_id}",
            credentials={"api_key": session.api_key, "access_token": session.access_token},
            options={"api_root": session.api_root},
        )
        master = InstrumentMaster(adapter).tokens(self.exchange)
        symbols = sorted(master) if wanted is None else sorted(wanted)
        unserved = {s for s in symbols if s not in master}
        with self._lock:
            new_unserved = unserved - self._unserved
            self._unserved = unserved
        if new_unserved:
            logger.warning("Kite lists no %s:%s; no ticks for it", self.exchange, ",".join(sorted(new_unserved)))
        served = [s for s in symbols if s in master]
        if len(served) > self.max_instruments:
            logger.warning("%d symbols wanted; Kite takes %d per connection", len(served), self.max_instruments)
            served = served[: self.max_instruments]
        return {master[s]: s for s in served}


def kite_feed_session() -> KiteFeedSession | None:
    """The stored Zerodha session that feeds ticks: KITE_FEED_ACCOUNT_ID's, else the most
    recently logged-in active account's; None when there is none (log in first)."""
    from django.conf import settings
    from django.db import connections
    from django.utils import timezone

    from apps.broker_accounts.models import BrokerAccount, BrokerAccountStatus
    from apps.broker_accounts.services import adapter_options, broker_adapter_for

    try:
        accounts = BrokerAccount.objects.filter(broker="zerodha", status=BrokerAccountStatus.ACTIVE)
        if settings.KITE_FEED_ACCOUNT_ID:
            accounts = accounts.filter(pk=settings.KITE_FEED_ACCOUNT_ID)
        now = timezone.now()
        for account in accounts.order_by("-updated_at")[:20]:
            if account.token_valid_until is not None and account.token_valid_until <= now:
                continue
            credentials = broker_adapter_for(account).credentials
            if credentials.get("access_token") and credentials.get("api_key"):
                options = adapter_options("zerodha")
                return KiteFeedSession(
                    account_id=account.pk,
                    api_key=credentials["api_key"],
                    access_token=credentials["access_token"],
                    api_root=options.get("api_root") or KiteFeedSession.api_root,
                    ws_root=options.get("ws_root") or KiteFeedSession.ws_root,
                )
        return None
    finally:
        connections.close_all()  # this runs on the supervisor thread: give its connection back


def build_kite_source(**kwargs: object) -> KiteTickerSource:
    """The source for MARKET_FEED=zerodha, reading its session from the stored accounts."""
    from django.conf import settings

    kwargs.setdefault("exchange", settings.KITE_FEED_EXCHANGE)
    kwargs.setdefault("refresh_seconds", settings.KITE_FEED_REFRESH_SECONDS)
    return KiteTickerSource(kite_feed_session, **kwargs)  # type: ignore[arg-type]
