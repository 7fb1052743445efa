"""The market simulator: pure Python, a fake clock, no Redis."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from pathlib import Path

import pytest

from brokers.paper.simulator import (
    IST,
    MarketSimulator,
    SimulatorDataError,
    nifty50_prices,
    parse_scenario,
    synthetic_universe,
)
from brokers.universe import all_symbols

T0 = 1_764_560_000.0  # an epoch in late 2025; any value works, the simulator only counts from it


def run(sim: MarketSimulator, *, seconds: float, step: float = 0.02, start: float = T0) -> list[tuple[str, str]]:
    """Drive the simulator like the feed does: one next_batch per step."""
    ticks = sim.next_batch(start)
    steps = round(seconds / step)
    for k in range(1, steps + 1):
        ticks += sim.next_batch(start + k * step)
    return ticks


def paise(price: str) -> int:
    whole, _, frac = price.partition(".")
    assert len(frac) == 2, price
    return int(whole) * 100 + int(frac)


def test_default_universe_is_the_nifty_50_at_reference_prices() -> None:
    sim = MarketSimulator(seed=1)
    assert sim.symbols == list(nifty50_prices())
    assert sorted(sim.symbols) == sorted(all_symbols())
    assert sim.price("TCS") == Decimal("3151.40")


@pytest.mark.parametrize("rate", [200, 1000, 50_000])
def test_rate_is_honoured_within_ten_percent_over_a_simulated_second(rate: int) -> None:
    sim = MarketSimulator(rate=rate, seed=7)
    ticks = run(sim, seconds=1.0)
    assert abs(len(ticks) - rate) <= rate * 0.10


def test_rate_does_not_depend_on_the_call_cadence() -> None:
    sim = MarketSimulator(rate=1000, seed=7)
    ticks = sim.next_batch(T0)
    for offset in (0.003, 0.2, 0.21, 0.5, 0.77, 1.0):
        ticks += sim.next_batch(T0 + offset)
    assert len(ticks) == 1000


def test_a_stalled_caller_gets_at_most_one_second_of_ticks_not_a_burst() -> None:
    sim = MarketSimulator(rate=1000, seed=7)
    sim.next_batch(T0)
    assert len(sim.next_batch(T0 + 30.0)) == 1000
    assert sim.ticks_skipped == 29_000
    assert abs(len(sim.next_batch(T0 + 30.02)) - 20) <= 1  # back to the normal pace at once


def test_set_rate_changes_the_pace_without_a_burst() -> None:
    sim = MarketSimulator(rate=100, seed=7)
    first = run(sim, seconds=1.0)
    sim.set_rate(1000, T0 + 1.0)
    second = run(sim, seconds=1.0, start=T0 + 1.0)
    assert len(first) == 100
    assert len(second) == 1000


def test_prices_stay_positive_and_on_tick_size() -> None:
    # A penny stock with a violent walk: without the floor it would go negative within seconds.
    sim = MarketSimulator({"PENNY": "0.10", "TCS": "3151.40", "ODD": "101.33"}, rate=10_000, sigma=0.5, seed=3)
    ticks = run(sim, seconds=2.0)
    assert len(ticks) == 20_000
    for symbol, price in ticks:
        value = paise(price)
        assert value > 0, (symbol, price)
        assert value % 5 == 0, (symbol, price)
    assert sim.price("ODD") % Decimal("0.05") == 0  # a reference price off the tick is rounded onto it
    assert {s for s, _ in ticks} == {"PENNY", "TCS", "ODD"}


def test_walk_moves_are_small_and_centred() -> None:
    sim = MarketSimulator({"TCS": "3151.40"}, rate=1000, seed=11)
    ticks = run(sim, seconds=1.0)
    values = [paise(p) for _, p in ticks]
    moves = [b - a for a, b in zip(values, values[1:], strict=False)]
    # sigma 0.0001 at 3151.40 is ~31 paise per tick: nothing near a 1 % jump, and no drift.
    assert max(abs(m) for m in moves) < 315_140 // 100
    assert any(m != 0 for m in moves)
    assert abs(sum(moves) / len(moves)) < 5


def test_same_seed_gives_the_same_ticks_whatever_the_batch_cadence() -> None:
    a = MarketSimulator(rate=2000, seed=42)
    b = MarketSimulator(rate=2000, seed=42)
    c = MarketSimulator(rate=2000, seed=43)
    ticks_a = run(a, seconds=1.0, step=0.02)
    ticks_b = run(b, seconds=1.0, step=0.1)
    ticks_c = run(c, seconds=1.0, step=0.02)
    assert ticks_a == ticks_b
    assert ticks_a != ticks_c


def test_set_symbols_restricts_ticks_and_reports_unknown_symbols() -> None:
    sim = MarketSimulator(rate=1000, seed=5)
    unknown = sim.set_symbols(["TCS", "INFY", "NOPE"])
    assert unknown == {"NOPE"}
    ticks = run(sim, seconds=1.0)
    assert {s for s, _ in ticks} == {"TCS", "INFY"}
    assert len(ticks) == 1000  # the rate is across the ticking symbols

    sim.set_symbols(None)
    later = run(sim, seconds=1.0, start=T0 + 1.0)
    assert len({s for s, _ in later}) > 40


def test_no_subscribed_symbols_means_no_ticks_and_no_burst_when_one_arrives() -> None:
    sim = MarketSimulator(rate=1000, seed=5)
    sim.set_symbols([])
    assert run(sim, seconds=5.0) == []
    sim.set_symbols(["TCS"])
    batch = sim.next_batch(T0 + 5.02)
    assert 19 <= len(batch) <= 21
    assert {s for s, _ in batch} == {"TCS"}


def test_scenario_event_arrives_at_its_time_and_resets_the_base() -> None:
    sim = MarketSimulator(rate=500, seed=9)
    sim.set_symbols(["TCS"])
    sim.load_events(parse_scenario("+2.5s TCS 3490"))
    before = run(sim, seconds=2.48)
    assert ("TCS", "3490.00") not in before
    assert all(abs(paise(p) - 315_140) < 315_140 * 0.05 for _, p in before)

    batch = sim.next_batch(T0 + 2.6)  # one batch straddling the event
    position = batch.index(("TCS", "3490.00"))
    assert position > 0  # walk ticks due before 2.5 s come first
    assert all(abs(paise(p) - 315_140) < 315_140 * 0.05 for _, p in batch[:position])
    after = batch[position + 1 :] + run(sim, seconds=1.0, start=T0 + 2.6)
    assert after
    assert all(abs(paise(p) - 349_000) < 349_000 * 0.01 for _, p in after)  # walks on from 3490
    assert sim.events_remaining == 0


def test_scenario_time_of_day_is_asia_kolkata_on_the_start_day() -> None:
    start = dt.datetime(2025, 12, 1, 9, 31, 0, tzinfo=IST).timestamp()
    sim = MarketSimulator(rate=0, seed=1)
    sim.load_events(parse_scenario("09:31:05 TCS 3490\n09:30:00 INFY 1600.05\n"))
    first = sim.next_batch(start)
    # A time already past at start fires at once, so the state the script describes holds.
    assert first == [("INFY", "1600.05")]
    assert sim.next_batch(start + 4.9) == []
    assert sim.next_batch(start + 5.0) == [("TCS", "3490.00")]


def test_scenario_for_an_unsubscribed_symbol_moves_its_price_silently() -> None:
    sim = MarketSimulator(rate=100, seed=1)
    sim.set_symbols(["INFY"])
    sim.load_events(parse_scenario("+0.5 TCS 3000"))
    ticks = run(sim, seconds=1.0)
    assert {s for s, _ in ticks} == {"INFY"}
    assert sim.price("TCS") == Decimal("3000")


def test_scenario_parser_accepts_comments_and_both_time_forms() -> None:
    events = parse_scenario(
        "# header\n\n+2.5s TCS 3490   # a dip\n+3 INFY 1620.4\n09:31:05.250 SBIN 950\n", source="demo.txt"
    )
    assert [(e.symbol, e.price, e.offset, e.clock, e.line) for e in events] == [
        ("TCS", Decimal("3490"), 2.5, None, 3),
        ("INFY", Decimal("1620.4"), 3.0, None, 4),
        ("SBIN", Decimal("950"), None, dt.time(9, 31, 5, 250_000), 5),
    ]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("+1s TCS 3490\nsoon TCS 3490\n", 2, "bad time"),
        ("+1s TCS 3490\n+2s TCS\n", 2, "WHEN SYMBOL PRICE"),
        ("\n\n+1s TCS -5\n", 3, "positive"),
        ("+1s TCS abc\n", 1, "bad price"),
        ("25:00:00 TCS 3490\n", 1, "bad time"),
        ("+1s T;CS 3490\n", 1, "bad symbol"),
    ],
)
def test_bad_scenario_line_raises_an_error_naming_the_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(SimulatorDataError) as caught:
        parse_scenario(text, source="demo.txt")
    assert caught.value.line == line
    assert f"demo.txt, line {line}" in str(caught.value)
    assert fragment in str(caught.value)


def test_scenario_with_an_unknown_symbol_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "typo.txt"
    path.write_text("+1s TCS 3490\n+2s TSC 3480\n")
    with pytest.raises(SimulatorDataError, match=r"typo.txt, line 2: unknown symbol 'TSC'"):
        MarketSimulator(seed=1).load_scenario(path)


def test_shipped_demo_scenarios_load() -> None:
    root = Path(__file__).resolve().parents[2] / "scenarios"
    files = sorted(root.glob("*.txt"))
    assert len(files) >= 2
    for path in files:
        assert MarketSimulator(seed=1).load_scenario(path)


def test_csv_replay_emits_rows_at_their_recorded_spacing(tmp_path: Path) -> None:
    path = tmp_path / "ticks.csv"
    path.write_text(
        "timestamp,symbol,price\n"
        "1733383800.00,TCS,3501.05\n"
        "1733383800.50,INFY,1620.40\n"
        "1733383801.00,NEWCO,10.00\n"  # not in the universe: a replay brings its own symbols
        "1733383801.00,TCS,3499.95\n"
    )
    sim = MarketSimulator(rate=1000, seed=1)
    events = sim.replay_csv(path)
    assert len(events) == 4
    assert sim.next_batch(T0) == [("TCS", "3501.05")]
    assert sim.next_batch(T0 + 0.49) == []  # the walk is off during a replay
    assert sim.next_batch(T0 + 0.5) == [("INFY", "1620.40")]
    assert sim.next_batch(T0 + 1.0) == [("NEWCO", "10.00"), ("TCS", "3499.95")]
    assert sim.knows("NEWCO")


def test_csv_replay_speed_and_other_timestamp_forms(tmp_path: Path) -> None:
    path = tmp_path / "ticks.csv"
    path.write_text("09:15:00,TCS,3501.05\n09:15:02,TCS,3502\n")
    sim = MarketSimulator(seed=1)
    sim.replay_csv(path, speed=2.0)
    assert sim.next_batch(T0) == [("TCS", "3501.05")]
    assert sim.next_batch(T0 + 1.0) == [("TCS", "3502.00")]

    iso = tmp_path / "iso.csv"
    iso.write_text("2025-12-01T09:15:00+05:30,TCS,1\n2025-12-01T09:15:00.5,TCS,2\n")  # naive = IST
    sim = MarketSimulator(seed=1)
    assert [e.offset for e in sim.replay_csv(iso)] == [0.0, 0.5]


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        ("timestamp,symbol,price\n1,TCS,3500\n2,TCS\n", 3, "expected 3 columns"),
        ("1,TCS,3500\n2,TCS,abc\n", 2, "bad price"),
        ("1,TCS,3500\n\nyesterday,TCS,3500\n", 3, "bad timestamp"),
        ("5,TCS,3500\n4,TCS,3500\n", 2, "goes back in time"),
        ("5,TCS,3500\n09:15:00,TCS,3500\n", 2, "earlier rows use epoch"),
        ("5,,3500\n", 1, "empty symbol"),
        ("5,TCS,3500\n6,TC\x00S,3500\n", 2, "bad symbol"),
        ("5,TCS,3500\n6,TCS,3500\n\xff,TCS,1\n", 3, "not UTF-8"),
    ],
)
def test_bad_csv_line_raises_an_error_naming_the_line(tmp_path: Path, body: str, line: int, fragment: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(body.encode("latin-1"))
    with pytest.raises(SimulatorDataError) as caught:
        MarketSimulator(seed=1).replay_csv(path)
    assert caught.value.line == line
    assert f"line {line}:" in str(caught.value)
    assert str(path) in str(caught.value)
    assert fragment in str(caught.value)


def test_synthetic_universe_is_deterministic_and_on_tick() -> None:
    universe = synthetic_universe(500)
    assert len(universe) == 500
    assert next(iter(universe)) == "SYM0001"
    assert "SYM0500" in universe
    assert universe == synthetic_universe(500)
    assert all(Decimal(50) <= p <= Decimal(5000) and p % Decimal("0.05") == 0 for p in universe.values())
    sim = MarketSimulator({**nifty50_prices(), **universe}, rate=5000, seed=1)
    assert len({s for s, _ in run(sim, seconds=1.0)}) > 500


def test_batch_generation_speed() -> None:
    """50,000 ticks in one batch must take well under a second; measured and printed, with only
    a loose bound, so a busy CI machine does not fail it."""
    for label, prices in (("NIFTY 50", None), ("550 symbols", {**nifty50_prices(), **synthetic_universe(500)})):
        sim = MarketSimulator(prices, rate=50_000, seed=1)
        sim.next_batch(T0)
        best = float("inf")
        for k in range(1, 4):
            started = time.perf_counter()
            batch = sim.next_batch(T0 + k)
            best = min(best, time.perf_counter() - started)
            assert len(batch) == 50_000
        print(f"\n{label}: 50,000 ticks in {best * 1000:.1f} ms ({50_000 / best:,.0f} ticks/s on one core)")
        assert best < 2.0
