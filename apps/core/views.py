from __future__ import annotations

import time

from django.db import connection
from django.http import HttpRequest, JsonResponse

from .redis import get_redis


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """PostgreSQL and Redis both answer: the web can do real work."""
    checks: dict[str, dict[str, object]] = {}
    for name, probe in (("postgres", _probe_postgres), ("redis", _probe_redis)):
        started = time.perf_counter()
        try:
            probe()
            checks[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which
            checks[name] = {"ok": False, "error": type(exc).__name__}
    ready = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ready" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


def _probe_postgres() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _probe_redis() -> None:
    get_redis().ping()
