"""GET /metrics: the system page's figures in the Prometheus text format (version 0.0.4).

A plain Django view outside /api/ (no JWT, no role policy). When the METRICS_TOKEN setting
is non-empty the scraper must send `Authorization: Bearer <METRICS_TOKEN>`; when it is empty
the endpoint is open (keep it on an internal interface then). Prometheus config:

    scrape_configs:
      - job_name: algotrade
        metrics_path: /metrics
        authorization: {type: Bearer, credentials: <METRICS_TOKEN>}
"""

from __future__ import annotations

import hmac
import math
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from apps.orders.models import OrderIntent

from . import selectors

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float | int | None) -> str:
    if value is None:
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if isinstance(value, float) else str(value)


class Exposition:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str, samples: Iterable[tuple[dict[str, Any], Any]]) -> None:
        # The 0.0.4 text format names a counter's family after its sample, `_total` included.
        sample_name = f"{name}_total" if kind == "counter" else name
        self.lines.append(f"# HELP {sample_name} {help_text}")
        self.lines.append(f"# TYPE {sample_name} {kind}")
        for labels, value in samples:
            label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            self.lines.append(f"{sample_name}{{{label_text}}} {_number(value)}" if label_text else f"{sample_name} {_number(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def render_metrics() -> str:
    from apps.core.monitoring import queue_depths
    from apps.core.views import _probe_postgres, _probe_redis

    out = Exposition()
    up = []
    for name, probe in (("postgres", _probe_postgres), ("redis", _probe_redis)):
        try:
            probe()
            up.append(({"service": name}, 1))
        except Exception:  # noqa: BLE001 - down is a value here, not an error
            up.append(({"service": name}, 0))
    out.family("algotrade_up", "gauge", "1 when the backing service answers.", up)
    redis_up = up[1][1] == 1

    if redis_up:
        out.family(
            "algotrade_queue_depth", "gauge", "Tasks waiting in a Celery queue.",
            [({"queue": q}, n) for q, n in queue_depths().items()],
        )
        beats = selectors.heartbeat.heartbeats()
        out.family(
            "algotrade_heartbeat_age_seconds", "gauge", "Seconds since a Celery process last wrote its heartbeat.",
            [({"name": b["name"], "kind": b["kind"]}, b["age_seconds"]) for b in beats],
        )
        out.family(
            "algotrade_workers", "gauge", "Celery processes with a live heartbeat, by kind.",
            [({"kind": k}, sum(1 for b in beats if b["kind"] == k)) for k in ("worker", "beat", "schedule")],
        )
        out.family(
            "algotrade_feed_ticks_per_second", "gauge", "Market ticks per second reported by the feed.",
            [({}, selectors.ticks_per_second())],
        )
        for name in selectors.metrics.KNOWN:
            summary = selectors.metrics.percentiles(name)
            metric = "algotrade_" + name.removesuffix("_ms") + "_milliseconds"
            out.family(
                metric, "gauge", f"{name} over the last {selectors.metrics.SAMPLE_LIMIT} samples, by quantile.",
                [({"quantile": q}, summary[key]) for q, key in (("0.5", "p50"), ("0.9", "p90"), ("0.99", "p99"))],
            )
            out.family(
                metric.removesuffix("_milliseconds") + "_samples", "gauge", f"Samples held for {name}.",
                [({}, summary["count"])],
            )
        from apps.operations import kill

        out.family(
            "algotrade_kill_switches_active", "gauge", "Active kill switches (fields of kill:active).",
            [({}, len(kill.active_switches()))],
        )

    windows = {label: selectors.order_rates(since=_now() - span) for label, span in selectors.WINDOWS.items()}
    out.family(
        "algotrade_orders_window", "gauge", "Order intents created in the window, by status.",
        [({"window": w, "status": s}, n) for w, r in windows.items() for s, n in sorted(r["by_status"].items())],
    )
    for key, help_text in (
        ("success_rate", "FILLED share of final intents created in the window."),
        ("reject_rate", "REJECTED share of final intents created in the window."),
        ("failure_rate", "FAILED share of final intents created in the window."),
    ):
        out.family(
            f"algotrade_order_{key.removesuffix('_rate')}_ratio", "gauge", help_text,
            [({"window": w}, r[key]) for w, r in windows.items()],
        )
    totals = OrderIntent.objects.values("status").annotate(n=Count("id"))
    out.family(
        "algotrade_order_intents", "counter", "Order intents ever created, by current status.",
        [({"status": row["status"]}, row["n"]) for row in totals],
    )
    out.family(
        "algotrade_strategies", "gauge", "Strategies (not deleted) by status.",
        [({"status": s}, n) for s, n in sorted(selectors.strategy_counts().items())],
    )
    users = get_user_model().objects.values("role").annotate(n=Count("id"))
    out.family("algotrade_users", "gauge", "Accounts by role.", [({"role": row["role"]}, row["n"]) for row in users])
    return out.text()


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()


def _authorised(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return True
    header = request.headers.get("Authorization", "")
    presented = header[7:] if header.startswith("Bearer ") else ""
    return hmac.compare_digest(presented.encode(), token.encode())


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        response = HttpResponse("unauthorised\n", status=401, content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE)
