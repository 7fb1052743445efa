from __future__ import annotations

from apps.core.redis import get_redis
from apps.monitoring import metrics


def test_percentiles_use_nearest_rank_over_recent_samples() -> None:
    for value in range(100, 0, -1):
        metrics.observe_ms("stoploss_latency_ms", value)
    summary = metrics.percentiles("stoploss_latency_ms")
    assert summary == {"count": 100, "p50": 50.0, "p90": 90.0, "p99": 99.0, "max": 100.0}


def test_samples_are_capped_to_the_most_recent() -> None:
    metrics.observe_many_ms("schedule_lateness_ms", [1000.0] * 10)
    metrics.observe_many_ms("schedule_lateness_ms", [2.0] * metrics.SAMPLE_LIMIT)
    assert get_redis().llen(metrics.samples_key("schedule_lateness_ms")) == metrics.SAMPLE_LIMIT
    assert metrics.percentiles("schedule_lateness_ms")["max"] == 2.0


def test_no_samples_means_no_figures() -> None:
    assert metrics.percentiles("nothing_yet") == {"count": 0, "p50": None, "p90": None, "p99": None, "max": None}


def test_observe_never_raises_on_bad_input_or_redis_failure() -> None:
    class Broken:
        def pipeline(self, **kwargs: object) -> object:
            raise ConnectionError("down")

    metrics.observe_ms("x", "not a number")  # type: ignore[arg-type]
    metrics.observe_ms("x", 1.0, client=Broken())
    metrics.observe_many_ms("x", [1.0], client=Broken())
    assert metrics.percentiles("x")["count"] == 0
