"""Benchmark set-up: a dedicated database (algotrade_bench), migrated, emptied per run, and
the real processes started through tests.stack. Figures are printed, never asserted."""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/algotrade_bench")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The test settings pick the Redis database from the xdist worker name: benchmarks take their
# own (db 12), so a test run on the same machine never flushes a benchmark's state.
os.environ.setdefault("PYTEST_XDIST_WORKER", "gw10")


def setup_django() -> None:
    import django
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    dsn = f"host={db['HOST']} port={db['PORT'] or 5432} user={db['USER']} dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def reset_state() -> None:
    """Empty the tables and the Redis database the benchmark uses."""
    from django.db import connection

    from apps.core.redis import get_redis

    tables = [t for t in connection.introspection.table_names() if not t.startswith("django_migrations")]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
    get_redis().flushdb()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(name: str, values_ms: list[float]) -> str:
    return (
        f"{name}: n={len(values_ms)} p50={percentile(values_ms, 50):.1f} ms p99={percentile(values_ms, 99):.1f} ms "
        f"max={max(values_ms):.1f} ms mean={statistics.fmean(values_ms):.1f} ms"
    )
