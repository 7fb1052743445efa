"""Run the platform's real OS processes (web, celery workers, beat, ...) for end-to-end tests
and benchmarks: real PostgreSQL, real Redis, no mocking.

    from tests.stack import Stack

    with Stack(database_url, redis_url) as stack:
        stack.start("web", "worker-orders")      # spawns both, then waits until both are ready
        httpx.get(stack.url + "/readyz")
        stack.kill("worker-orders")              # SIGKILL to the whole process group, waits
        stack.restart("worker-orders")

Every process is started in its own session (so its own process group: ``kill`` reaches
celery's pool children too) and writes stdout+stderr to its own file in a temporary
directory (``stack.log(name)``). Nothing here needs pytest; ``database_url`` and
``redis_url`` default to the ones of the configured Django settings.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_MODULE = "config.settings.test"
DEFAULT_BEAT_SCHEDULER = "apps.scheduling.beat:StrategyScheduler"
# Celery queues the platform routes to; purged between tests.
QUEUES = ("orders", "stoploss", "default")
TAIL_LINES = 60

# A ready check: a substring that must appear in the log written by the current run of the
# process, or a callable(stack, name) -> bool.
ReadyCheck = str | Callable[["Stack", str], bool]


class StackError(RuntimeError):
    """A process did not start, died while starting, or did not become ready in time."""


@dataclass
class ProcessSpec:
    """How to run one process.

    ``argv`` items are ``str.format``-ed at every spawn with ``port`` (a free TCP port,
    allocated once per Stack when any item uses it and kept across restarts), ``uid``
    (a short id unique to this Stack), ``tmp`` (the Stack's log/tmp directory),
    ``beat_scheduler`` and ``name``. ``argv[0]`` is looked up in the virtualenv's bin first.
    """

    name: str
    argv: list[str]
    ready: ReadyCheck
    env: dict[str, str] = field(default_factory=dict)


def http_ready(path: str = "/readyz", status: int = 200) -> Callable[[Stack, str], bool]:
    """Ready check: GET http://127.0.0.1:<port><path> of that process answers ``status``."""

    def check(stack: Stack, name: str) -> bool:
        url = f"http://127.0.0.1:{stack.port(name)}{path}"
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return resp.status == status
        except urllib.error.HTTPError as exc:
            return exc.code == status
        except (OSError, ValueError):
            return False

    return check


def _celery_worker(queue: str, concurrency: int, pool: str = "threads") -> list[str]:
    return (
        f"celery -A config worker -Q {queue} -n {queue}-{{uid}}@%h --pool {pool} --concurrency {concurrency}"
        " --prefetch-multiplier 1 -l info --without-gossip --without-mingle --without-heartbeat"
    ).split()


CELERY_WORKER_READY = "ready."  # celery logs "<nodename> ready." once it consumes
BEAT_READY = "beat: Starting..."


def default_specs() -> dict[str, ProcessSpec]:
    return {
        "web": ProcessSpec(
            "web",
            ["uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", "{port}", "--no-access-log", "--log-level", "warning"],
            http_ready("/readyz"),
        ),
        "listener": ProcessSpec(
            "listener",
            ["uvicorn", "config.listener_asgi:application", "--host", "127.0.0.1", "--port", "{port}", "--no-access-log", "--log-level", "warning"],
            http_ready("/healthz"),
        ),
        "worker-orders": ProcessSpec("worker-orders", _celery_worker("orders", 16), CELERY_WORKER_READY),
        "worker-stoploss": ProcessSpec("worker-stoploss", _celery_worker("stoploss", 8), CELERY_WORKER_READY),
        "worker-default": ProcessSpec("worker-default", _celery_worker("default", 4), CELERY_WORKER_READY),
        "beat": ProcessSpec(
            "beat",
            "celery -A config beat -l info -S {beat_scheduler} --pidfile= --schedule {tmp}/celerybeat-schedule".split(),
            BEAT_READY,
        ),
    }


# --- settings helpers ------------------------------------------------------------------------


def database_url_from_settings(alias: str = "default") -> str:
    """postgres://user:password@host:port/name of the configured Django database (after
    pytest-django's ``django_db_setup`` that is the test database)."""
    from django.conf import settings

    db = settings.DATABASES[alias]
    engine = db.get("ENGINE", "")
    if "postgresql" not in engine:
        raise StackError(f"only PostgreSQL is supported by the process stack, not {engine!r}")
    user = quote(str(db.get("USER") or ""), safe="")
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = str(db.get("HOST") or "127.0.0.1")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(str(db['NAME']), safe='')}"


def redis_url_from_settings() -> str:
    from django.conf import settings

    return str(settings.REDIS_URL)


def _redis_db_index(redis_url: str) -> int:
    path = urlsplit(redis_url).path.strip("/")
    return int(path) if path else 0


def _redis_base(redis_url: str) -> str:
    parts = urlsplit(redis_url)
    return f"{parts.scheme}://{parts.netloc}"


def _xdist_worker_for_db(index: int) -> str:
    """Inverse of config/settings/test.py: gw-1 -> db 1, gwN -> db N+2."""
    return "gw-1" if index == 1 else f"gw{index - 2}"


def purge_queues(redis_url: str, queues: Iterable[str] = QUEUES) -> int:
    """Delete the Celery queue lists (and their priority sub-lists) and the unacked
    bookkeeping of the Redis transport in that Redis database. Returns keys deleted."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys: list[str] = ["unacked", "unacked_index", "unacked_mutex"]
        for queue in queues:
            # kombu's Redis transport: priority p>0 lives in "<queue>\x06\x16<p>".
            keys += [queue] + [f"{queue}\x06\x16{p}" for p in range(1, 10)]
        return int(client.delete(*keys))
    finally:
        client.close()


# --- process-group helpers ------------------------------------------------------------------


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, pgid) of a pid from /proc, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    rest = raw[raw.rfind(")") + 2 :].split()  # comm may contain spaces and parens
    return rest[0], int(rest[2])


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) pids whose process group is ``pgid``."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _proc_stat(int(entry))
        if stat and stat[1] == pgid and stat[0] not in ("Z", "X"):
            members.append(int(entry))
    return sorted(members)


def pid_alive(pid: int) -> bool:
    """True when ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = _proc_stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_PR_SET_PDEATHSIG = 1
try:
    _libc: Any = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - not Linux/glibc
    _libc = None


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# Stacks with (possibly) running processes; stopped at interpreter exit.
_RUNNING: set[Stack] = set()


@atexit.register
def _stop_all() -> None:
    for stack in list(_RUNNING):
        with contextlib.suppress(Exception):
            stack.stop()


# --- the stack --------------------------------------------------------------------------------


@dataclass
class _Running:
    popen: subprocess.Popen[bytes]
    logfile: IO[bytes]
    log_offset: int  # where this run's output starts in the log file
    started_at: float
    ready_at: float | None = None


class Stack:
    """A set of the platform's real processes.

    ``database_url``/``redis_url`` default to the configured Django settings (the test DB
    once pytest-django set it up, and the per-xdist-worker Redis db). ``env`` is merged into
    every child's environment; ``stack.env`` may be changed before starting a process.
    """

    def __init__(
        self,
        database_url: str | None = None,
        redis_url: str | None = None,
        *,
        settings_module: str = DEFAULT_SETTINGS_MODULE,
        beat_scheduler: str = DEFAULT_BEAT_SCHEDULER,
        env: Mapping[str, str] | None = None,
        process_env: Mapping[str, Mapping[str, str]] | None = None,
        log_dir: str | os.PathLike[str] | None = None,
        stop_timeout: float = 5.0,
        root: str | os.PathLike[str] = REPO_ROOT,
    ) -> None:
        self.database_url = database_url or database_url_from_settings()
        self.redis_url = redis_url or redis_url_from_settings()
        self.settings_module = settings_module
        self.beat_scheduler = beat_scheduler
        self.stop_timeout = stop_timeout
        self.root = Path(root)
        self.uid = uuid.uuid4().hex[:10]
        self._own_dir = log_dir is None
        self.dir = Path(log_dir) if log_dir is not None else Path(tempfile.mkdtemp(prefix="stack-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.specs: dict[str, ProcessSpec] = default_specs()
        for name, extra in (process_env or {}).items():
            self.specs[name].env.update(extra)
        self._ports: dict[str, int] = {}
        self._running: dict[str, _Running] = {}
        self.env: dict[str, str] = self._base_env()
        self.env.update(env or {})

    # -- configuration --------------------------------------------------------------------

    def _base_env(self) -> dict[str, str]:
        env = dict(os.environ)
        bin_dirs = [str(p) for p in (self.root / ".venv" / "bin", Path(sys.executable).parent) if p.is_dir()]
        env["PATH"] = os.pathsep.join(dict.fromkeys([*bin_dirs, env.get("PATH", "")]))
        env["DJANGO_SETTINGS_MODULE"] = self.settings_module
        env["PYTHONUNBUFFERED"] = "1"
        env["DATABASE_URL"] = self.database_url
        env["REDIS_URL"] = self.redis_url
        env["CELERY_BROKER_URL"] = self.redis_url
        # config.settings.test ignores REDIS_URL: it derives the db from PYTEST_XDIST_WORKER
        # (inherited, so normally already right) and TEST_REDIS_BASE. Make both agree with
        # redis_url, so a child can never talk to another Redis db than the caller.
        env["TEST_REDIS_BASE"] = _redis_base(self.redis_url)
        env["PYTEST_XDIST_WORKER"] = _xdist_worker_for_db(_redis_db_index(self.redis_url))
        return env

    def add_process(
        self, name: str, argv: list[str], ready: ReadyCheck, env: Mapping[str, str] | None = None
    ) -> ProcessSpec:
        """Add (or replace) a process kind, e.g. the market-data ``listener`` or ``feed``."""
        spec = ProcessSpec(name, list(argv), ready, dict(env or {}))
        self.specs[name] = spec
        return spec

    def set_env(self, name: str, **env: str) -> None:
        """Extra environment for one process (applies from its next start)."""
        self.specs[name].env.update(env)

    # -- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, *names: str, wait: bool = True, timeout: float = 60.0) -> Stack:
        """Spawn the named processes (all at once), then wait until each is ready."""
        for name in names:
            self._spawn(name)
        if wait:
            deadline = time.monotonic() + timeout
            for name in names:
                self.wait_ready(name, timeout=max(0.1, deadline - time.monotonic()))
        return self

    def _spawn(self, name: str) -> None:
        if name not in self.specs:
            raise StackError(f"unknown process {name!r}; known: {sorted(self.specs)}")
        if self.is_running(name):
            raise StackError(f"{name} is already running (pid {self.pid(name)})")
        self._reap(name)
        spec = self.specs[name]
        fmt = {"uid": self.uid, "tmp": str(self.dir), "beat_scheduler": self.beat_scheduler, "name": name}
        if any("{port}" in arg for arg in spec.argv):
            fmt["port"] = str(self._ports.setdefault(name, _free_port()))
        argv = [arg.format(**fmt) for arg in spec.argv]
        exe = self.root / ".venv" / "bin" / argv[0]
        if os.sep not in argv[0] and exe.exists():
            argv[0] = str(exe)
        env = {**self.env, **spec.env}
        logfile = open(self.log_path(name), "ab")  # closed in _reap
        logfile.write(f"===== stack: start {name} at {time.strftime('%H:%M:%S')}: {' '.join(argv)}\n".encode())
        logfile.flush()
        offset = logfile.tell()
        try:
            popen = subprocess.Popen(
                argv,
                cwd=self.root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                # PDEATHSIG fires when the *thread* that forked exits: only from the main thread.
                preexec_fn=_die_with_parent if threading.current_thread() is threading.main_thread() else None,
            )
        except BaseException:
            logfile.close()
            raise
        self._running[name] = _Running(popen, logfile, offset, time.monotonic())
        _RUNNING.add(self)

    def wait_ready(self, name: str, timeout: float = 60.0) -> float:
        """Block until ``name`` is ready; returns seconds since it was spawned. Raises
        StackError (with the last lines of its log) when it exits or the timeout passes."""
        run = self._get(name)
        if run.ready_at is not None:
            return run.ready_at - run.started_at
        check = self.specs[name].ready
        deadline = time.monotonic() + timeout
        while True:
            code = run.popen.poll()
            if code is not None and self._port_taken(name, run):
                # Another process grabbed the port between _free_port() and bind: new port.
                self._reap(name)
                self._ports.pop(name, None)
                self._spawn(name)
                run = self._running[name]
                continue
            if code is not None:
                raise StackError(f"{name} exited with code {code} before it was ready\n{self._tail(name)}")
            if self._is_ready(name, run, check):
                run.ready_at = time.monotonic()
                return run.ready_at - run.started_at
            if time.monotonic() >= deadline:
                raise StackError(f"{name} not ready after {timeout:.1f}s (pid {run.popen.pid})\n{self._tail(name)}")
            time.sleep(0.05)

    def _port_taken(self, name: str, run: _Running) -> bool:
        return name in self._ports and "address already in use" in self._current_log(name, run).lower()

    def _is_ready(self, name: str, run: _Running, check: ReadyCheck) -> bool:
        if isinstance(check, str):
            return check in self._current_log(name, run)
        return bool(check(self, name))

    def kill(self, name: str, sig: int = signal.SIGKILL, *, wait: bool | None = None, timeout: float = 10.0) -> None:
        """Send ``sig`` to the whole process group of ``name``. By default (for KILL, TERM,
        INT, QUIT) wait until every process of the group is gone and reap the leader."""
        run = self._get(name)
        pgid = run.popen.pid  # session leader: pgid == pid
        if run.popen.poll() is None or group_members(pgid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, sig)
        if wait is None:
            wait = sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
        if wait and not self._wait_group_gone(run, time.monotonic() + timeout):
            raise StackError(f"{name}: process group {pgid} still alive {timeout}s after signal {sig}")

    def _wait_group_gone(self, run: _Running, deadline: float) -> bool:
        pgid = run.popen.pid
        while True:
            run.popen.poll()  # reaps the leader once it exits
            if run.popen.returncode is not None and not group_members(pgid):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    def restart(self, name: str, *, sig: int = signal.SIGTERM, timeout: float = 60.0) -> float:
        """Stop ``name`` (``sig``, SIGKILL after ``stop_timeout``), start it again and wait
        until it is ready. Returns the seconds it took to become ready."""
        if name in self._running:
            self._stop_one(name, sig)
        self._spawn(name)
        return self.wait_ready(name, timeout)

    def stop(self, *names: str) -> None:
        """Stop the named processes (default: all): SIGTERM to every group, SIGKILL to what
        is left after ``stop_timeout`` seconds; always reap."""
        targets = [n for n in (names or list(self._running)) if n in self._running]
        for name in targets:
            with contextlib.suppress(StackError):
                self.kill(name, signal.SIGTERM, wait=False)
        deadline = time.monotonic() + self.stop_timeout
        for name in targets:
            self._wait_group_gone(self._running[name], deadline)
        for name in targets:
            run = self._running[name]
            if run.popen.returncode is None or group_members(run.popen.pid):
                with contextlib.suppress(StackError):
                    self.kill(name, signal.SIGKILL, timeout=10.0)
            self._reap(name)
        if not self._running:
            _RUNNING.discard(self)

    def _stop_one(self, name: str, sig: int) -> None:
        run = self._get(name)
        with contextlib.suppress(StackError):
            self.kill(name, sig, wait=False)
        if not self._wait_group_gone(run, time.monotonic() + self.stop_timeout):
            self.kill(name, signal.SIGKILL)
        self._reap(name)

    def _reap(self, name: str) -> None:
        run = self._running.pop(name, None)
        if run is None:
            return
        if run.popen.returncode is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                run.popen.wait(timeout=5)
        run.logfile.close()

    def cleanup(self) -> None:
        """stop() and delete the log directory (when the Stack created it)."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- inspection ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL of the web process, e.g. http://127.0.0.1:43121 (no trailing slash)."""
        return f"http://127.0.0.1:{self.port('web')}"

    def port(self, name: str) -> int:
        if name not in self._ports:
            raise StackError(f"{name} has no port (not started, or its argv has no {{port}})")
        return self._ports[name]

    def _get(self, name: str) -> _Running:
        if name not in self._running:
            raise StackError(f"{name} was not started")
        return self._running[name]

    def is_running(self, name: str) -> bool:
        run = self._running.get(name)
        return run is not None and run.popen.poll() is None

    def pid(self, name: str) -> int:
        """Pid of the process (its process group and session have the same id)."""
        return self._get(name).popen.pid

    def pids(self, name: str) -> list[int]:
        """Every live pid of the process group of ``name`` (e.g. celery pool children)."""
        return group_members(self._get(name).popen.pid)

    def returncode(self, name: str) -> int | None:
        return self._get(name).popen.poll()

    def startup_seconds(self, name: str) -> float | None:
        run = self._get(name)
        return None if run.ready_at is None else run.ready_at - run.started_at

    def log_path(self, name: str) -> Path:
        return self.dir / f"{name}.log"

    def log(self, name: str) -> str:
        """The whole log of ``name`` (every run, separated by '===== stack: start' lines)."""
        path = self.log_path(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def _current_log(self, name: str, run: _Running) -> str:
        with open(self.log_path(name), "rb") as fh:
            fh.seek(run.log_offset)
            return fh.read().decode(errors="replace")

    def _tail(self, name: str, lines: int = TAIL_LINES) -> str:
        text = "\n".join(self.log(name).splitlines()[-lines:])
        return f"----- last {lines} lines of {self.log_path(name)} -----\n{text}\n----- end of {name} log -----"

    def __repr__(self) -> str:
        procs = ", ".join(f"{n}={r.popen.pid}" for n, r in self._running.items())
        return f"<Stack {self.uid} [{procs}] logs={self.dir}>"
