from __future__ import annotations

from apps.marketdata.index import StopLossIndex


def test_tick_at_or_below_the_stop_fires_once() -> None:
    index = StopLossIndex()
    index.upsert(1, "TCS", 3400.0)
    index.upsert(2, "TCS", 3300.0)
    index.upsert(3, "INFY", 1500.0)
    assert index.hits("TCS", 3400.05) == []
    assert index.hits("TCS", 3400.0) == [1]  # at the stop
    assert index.hits("TCS", 3350.0) == []  # 1 fired already; 2 not reached
    assert sorted(index.hits("TCS", 3000.0)) == [2]
    assert index.hits("INFY", 1600.0) == [] and len(index) == 1


def test_equal_stops_and_removal() -> None:
    index = StopLossIndex()
    for sid in (5, 6, 7):
        index.upsert(sid, "SBIN", 800.0)
    index.remove(6)
    assert sorted(index.hits("SBIN", 799.0)) == [5, 7]


def test_edit_moves_the_stop() -> None:
    index = StopLossIndex()
    index.upsert(1, "TCS", 3400.0)
    index.upsert(1, "TCS", 3200.0)
    assert index.hits("TCS", 3300.0) == []
    assert index.hits("TCS", 3200.0) == [1]


def test_a_just_fired_stop_is_not_readded_by_a_stale_snapshot() -> None:
    index = StopLossIndex(refire_after=60)
    index.upsert(1, "TCS", 3400.0)
    assert index.hits("TCS", 3000.0) == [1]
    index.replace_all([(1, "TCS", 3400.0)])  # Redis has not seen the exit yet
    assert index.hits("TCS", 3000.0) == []
    index = StopLossIndex(refire_after=0)
    index.upsert(1, "TCS", 3400.0)
    index.hits("TCS", 3000.0)
    index.upsert(1, "TCS", 3400.0)  # e.g. the exit failed and the position is LONG again
    assert index.hits("TCS", 3000.0) == [1]
