"""Fixtures for the tests that need real worker processes.

``tests/conftest.py`` runs each test in a transaction that is rolled back, which a worker
in another process cannot see. Here a database of its own (created like the suite's,
migrated by ``api.migrate.upgrade``) receives real commits, and ``rq worker`` / ``rq cron``
subprocesses read it through DATABASE_URL / REDIS_URL / RQ_QUEUE. Everything is dropped
afterwards; every wait is a poll with a deadline.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis

from api import create_app
from api.areas.scope import SYSTEM, set_actor
from api.db import session
from tests.conftest import TEST_REDIS_URL
from tests.databases import scratch_database

ROOT = Path(__file__).resolve().parents[2]
# The worker commands of the interpreter running the tests (the project's virtualenv).
PYTHON = sys.executable
RQ = str(Path(sys.executable).with_name("rq"))


@pytest.fixture(scope="session")
def live_database_url() -> Iterator[str]:
    with scratch_database("doudi_live") as url:
        yield url


@dataclass
class Live:
    """An app on the live database and a queue of its own, plus worker processes."""

    app: Flask
    redis_url: str
    queue: str
    tmp: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.app.config["DATABASE_URL"],
            REDIS_URL=self.redis_url,
            RQ_QUEUE=self.queue,
            SECRET_KEY="live-secret",
            LOG_JSON="false",
            PHOTO_STORAGE_DIR=str(self.tmp / "photos"),
            DOUDI_INSTANCE_DIR=str(self.tmp / "instance"),
            OUTBOX_RETRY_AFTER_SECONDS="0",
        )
        return env

    def spawn(self, *args: str, log: str = "worker") -> subprocess.Popen:
        """A subprocess in its own process group (so the whole group can be killed)."""
        out = open(self.tmp / f"{log}-{len(self.processes)}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            list(args),
            cwd=ROOT,
            env=self.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def worker(self, burst: bool = True) -> subprocess.Popen:
        """``python -m workers``: an RQ Worker (forking, with the scheduler) whose work
        horses inherit the app created once in the parent."""
        args = [PYTHON, "-m", "workers"]
        if burst:
            args.append("--burst")
        return self.spawn(*args, self.queue)

    def run_workers(self, count: int = 1, timeout: float = 90) -> None:
        """Start ``count`` burst workers at once and wait for all of them to finish."""
        started = [self.worker() for _ in range(count)]
        for process in started:
            assert process.wait(timeout=timeout) == 0, self.logs()

    def logs(self) -> str:
        return "\n".join(p.read_text()[-3000:] for p in sorted(self.tmp.glob("*.log")))

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def wait_for(condition: Callable[[], object], timeout: float = 60, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture
def make_live(live_database_url, tmp_path) -> Iterator[Callable[..., Live]]:
    """Build a Live for a Redis URL (the suite's by default); the session is rebound to
    the live database for the test and given back afterwards."""
    import workers.app

    previous_bind = session.session_factory.kw.get("bind")
    previous_app = workers.app._app
    made: list[tuple[Live, object]] = []

    def make(redis_url: str = TEST_REDIS_URL) -> Live:
        queue = f"doudi-live-{uuid.uuid4().hex[:8]}"
        app = create_app(
            {
                "DATABASE_URL": live_database_url,
                "REDIS_URL": redis_url,
                "RQ_QUEUE": queue,
                "SECRET_KEY": "live-secret",
                "LOG_JSON": False,
                "TESTING": True,
                "PHOTO_STORAGE_DIR": str(tmp_path / "photos"),
                "OUTBOX_RETRY_AFTER_SECONDS": 0,
            }
        )
        workers.app.use_app(app)
        ctx = app.app_context()
        ctx.push()
        set_actor(None, SYSTEM)
        live = Live(app=app, redis_url=redis_url, queue=queue, tmp=tmp_path)
        made.append((live, ctx))
        return live

    yield make
    for live, ctx in reversed(made):
        live.stop_all()
        session.remove()
        ctx.pop()  # type: ignore[attr-defined]
        live.app.extensions["doudi.engine"].dispose()
        try:
            redis = Redis.from_url(live.redis_url, socket_connect_timeout=1)
            for key in redis.scan_iter(f"*{live.queue}*"):
                redis.delete(key)
        except Exception:  # noqa: S110  (a private Redis may be gone already)
            pass
    session.remove()
    session.configure(bind=previous_bind)
    workers.app._app = previous_app


@pytest.fixture
def live(make_live) -> Live:
    return make_live()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PrivateRedis:
    """A redis-server of this test's own, on a free port: stopping it harms nobody."""

    port: int
    tmp: Path
    pid: int | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        pidfile = self.tmp / f"redis-{self.port}.pid"
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--pidfile",
                str(pidfile),
                "--dir",
                str(self.tmp),
            ],
            check=True,
            timeout=10,
        )
        wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), timeout=10)
        self.pid = int(pidfile.read_text().strip())
        wait_for(self._pings, timeout=10)

    def _pings(self) -> bool:
        try:
            return bool(Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except Exception:
            return False

    def stop(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            self.pid = None


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(port=free_port(), tmp=tmp_path)
    yield server
    server.stop()
