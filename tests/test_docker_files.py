"""docker/ cannot be built here (no Docker engine), so what can be checked without one is:
every process of the Procfile has its compose service, the workers cover every task queue,
no uvicorn logs query strings (tokens), Redis keeps queued orders (AOF, noeviction), and every
path the Dockerfile copies exists."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]


def _argv(service: str) -> list[str]:
    command = SERVICES[service].get("command") or []
    return command if isinstance(command, list) else command.split()


def test_every_procfile_process_has_a_compose_service() -> None:
    names = [line.split(":", 1)[0] for line in (ROOT / "Procfile").read_text().splitlines()
             if line and not line.startswith("#")]
    assert names, "Procfile is empty"
    missing = [n for n in names if n not in SERVICES]
    assert missing == []
    for infra in ("postgres", "redis", "flower", "reconcile", "migrate"):
        assert infra in SERVICES


def test_the_workers_consume_every_queue_tasks_are_routed_to() -> None:
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    consumed: set[str] = set()
    for name in SERVICES:
        argv = _argv(name)
        if "worker" in argv and "-Q" in argv:
            consumed.update(argv[argv.index("-Q") + 1].split(","))
    assert routed <= consumed, routed - consumed
    assert "stoploss" in consumed and not any(  # the stop-loss queue has a worker of its own
        "stoploss" in _argv(n)[_argv(n).index("-Q") + 1] and "," in _argv(n)[_argv(n).index("-Q") + 1]
        for n in SERVICES if "-Q" in _argv(n)
    )


def test_uvicorn_never_logs_request_lines_with_tokens() -> None:
    commands = [_argv(n) for n in SERVICES if _argv(n)[:1] == ["uvicorn"]]
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M)
    assert cmd is not None
    commands.append(yaml.safe_load(cmd.group(1)))
    assert len(commands) >= 3
    for argv in commands:
        assert "--no-access-log" in argv and argv[argv.index("--log-level") + 1] == "warning", argv


def test_redis_keeps_queued_orders() -> None:
    conf = dict(
        line.split(None, 1) for line in (ROOT / "docker" / "redis.conf").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert conf["appendonly"] == "yes"
    assert conf["maxmemory-policy"] == "noeviction"
    assert conf["appendfsync"] in ("always", "everysec")


def test_every_path_the_dockerfiles_copy_exists() -> None:
    for dockerfile in (ROOT / "docker").glob("*Dockerfile"):
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY") and "--from=" not in line:
                sources = [p for p in line.split()[1:-1] if not p.startswith("--")]
                for src in sources:
                    assert (ROOT / src).exists(), f"{dockerfile.name}: {src}"
