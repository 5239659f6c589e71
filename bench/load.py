"""`make load`: 50 simulated phones against gunicorn + PostGIS + Redis + two rq workers.

    .venv/bin/python bench/load.py --minutes 10            # the recorded run
    .venv/bin/python bench/load.py --minutes 10 --faults   # with faults injected
    .venv/bin/python bench/load.py --minutes 2 --phones 20 # a try

Everything runs on loopback and is private to the run: a PostgreSQL cluster of its own
(initdb on a free port, PostGIS, trust auth, under a temporary folder), a redis-server on
a free port, gunicorn (2 workers x 4 threads), two ``python -m workers`` processes and
``rq cron workers/cron.py`` (the outbox sweep). The machine's own PostgreSQL and Redis are
never touched. A small seeded data set (bench/generate.py --fraction) is loaded first.

Each phone (a thread, signed in as its own outreach worker) syncs batches of visits
(POST /visits/batch), uploads photos of some of them (shared/testdata/photos), retries on
timeouts, connection errors and 5xx with backoff, and now and then resends a batch or a
photo it already sent. Every client_uuid it sent and every one the server acknowledged
goes to a ledger (JSON), which bench/check.py checks afterwards.

--faults adds, at set points of the run: Redis stopped for 60 s; one worker SIGKILLed (and
started again); PostgreSQL stopped for 30 s and started again; a client cut off in the
middle of a photo upload. While a dependency is down, /readyz and the phones' answers are
recorded: 503 is expected, a 500 is a failure.

The run exits non-zero if bench/check.py fails, if any answer was a 5xx other than 503,
if the API logged an exception no error handler answered, or (with --faults) if no 503
was seen while a dependency was down.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

import psycopg

from bench.common import (
    BIN,
    PYTHON,
    ROOT,
    Client,
    Services,
    free_port,
    stop,
    visit_payload,
)
from bench.generate import PASSWORD
from tests.live import multipart

PG_BIN = Path("/usr/lib/postgresql") / (
    sorted(os.listdir("/usr/lib/postgresql"))[-1] if Path("/usr/lib/postgresql").exists() else "15"
) / "bin"  # fmt: skip
PHOTOS = sorted((ROOT.parent / "shared/testdata/photos/orientation").glob("*.jpg"))
DATABASE = "doudi_load"
POSTGRES_DOWN_SECONDS = 30


# ---------------------------------------------------------------------------------------
# A private PostgreSQL


class PrivateCluster:
    """initdb + pg_ctl as the postgres user, on a free port, in a temporary folder."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="doudi-load-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"

    def _as_postgres(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        # No pipes: a postmaster started by pg_ctl would hold them open, and the call
        # would wait for it to exit.
        return subprocess.run(
            command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def init(self) -> None:
        shutil.chown(self.dir, "postgres") if os.geteuid() == 0 else None
        self._as_postgres("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.dir}'\nfsync = off\n"
                "shared_buffers = 256MB\nmax_connections = 200\n"
            )
        self.start()

    def start(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "start")

    def stop(self, mode: str = "immediate") -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._as_postgres("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str, driver: str = "postgresql") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"


# ---------------------------------------------------------------------------------------
# Phones


@dataclass
class Ledger:
    lock: threading.Lock = field(default_factory=threading.Lock)
    visits_sent: set[str] = field(default_factory=set)
    visits_acked: dict[str, int] = field(default_factory=dict)  # client_uuid -> id
    photos_sent: set[str] = field(default_factory=set)
    photos_acked: dict[str, int] = field(default_factory=dict)
    statuses: Counter = field(default_factory=Counter)
    during_fault: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    fault_active: str = ""
    log: list[str] = field(default_factory=list)

    def status(self, code: int) -> None:
        with self.lock:
            self.statuses[code] += 1
            if self.fault_active:
                self.during_fault[f"{self.fault_active}:{code}"] += 1

    def note(self, text: str) -> None:
        with self.lock:
            self.log.append(f"{time.strftime('%H:%M:%S')} {text}")
        print(text, flush=True)

    def as_json(self) -> dict[str, Any]:
        return {
            "visits_sent": sorted(self.visits_sent),
            "visits_acked": self.visits_acked,
            "photos_sent": sorted(self.photos_sent),
            "photos_acked": self.photos_acked,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "during_fault": dict(self.during_fault),
            "errors": dict(self.errors),
            "log": self.log,
        }


class Phone(threading.Thread):
    def __init__(
        self,
        n: int,
        port: int,
        households: list[tuple],
        ledger: Ledger,
        deadline: float,
        think: float = 20.0,
        batch: int = 10,
    ) -> None:
        super().__init__(daemon=True, name=f"phone-{n}")
        self.n, self.port, self.households = n, port, households
        self.ledger, self.deadline = ledger, deadline
        self.rng = random.Random(1000 + n)
        self.think, self.batch = think, batch
        self.username = f"bench-worker-{n + 1:03d}"

    def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        """One request with retries on timeouts, dropped connections and 5xx (backoff)."""
        delay = 0.5
        while time.monotonic() < self.deadline + 120:
            try:
                status, body = self.client.request(method, path, **kwargs)
            except (OSError, TimeoutError) as exc:
                self.ledger.errors[type(exc).__name__] += 1
                self.client.close()
                status, body = 0, b""
            if status:
                self.ledger.status(status)
            if status and status < 500 and status != 429:
                try:
                    return status, json.loads(body) if body else None
                except ValueError:
                    return status, None
            time.sleep(delay + self.rng.random() * delay)
            delay = min(delay * 2, 8)
        return 0, None

    def login(self) -> None:
        self.client = Client(self.port, timeout=10)
        status, body = self.call(
            "POST", "/api/v1/auth/login",
            body={"username": self.username, "password": PASSWORD, "device_id": f"phone-{self.n}"},
        )  # fmt: skip
        if status != 200:
            raise RuntimeError(f"{self.username}: login {status}")
        self.client.token = body["access_token"]

    def run(self) -> None:
        try:
            self.login()
            previous: list[dict] = []
            while time.monotonic() < self.deadline:
                batch = [
                    visit_payload(self.rng, self.rng.choice(self.households))
                    for _ in range(self.batch)
                ]
                self.sync(batch)
                if previous and self.rng.random() < 0.2:
                    self.sync(previous)  # the phone did not see the answer: resend
                previous = batch
                time.sleep(self.rng.uniform(0.5, 1.5) * self.think)
        except Exception as exc:  # a phone that dies is counted, not hidden
            self.ledger.note(f"{self.username} stopped: {exc!r}")
            self.ledger.errors["phone died"] += 1

    def sync(self, batch: list[dict]) -> None:
        with self.ledger.lock:
            self.ledger.visits_sent.update(v["client_uuid"] for v in batch)
        status, body = self.call("POST", "/api/v1/visits/batch", body={"visits": batch})
        if status != 200 or not body:
            return
        for visit, result in zip(batch, body.get("results", []), strict=False):
            if result.get("status") in (200, 201) and result.get("id"):
                with self.ledger.lock:
                    self.ledger.visits_acked[visit["client_uuid"]] = result["id"]
                if self.rng.random() < 0.15:
                    self.photo(result["id"])

    def photo(self, visit_id: int) -> None:
        client_uuid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        data = self.rng.choice(PHOTOS).read_bytes()
        with self.ledger.lock:
            self.ledger.photos_sent.add(client_uuid)
        body, content_type = multipart({"client_uuid": client_uuid}, data, "p.jpg", "image/jpeg")
        for _ in range(2 if self.rng.random() < 0.2 else 1):  # sometimes sent twice
            status, answer = self.call(
                "POST", f"/api/v1/visits/{visit_id}/photos", raw=body,
                headers={"Content-Type": content_type},
            )  # fmt: skip
            if status in (200, 201) and answer:
                with self.ledger.lock:
                    self.ledger.photos_acked[client_uuid] = answer["id"]


def cut_off_upload(port: int, token: str, visit_id: int, ledger: Ledger) -> None:
    """A phone that loses its connection halfway through a photo upload."""
    data = PHOTOS[0].read_bytes()
    body, content_type = multipart({"client_uuid": str(uuid.uuid4())}, data, "p.jpg", "image/jpeg")
    head = (
        f"POST /api/v1/visits/{visit_id}/photos HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body[: len(body) // 2])
        time.sleep(0.5)
    ledger.note("fault: a client cut off mid-upload")


# ---------------------------------------------------------------------------------------
# The run


def probe_readiness(port: int, ledger: Ledger, stop_event: threading.Event) -> None:
    client = Client(port, timeout=5)
    while not stop_event.is_set():
        try:
            status, _ = client.request("GET", "/readyz")
            if ledger.fault_active:
                with ledger.lock:
                    ledger.during_fault[f"{ledger.fault_active}:readyz:{status}"] += 1
        except OSError:
            client.close()
        time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description="Load (and fault) run of issue #8")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--fraction", type=float, default=0.02, help="of the county data set")
    parser.add_argument("--think", type=float, default=60, help="mean seconds between syncs")
    parser.add_argument("--batch", type=int, default=10, help="visits per sync")
    parser.add_argument("--drain-seconds", type=float, default=900)
    parser.add_argument("--out", type=Path, default=None, help="ledger and report folder")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="doudi-load-"))
    out.mkdir(parents=True, exist_ok=True)
    duration = args.minutes * 60
    ledger = Ledger()
    cluster = PrivateCluster()
    svc: Services | None = None
    stop_probe = threading.Event()
    try:
        cluster.init()
        subprocess.run(
            [PYTHON, str(ROOT / "bench/generate.py"), "--database", DATABASE,
             "--fraction", str(args.fraction), "--admin-url", cluster.admin_url],
            check=True,
        )  # fmt: skip
        svc = Services(
            database_url=cluster.url(DATABASE, "postgresql+psycopg"),
            redis_port=free_port(), http_port=free_port(),
            queue=f"load-{uuid.uuid4().hex[:6]}", photo_dir=str(out / "photos"),
            procs={}, logs=out,
        )  # fmt: skip
        # The sweep redoes a job lost to a killed worker or a Redis outage after this long
        # (default 300 s); shorter than the queue's backlog, it enqueues every waiting job
        # again (harmless, the jobs are idempotent, but it doubles the workers' work).
        os.environ.setdefault("OUTBOX_RETRY_AFTER_SECONDS", "120")
        svc.start_redis()
        svc.start_gunicorn(workers=2, threads=4, timeout=60)
        svc.start_worker("worker1")
        svc.start_worker("worker2")
        start_cron(svc)
        with psycopg.connect(cluster.url(DATABASE)) as conn:
            rows = conn.execute(
                """SELECT u.username, h.id, ST_X(h.location), ST_Y(h.location)
                   FROM users u JOIN areas t ON t.id = u.area_id
                   JOIN areas v ON v.parent_id = t.id JOIN households h ON h.area_id = v.id
                   WHERE u.role = 'outreach_worker'"""
            ).fetchall()
        households: dict[str, list[tuple]] = {}
        for username, *household in rows:
            households.setdefault(username, []).append(tuple(household))
        t0 = time.monotonic()
        deadline = t0 + duration
        phones = [
            Phone(
                n,
                svc.http_port,
                households[f"bench-worker-{n + 1:03d}"],
                ledger,
                deadline,
                args.think,
                args.batch,
            )
            for n in range(args.phones)
        ]
        for phone in phones:
            phone.start()
        threading.Thread(
            target=probe_readiness, args=(svc.http_port, ledger, stop_probe), daemon=True
        ).start()
        ledger.note(f"{args.phones} phones for {args.minutes} min on port {svc.http_port}")
        if args.faults:
            inject_faults(svc, cluster, ledger, t0, duration, phones)
        for phone in phones:
            phone.join(timeout=max(1, deadline - time.monotonic() + 180))
        ledger.note("phones done; waiting for the jobs to drain")
        drained = wait_for_outbox(cluster.url(DATABASE), timeout=args.drain_seconds)
        ledger.note(f"outbox drained: {drained}")
    finally:
        stop_probe.set()
        (out / "ledger.json").write_text(json.dumps(ledger.as_json()), encoding="utf-8")
        if svc is not None:
            svc.close()
        checked = None
        if (out / "ledger.json").exists():
            checked = subprocess.run(
                [PYTHON, str(ROOT / "bench/check.py"), "--url", cluster.url(DATABASE),
                 "--ledger", str(out / "ledger.json")],
                check=False,
            )  # fmt: skip
        cluster.stop()
    problems = verdict(ledger, args.faults, out / "gunicorn.log")
    summary(ledger, out, problems)
    sys.exit(1 if problems or checked is None or checked.returncode else 0)


def start_cron(svc: Services) -> None:
    svc.procs["cron"] = subprocess.Popen(
        [str(BIN / "rq"), "cron", "workers/cron.py", "--url", svc.redis_url],
        cwd=ROOT, env=svc.env(), stdout=open(svc.logs / "cron.log", "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def inject_faults(
    svc: Services,
    cluster: PrivateCluster,
    ledger: Ledger,
    t0: float,
    duration: float,
    phones: list[Phone],
) -> None:
    def at(fraction: float) -> None:
        time.sleep(max(0.0, t0 + fraction * duration - time.monotonic()))

    at(0.15)
    ledger.note("fault: SIGKILL worker1")
    stop(svc.procs.pop("worker1"), signal.SIGKILL, timeout=5)
    time.sleep(5)
    svc.start_worker("worker1")

    at(0.3)
    ledger.note("fault: Redis stopped for 60 s")
    ledger.fault_active = "redis"
    stop(svc.procs.pop("redis"), signal.SIGTERM)
    time.sleep(60)
    svc.start_redis()
    # `rq cron` exits when Redis goes away; in production its supervisor restarts it.
    # Without it the outbox sweep never runs and the jobs Redis lost are never redone.
    if svc.procs.get("cron") is not None and svc.procs["cron"].poll() is not None:
        svc.procs.pop("cron")
        start_cron(svc)
        ledger.note("rq cron had exited with Redis; restarted")
    ledger.fault_active = ""
    ledger.note("fault: Redis back")

    at(0.55)
    acked = list(ledger.visits_acked.values())
    if acked:
        cut_off_upload(svc.http_port, phones[0].client.token or "", acked[0], ledger)

    at(0.65)
    # A restart that takes a while (a failover, a slow recovery): long enough that phones
    # and the readiness probe meet it, and must get 503, not 500.
    ledger.note(f"fault: PostgreSQL stopped for {POSTGRES_DOWN_SECONDS} s, then started")
    ledger.fault_active = "postgres"
    cluster.stop(mode="fast")
    time.sleep(POSTGRES_DOWN_SECONDS)
    cluster.start()
    time.sleep(5)
    ledger.fault_active = ""
    ledger.note("fault: PostgreSQL back")


def wait_for_outbox(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(url) as conn:
                left = conn.execute(
                    "SELECT count(*) FROM job_outbox WHERE finished_at IS NULL"
                ).fetchone()[0]
                pending = conn.execute(
                    "SELECT count(*) FROM photos WHERE status = 'pending'"
                ).fetchone()[0]
            if left == 0 and pending == 0:
                return True
        except psycopg.Error:
            pass
        time.sleep(2)
    return False


def verdict(ledger: Ledger, faults: bool, api_log: Path) -> list[str]:
    """What the answers and the API's log show that must not be (the checker looks at the
    data)."""
    problems = []
    # Flask logs "Exception on <path>" for an exception no error handler answered.
    unhandled = [
        line for line in api_log.read_text(errors="replace").splitlines() if "Exception on" in line
    ]
    if unhandled:
        problems.append(f"{len(unhandled)} unhandled exceptions in the API, first: {unhandled[0]}")
    wrong = {code: n for code, n in ledger.statuses.items() if code >= 500 and code != 503}
    if wrong:
        problems.append(f"answers that should have been 503 or better: {wrong}")
    outage_503 = sum(n for key, n in ledger.during_fault.items() if key.endswith(":503"))
    if faults and not outage_503:
        problems.append("no 503 seen while a dependency was down")
    return problems


def summary(ledger: Ledger, out: Path, problems: list[str]) -> None:
    fives = {k: v for k, v in ledger.statuses.items() if k >= 500}
    lines = [
        f"visits sent {len(ledger.visits_sent):,}, acknowledged {len(ledger.visits_acked):,}; "
        f"photos sent {len(ledger.photos_sent):,}, acknowledged {len(ledger.photos_acked):,}",
        f"answers: {dict(sorted(ledger.statuses.items()))}",
        f"5xx answers: {fives or 'none'}",
        f"during faults: {dict(sorted(ledger.during_fault.items())) or 'no fault injected'}",
        f"client errors: {dict(ledger.errors) or 'none'}",
        f"ledger and logs: {out}",
        f"verdict on the answers: {'; '.join(problems) or 'ok'}",
    ]
    text = "\n".join(lines)
    (out / "summary.txt").write_text(text + "\n", encoding="utf-8")
    print(text, flush=True)


if __name__ == "__main__":
    main()
