"""A live server for the black-box tests (fuzzing, photo fuzzing, cross-area matrix).

Each ``live_server`` gets a database of its own (created beside TEST_DATABASE_URL, given
PostGIS, migrated to all heads, dropped at the end), seeded by ``tests/live_seed.py`` in a
child process (so this test process's session stays bound where conftest put it), and a
gunicorn on a free localhost port with a real RQ queue of its own on TEST_REDIS_URL. Data
written through the server is committed for real, which is what these tests need.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SECRET = "live-test-secret"
# A 1×1 JPEG: the seed's photo files and the uploads of the black-box tests.
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c"
    "1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0"
    "000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc4"
    "00b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1"
    "c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a"
    "636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5"
    "b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda00"
    "08010100003f00fbd3ffd9"
)


@dataclass
class Live:
    url: str  # http://127.0.0.1:PORT
    database_url: str
    seed: dict[str, Any]  # what tests/live_seed.py made: tokens and ids
    queue: str
    log: Path
    env: dict[str, str]

    def token(self, key: str) -> str:
        return self.seed["tokens"][key]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(workers: int = 1, threads: int = 4, failed_jobs: bool = False) -> Iterator[Live]:
    """``failed_jobs``: the seed's jobs are left failed (in the outbox and in RQ's failed
    registry) rather than queued for a worker."""
    admin_url = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"doudi_live_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    photos = tempfile.mkdtemp(prefix="doudi-live-photos-")
    queue = f"doudi-live-{uuid.uuid4().hex[:8]}"
    env = dict(
        os.environ,
        DATABASE_URL=url,
        REDIS_URL=os.environ["TEST_REDIS_URL"],
        RQ_QUEUE=queue,
        SECRET_KEY=SECRET,
        PHOTO_STORAGE_DIR=photos,
        LOG_JSON="false",
        LOG_LEVEL="WARNING",
        ACCESS_TOKEN_TTL="3600",
        PYTHONPATH=str(ROOT),
        LIVE_SEED_FAILED_JOBS="1" if failed_jobs else "0",
    )
    log = Path(tempfile.mkstemp(prefix="doudi-live-", suffix=".log")[1])
    server = None
    try:
        seeded = subprocess.run(
            [sys.executable, str(ROOT / "tests" / "live_seed.py")],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if seeded.returncode != 0:
            raise RuntimeError(f"seeding the live database failed:\n{seeded.stderr[-3000:]}")
        seed = json.loads(seeded.stdout.strip().splitlines()[-1])
        port = _free_port()
        gunicorn = Path(sys.executable).parent / "gunicorn"
        with log.open("ab") as out:
            server = subprocess.Popen(
                [str(gunicorn), "--workers", str(workers), "--threads", str(threads),
                 "--bind", f"127.0.0.1:{port}", "--timeout", "60", "wsgi:app"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310
                    break
            except OSError as exc:
                if time.monotonic() > deadline or server.poll() is not None:
                    tail = log.read_text()[-2000:]
                    raise RuntimeError(f"gunicorn did not start: {tail}") from exc
                time.sleep(0.3)
        yield Live(base, url, seed, queue, log, env)
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def request(
    live: Live,
    method: str,
    path: str,
    token: str | None = None,
    body: Any = None,
    data: bytes | None = None,
    content_type: str | None = None,
    timeout: float = 30,
) -> tuple[int, bytes, dict[str, str]]:
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        content_type = "application/json"
    if content_type:
        headers["Content-Type"] = content_type
    url = live.url + path  # http://127.0.0.1 only
    req = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def multipart(fields: dict[str, str], file_bytes: bytes, filename: str, mime: str) -> tuple:
    """A multipart/form-data body with ``fields`` and one ``file``; (body, content type).
    Also used by the load test (bench/load.py)."""
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{key}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {mime}\r\n\r\n".encode()
        + file_bytes
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
