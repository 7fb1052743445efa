from __future__ import annotations

import json
import time
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from apps.core.redis import get_redis
from apps.monitoring import metrics
from apps.operations.tests.helpers import make_intent, make_strategy

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(alice: Any) -> Any:
    """Queued tasks, heartbeats, feed rate, latency samples and a day of orders."""
    r = get_redis()
    r.lpush("stoploss", "a", "b")
    r.lpush("orders", "c")
    r.set("heartbeat:orders@host", json.dumps({"kind": "worker", "queues": ["orders"], "pid": 1, "at": time.time() - 3}))
    r.hset("metrics:feed", mapping={"ticks_per_second": "812.5"})
    metrics.observe_many_ms("stoploss_latency_ms", [float(v) for v in range(1, 101)])
    metrics.observe_many_ms("schedule_lateness_ms", [5.0, 7.0])
    a = make_strategy(alice)
    b = make_strategy(alice, name="b")
    c = make_strategy(alice, name="c")
    make_intent(a, leg="ENTRY", status="FILLED")
    make_intent(b, leg="ENTRY", status="REJECTED", last_error="Insufficient margin")
    make_intent(c, leg="ENTRY", status="FAILED", last_error="broker timed out 3 times")
    make_intent(a, leg="EXIT", status="FILLED")
    return a


def test_admin_system_page_has_every_figure(api: Any, admin_user: Any, activity: Any) -> None:
    body = api(admin_user).get("/api/admin/system").json()
    assert body["services"] == {"postgres": "ok", "redis": "ok"}
    assert body["queues"] == {"stoploss": 2, "orders": 1, "default": 0}
    assert [(h["name"], h["kind"]) for h in body["heartbeats"]] == [("orders@host", "worker")]
    assert 2 <= body["heartbeats"][0]["age_seconds"] < 60
    assert body["ticks_per_second"] == 812.5
    assert body["latency_ms"]["stoploss_latency_ms"]["p50"] == 50.0
    assert body["latency_ms"]["stoploss_latency_ms"]["p99"] == 99.0
    assert body["latency_ms"]["schedule_lateness_ms"]["count"] == 2
    hour = body["orders"]["1h"]
    assert hour["total"] == 4 and hour["success_rate"] == 0.5 and hour["reject_rate"] == 0.25
    assert hour["failure_rate"] == 0.25
    assert {e["last_error"] for e in body["recent_errors"]} == {"Insufficient margin", "broker timed out 3 times"}
    assert body["strategies"] == {"RUNNING": 3}


def test_feed_rate_falls_back_to_the_listener(api: Any, admin_user: Any) -> None:
    get_redis().hset("metrics:listener", mapping={"ticks_per_second": "40.0"})
    assert api(admin_user).get("/api/admin/system").json()["ticks_per_second"] == 40.0


def test_ownership_system_page_is_admin_only(api: Any, alice: Any, broker_user: Any) -> None:
    assert api(alice).get("/api/admin/system").status_code == 403
    assert api(broker_user).get("/api/admin/system").status_code == 403
    assert api(None).get("/api/admin/system").status_code == 401


def _families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def _sample(families: dict[str, Any], name: str, **labels: str) -> float:
    for family in families.values():
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    raise AssertionError(f"no sample {name} {labels}")


def test_prometheus_endpoint_parses_and_matches_the_system_page(client: Any, activity: Any) -> None:
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = _families(r.content.decode())
    assert all(name.startswith("algotrade_") for name in families)
    assert families["algotrade_order_intents"].type == "counter"
    assert _sample(families, "algotrade_queue_depth", queue="stoploss") == 2
    assert _sample(families, "algotrade_up", service="postgres") == 1
    assert _sample(families, "algotrade_feed_ticks_per_second") == 812.5
    assert _sample(families, "algotrade_stoploss_latency_milliseconds", quantile="0.99") == 99
    assert _sample(families, "algotrade_schedule_lateness_milliseconds", quantile="0.5") == 5
    assert _sample(families, "algotrade_order_success_ratio", window="1h") == 0.5
    assert _sample(families, "algotrade_order_reject_ratio", window="24h") == 0.25
    assert _sample(families, "algotrade_orders_window", window="1h", status="FILLED") == 2
    assert _sample(families, "algotrade_order_intents_total", status="REJECTED") == 1
    assert _sample(families, "algotrade_workers", kind="worker") == 1
    assert _sample(families, "algotrade_strategies", status="RUNNING") == 3


def test_prometheus_endpoint_with_a_token_wants_the_bearer(client: Any, settings: Any) -> None:
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    r = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert r.status_code == 200 and "algotrade_up" in r.content.decode()
    assert client.post("/metrics").status_code == 405
