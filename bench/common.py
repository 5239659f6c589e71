"""What the benchmark, load and fault scripts share: services started on free localhost
ports (a private Redis, gunicorn, rq workers), a small keep-alive HTTP client, visit
payloads a phone would send, and figures."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable
PG = "postgresql://postgres@127.0.0.1:5432"
SECRET = "bench-secret-not-for-production"  # noqa: S105 (loopback bench only)
CST = timezone(timedelta(hours=8))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def stop(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    """Stop a process this script started (its own process group), by its id."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


@dataclass
class Services:
    """Processes started for a run; all stopped by ``close``."""

    database_url: str  # postgresql+psycopg://...
    redis_port: int
    http_port: int
    queue: str
    photo_dir: str
    procs: dict[str, subprocess.Popen]
    logs: Path
    settings: dict[str, str] = field(default_factory=dict)  # more environment for gunicorn

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            RQ_QUEUE=self.queue,
            SECRET_KEY=SECRET,
            ACCESS_TOKEN_TTL="86400",  # noqa: S106
            PHOTO_STORAGE_DIR=self.photo_dir,
            LOG_LEVEL="WARNING",
            LOG_JSON="false",
            PYTHONPATH=str(ROOT),
        )
        env.update(self.settings)
        return env

    def start_redis(self) -> None:
        self.procs["redis"] = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=open(  # noqa: SIM115 (closed with the process)
                self.logs / "redis.log", "ab"
            ),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.redis_port)

    def start_gunicorn(self, workers: int = 2, threads: int = 4, timeout: int = 120) -> None:
        self.procs["gunicorn"] = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--bind",
                f"127.0.0.1:{self.http_port}",
                "--timeout",
                str(timeout),
                "--graceful-timeout",
                "5",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=open(  # noqa: SIM115 (closed with the process)
                self.logs / "gunicorn.log", "ab"
            ),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.http_port)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if Client(self.http_port).request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz")

    def start_worker(self, name: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [PYTHON, "-m", "workers", self.queue],
            cwd=ROOT,
            env=self.env(),
            stdout=open(  # noqa: SIM115 (closed with the process)
                self.logs / f"{name}.log", "ab"
            ),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def gunicorn_worker_pids(self) -> list[int]:
        import psutil

        master = self.procs.get("gunicorn")
        if master is None or master.poll() is not None:
            return []
        return [p.pid for p in psutil.Process(master.pid).children()]

    def close(self) -> None:
        for name in list(self.procs)[::-1]:
            stop(self.procs.pop(name))


@contextmanager
def services(
    database: str, redis_port: int | None = None, logs: Path | None = None
) -> Iterator[Services]:
    logs = logs or Path(tempfile.mkdtemp(prefix="doudi-bench-logs-"))
    logs.mkdir(parents=True, exist_ok=True)
    svc = Services(
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}",
        redis_port=redis_port or free_port(),
        http_port=free_port(),
        queue=f"bench-{uuid.uuid4().hex[:6]}",
        photo_dir=tempfile.mkdtemp(prefix="doudi-bench-photos-"),
        procs={},
        logs=logs,
    )
    try:
        yield svc
    finally:
        svc.close()


class Client:
    """One keep-alive HTTP/1.1 connection to the local gunicorn (one per thread)."""

    def __init__(self, port: int, token: str | None = None, timeout: float = 60) -> None:
        self.port, self.token, self.timeout = port, token, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.last_headers: list[tuple[str, str]] = []  # of the last answer

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, bytes]:
        hdrs = dict(headers or {})
        if self.token:
            hdrs["Authorization"] = f"Bearer {self.token}"
        data = raw
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            hdrs["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                response = self.conn.getresponse()
                payload = response.read()
                self.last_headers = response.getheaders()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, payload
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, payload = self.request(method, path, body)
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, payload

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def login(port: int, username: str, password: str) -> str:
    status, body = Client(port).json(
        "POST",
        "/api/v1/auth/login",
        {"username": username, "password": password, "device_id": f"bench-{username}"},
    )
    if status != 200:
        raise RuntimeError(f"login of {username} failed: {status} {body}")
    return body["access_token"]


def psycopg_url(database: str) -> str:
    return f"{PG}/{database}"


def migrate(url: str) -> None:
    """Upgrade a data set to every head of the code at hand (``api.migrate.upgrade``): a
    data set generated by older code lacks columns the API now reads."""
    from api.db import create_db_engine
    from api.migrate import upgrade

    engine = create_db_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as connection:
            upgrade(connection)
    finally:
        engine.dispose()


def worker_households(database: str, username: str, limit: int = 5000) -> list[tuple]:
    """(household id, lon, lat) of households in the worker's area, for payloads."""
    with psycopg.connect(psycopg_url(database)) as conn:
        return conn.execute(
            """
            SELECT h.id, ST_X(h.location), ST_Y(h.location)
            FROM users u JOIN areas a ON a.id = u.area_id
            JOIN areas v ON v.path LIKE a.path || '%%'
            JOIN households h ON h.area_id = v.id
            WHERE u.username = %s AND h.location IS NOT NULL
            ORDER BY h.id LIMIT %s
            """,
            (username, limit),
        ).fetchall()


def visit_payload(rng: random.Random, household: tuple, now: datetime | None = None) -> dict:
    """A visit as the phone sends it (API.md's example shape)."""
    hid, lon, lat = household
    now = now or datetime.now(UTC)
    visited = (now - timedelta(minutes=rng.randint(5, 60 * 24 * 20))).astimezone(CST)
    payload: dict[str, Any] = {
        "client_uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "household_id": hid,
        "visited_at": visited.isoformat(timespec="seconds"),
        "findings": {
            "household_size": rng.randint(1, 6),
            "monthly_income_total": rng.randint(0, 60) * 100,
            "rigid_expenses_monthly": rng.randint(0, 20) * 100,
            "circumstances": rng.sample(["unemployed", "serious_illness"], rng.randint(0, 1)),
        },
        "needs": rng.sample(["medical", "temporary_assistance"], rng.randint(0, 1)),
        "notes": "基准测试走访",
    }
    if rng.random() < 0.8:
        payload["channel"] = "in_person"
        payload["location"] = {
            "type": "Point",
            "coordinates": [
                round(lon + rng.gauss(0, 0.0002), 6),
                round(lat + rng.gauss(0, 0.0002), 6),
            ],
        }
        payload["accuracy_m"] = round(rng.uniform(3, 30), 1)
    else:
        payload["channel"] = "phone"
    return payload


@dataclass
class Row:
    """A line of the benchmarks' table (bench/run.py)."""

    number: str
    name: str
    figure: str
    reference: str = ""
    ratio: str = ""
    target: str = ""
    met: str = ""


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def timed(func, repeat: int) -> list[float]:
    """Wall times of ``repeat`` calls, in milliseconds."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def timed_side_by_side(ours, reference, repeat: int) -> tuple[list[float], list[float]]:
    """Wall times (ms) of ``repeat`` calls of each, alternating: a burst of load on this
    shared machine (autovacuum after a benchmark's writes, another job) then slows both
    sides alike instead of only the one measured at that moment."""
    ours_ms: list[float] = []
    reference_ms: list[float] = []
    for _ in range(repeat):
        ours_ms += timed(ours, 1)
        reference_ms += timed(reference, 1)
    return ours_ms, reference_ms


def time_statements(engine: Engine) -> tuple[Counter, Counter]:
    """Count and time what ``engine`` sends from now on, for the in-process profilers:
    (counts, seconds) by statement (white space folded, its first 100 characters, an
    executemany marked), and the commits as ``COMMIT``."""
    counts: Counter = Counter()
    seconds: Counter = Counter()

    @event.listens_for(engine, "before_cursor_execute")
    def _started(conn, _cursor, _statement, _params, _context, _many) -> None:
        conn.info["profile_t0"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _ended(conn, _cursor, statement, _params, _context, many) -> None:
        key = ("executemany " if many else "") + " ".join(statement.split())[:100]
        counts[key] += 1
        seconds[key] += time.perf_counter() - conn.info["profile_t0"]

    # The commit is no cursor execute: from the engine's commit event (before the DBAPI
    # commit) to the session's after_commit (after it).
    committing: list[float] = []

    @event.listens_for(engine, "commit")
    def _committing(_conn) -> None:
        committing.append(time.perf_counter())

    @event.listens_for(Session, "after_commit")
    def _committed(_session) -> None:
        if committing:
            counts["COMMIT"] += 1
            seconds["COMMIT"] += time.perf_counter() - committing.pop()

    return counts, seconds


def backends_cpu(engine: Any) -> float:
    """CPU seconds (user and system) used so far by the backends connected to the engine's
    database: this process's pool (no one else uses a bench copy)."""
    with engine.connect() as conn:
        pids = conn.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend'"
        ).scalars()
        ticks = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def profiler_environment(parser: Any, database: str, **settings: str) -> None:
    """The settings an in-process profiler's app is made with, on ``database``: a copy of
    the bench database, never ``doudi_bench`` itself (a profiler leaves its rows there)."""
    if database == "doudi_bench":
        parser.error("use a copy of doudi_bench (CREATE DATABASE … TEMPLATE doudi_bench)")
    os.environ.update(
        DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}",
        SECRET_KEY=SECRET,
        LOG_LEVEL="WARNING",
        LOG_JSON="false",
        **settings,
    )
