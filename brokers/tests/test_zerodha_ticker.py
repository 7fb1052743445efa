"""The Kite ticker: the simulator's WebSocket against the official KiteTicker, which runs (as in
production) in a process of its own through `python -m brokers.zerodha.ticker`."""

from __future__ import annotations

import datetime as dt
import json
import os
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from kiteconnect import KiteTicker
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from brokers.simulators.kite import KiteSimulator, frame, full_packet, ltp_packet, quote_packet
from brokers.zerodha.ticker import EXIT_SESSION_REFUSED, EXIT_USAGE, Tick, main, parse_instruments, ticks_from_kite

ROOT = Path(__file__).resolve().parents[2]
API_KEY, ACCESS_TOKEN = "tick_key", "tick_token"


@pytest.fixture
def sim() -> Iterator[KiteSimulator]:
    with KiteSimulator(api_key=API_KEY, access_token=ACCESS_TOKEN, ticker=True, tick_interval=0.05) as simulator:
        yield simulator


def bridge(sim: KiteSimulator, *args: str, access_token: str = ACCESS_TOKEN) -> subprocess.Popen[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "KITE_API_KEY": API_KEY,
        "KITE_ACCESS_TOKEN": access_token,
        "KITE_TICKER_ROOT": sim.ws_url,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "brokers.zerodha.ticker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_after(proc: subprocess.Popen[str], seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, proc.kill)  # a hung child must not hang the test run
    timer.daemon = True
    timer.start()
    return timer


def test_kite_ticker_process_receives_ltp_ticks_of_subscribed_tokens(sim: KiteSimulator) -> None:
    sim.set_price("INFY", "1548.70")
    sim.set_price("SBIN", "971.65")
    infy, sbin = sim.instrument_token("INFY"), sim.instrument_token("SBIN")
    proc = bridge(sim, "--instrument", f"{infy}=INFY,{sbin}=SBIN")
    timer = _kill_after(proc, 30)
    try:
        assert proc.stdout is not None
        seen: dict[str, set[Decimal]] = {"INFY": set(), "SBIN": set()}
        moved = False
        for count, line in enumerate(proc.stdout):
            tick = Tick.from_json(line)
            assert tick.instrument_token == {"INFY": infy, "SBIN": sbin}[tick.symbol]
            assert tick.timestamp.tzinfo is not None
            assert abs(tick.timestamp - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=30)
            seen[tick.symbol].add(tick.last_price)
            if not moved and seen["INFY"] and seen["SBIN"]:
                sim.set_price("INFY", "1600.05")  # the feed must follow the simulator's price
                moved = True
            if Decimal("1600.05") in seen["INFY"] or count > 400:
                break
        proc.terminate()
        assert proc.wait(timeout=15) == 0
    finally:
        timer.cancel()
        proc.kill()
    assert seen["SBIN"] == {Decimal("971.65")}
    assert seen["INFY"] <= {Decimal("1548.70"), Decimal("1600.05")} and Decimal("1600.05") in seen["INFY"]


def test_kite_ticker_process_stops_cleanly_after_max_ticks(sim: KiteSimulator) -> None:
    proc = bridge(sim, "--instrument", f"{sim.instrument_token('ITC')}=ITC", "--mode", "full", "--max-ticks", "3")
    timer = _kill_after(proc, 30)
    try:
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        timer.cancel()
    assert proc.returncode == 0, stderr
    ticks = [Tick.from_json(line) for line in stdout.splitlines()]
    assert [(t.symbol, t.last_price) for t in ticks] == [("ITC", Decimal("405.35"))] * 3
    assert "1006" not in stderr  # closed with a handshake, not dropped


def test_kite_ticker_process_exits_when_kite_refuses_the_token(sim: KiteSimulator) -> None:
    proc = bridge(sim, "--instrument", f"{sim.instrument_token('TCS')}=TCS", access_token="tok-SECRET-123")
    timer = _kill_after(proc, 30)
    try:
        _, stderr = proc.communicate(timeout=30)
    finally:
        timer.cancel()
    assert proc.returncode == EXIT_SESSION_REFUSED, stderr
    assert "403" in stderr and "tok-SECRET-123" not in stderr


def test_quote_and_full_packets_decode_with_the_official_parser() -> None:
    ticker = KiteTicker("k", "t")  # never connected: only its binary parser is used
    token = 408065
    stamp = int(dt.datetime(2025, 11, 3, 4, 1, 2, tzinfo=dt.UTC).timestamp())
    message = frame(
        [
            ltp_packet(token, Decimal("1548.70")),
            quote_packet(token, Decimal("1548.70"), volume=1200, close=Decimal("1500.00")),
            full_packet(token, Decimal("1548.70"), timestamp=stamp),
        ]
    )
    ltp, quote, full = ticker._parse_binary(message)
    assert (ltp["mode"], ltp["instrument_token"], ltp["last_price"]) == ("ltp", token, 1548.7)
    assert (quote["mode"], quote["last_price"], quote["volume_traded"]) == ("quote", 1548.7, 1200)
    assert quote["ohlc"]["close"] == 1500.0 and round(quote["change"], 4) == round(48.7 * 100 / 1500, 4)
    assert full["mode"] == "full" and len(full["depth"]["buy"]) == len(full["depth"]["sell"]) == 5
    assert full["depth"]["buy"][0]["price"] == 1548.65 and full["depth"]["sell"][0]["price"] == 1548.75
    assert full["exchange_timestamp"].timestamp() == stamp
    ours = ticks_from_kite([ltp, full], {token: "INFY"}, dt.datetime.now(dt.UTC))
    assert [t.last_price for t in ours] == [Decimal("1548.7"), Decimal("1548.7")]
    assert ours[1].timestamp == dt.datetime.fromtimestamp(stamp, tz=dt.UTC)
    assert ticks_from_kite([ltp], {1: "OTHER"}, dt.datetime.now(dt.UTC)) == []


def test_websocket_speaks_kites_protocol(sim: KiteSimulator) -> None:
    with pytest.raises(InvalidStatus) as caught:
        connect(f"{sim.ws_url}?api_key={API_KEY}&access_token=wrong", open_timeout=5)
    assert caught.value.response.status_code == 403
    token = sim.instrument_token("HDFCBANK")
    with connect(f"{sim.ws_url}?api_key={API_KEY}&access_token={ACCESS_TOKEN}", open_timeout=5) as ws:
        assert ws.recv(timeout=5) == b"\x00"  # nothing subscribed: heartbeats
        ws.send(json.dumps({"a": "subscribe", "v": [token]}))
        _expect_packets(ws, token, 44)  # subscribing defaults to quote mode
        ws.send(json.dumps({"a": "mode", "v": ["full", [token]]}))
        _expect_packets(ws, token, 184)
        ws.send(json.dumps({"a": "mode", "v": ["ltp", [token]]}))
        _expect_packets(ws, token, 8)
        ws.send(json.dumps({"a": "unsubscribe", "v": [token]}))
        for _ in range(50):
            if ws.recv(timeout=5) == b"\x00":
                break
        else:
            pytest.fail("no heartbeat after unsubscribing")


def _lengths(message: bytes, token: int) -> set[int]:
    """Packet lengths in one binary frame (all packets must be this token's)."""
    if len(message) < 2:
        return set()
    count, offset, lengths = struct.unpack(">H", message[:2])[0], 2, set()
    for _ in range(count):
        length = struct.unpack(">H", message[offset : offset + 2])[0]
        assert struct.unpack(">I", message[offset + 2 : offset + 6])[0] == token
        lengths.add(length)
        offset += 2 + length
    assert offset == len(message)
    return lengths


def _expect_packets(ws: ClientConnection, token: int, length: int) -> None:
    """Frames switch to `length`-byte packets (after any sent before the request) and stay so."""
    for _ in range(50):
        if _lengths(ws.recv(timeout=5), token) == {length}:  # type: ignore[arg-type]
            break
    else:
        pytest.fail(f"no {length}-byte packets")
    for _ in range(3):
        assert _lengths(ws.recv(timeout=5), token) == {length}  # type: ignore[arg-type]


def test_instrument_specs_and_usage_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_instruments(["408065=INFY", " 779521=SBIN ,738561=RELIANCE,"]) == {
        408065: "INFY",
        779521: "SBIN",
        738561: "RELIANCE",
    }
    for bad in ("INFY", "x=INFY", "1="):
        with pytest.raises(ValueError):
            parse_instruments([bad])
    for name in ("KITE_API_KEY", "KITE_ACCESS_TOKEN", "KITE_TICKER_INSTRUMENTS"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--instrument", "1=X"]) == EXIT_USAGE  # no key or token
    assert main(["--api-key", "k", "--access-token", "t", "--instrument", "nope"]) == EXIT_USAGE
