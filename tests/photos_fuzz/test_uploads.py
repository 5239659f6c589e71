"""Hostile files through the photo upload endpoint, against a live gunicorn and a real
``python -m workers`` process: every answer is a 4xx (or a 201 whose cleaning job then
ends ``failed`` or ``ready``), the worker process never dies, and no job hangs."""

from __future__ import annotations

import io
import os
import random
import signal
import struct
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from tests.live import Live, live_server, multipart, request

ROOT = Path(__file__).resolve().parents[2]
SHARED_PHOTOS = ROOT.parent / "shared" / "testdata" / "photos"


def _jpeg(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims width x height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose SOF0 frame header is rewritten to claim width x height."""
    data = bytearray(_jpeg())
    at = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, at + 5, height, width)
    return bytes(data)


def _real_photo() -> bytes:
    path = SHARED_PHOTOS / "gps_DSCN0010.jpg"
    return path.read_bytes() if path.exists() else _jpeg(640, 480)


def hostile_files() -> dict[str, tuple[bytes, str, str]]:
    rng = random.Random(8)
    real = _real_photo()
    return {
        "empty": (b"", "empty.jpg", "image/jpeg"),
        "random bytes": (rng.randbytes(4096), "noise.jpg", "image/jpeg"),
        "JPEG marker then garbage": (
            b"\xff\xd8\xff\xe0" + rng.randbytes(2000),
            "g.jpg",
            "image/jpeg",
        ),
        "truncated JPEG": (real[: len(real) // 2], "half.jpg", "image/jpeg"),
        "JPEG without its end": (real[:-2], "noeoi.jpg", "image/jpeg"),
        "JPEG claiming 65,500 x 65,500": (_jpeg_claiming(65500, 65500), "big.jpg", "image/jpeg"),
        "PNG claiming 100,000 x 100,000": (_png_claiming(100_000, 100_000), "big.png", "image/png"),
        "PNG with a bad CRC": (
            _png_claiming(8, 8)[:-5] + b"\x00\x00\x00\x00\x00",
            "crc.png",
            "image/png",
        ),
        "HEIC brand then garbage": (
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00heicmif1" + rng.randbytes(500),
            "x.heic",
            "image/heic",
        ),
        "JPEG + ZIP polyglot": (
            _jpeg() + b"PK\x03\x04" + rng.randbytes(300) + b"PK\x05\x06" + b"\x00" * 18,
            "poly.jpg",
            "image/jpeg",
        ),
        "JPEG + HTML polyglot": (
            _jpeg() + b"<html><script>alert(1)</script></html>",
            "poly2.jpg",
            "image/jpeg",
        ),
        "GIF/JS polyglot": (b"GIF89a/*\x00\x00*/=alert(1)//;", "x.gif", "image/gif"),
        "SVG with a script": (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "x.svg",
            "image/svg+xml",
        ),
        "PDF": (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "x.pdf", "application/pdf"),
        "plain text named .jpg": ("兜底 not a photo".encode(), "text.jpg", "image/jpeg"),
    }


@pytest.fixture(scope="module")
def setup() -> Iterator[tuple[Live, subprocess.Popen, int]]:
    with live_server() as live:
        worker = subprocess.Popen(
            [sys.executable, "-m", "workers", live.queue],
            cwd=ROOT,
            env=live.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            yield live, worker, live.seed["made"]["visit"]
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)


def upload(live: Live, visit_id: int, data: bytes, filename: str, mime: str) -> tuple[int, bytes]:
    body, content_type = multipart({"client_uuid": str(uuid.uuid4())}, data, filename, mime)
    status, answer, _ = request(
        live,
        "POST",
        f"/api/v1/visits/{visit_id}/photos",
        live.token("outreach_worker@b"),
        data=body,
        content_type=content_type,
        timeout=60,
    )
    return status, answer


def test_hostile_files_get_4xx_and_the_worker_survives(setup) -> None:
    live, worker, visit_id = setup
    answers = {}
    for name, (data, filename, mime) in hostile_files().items():
        status, body = upload(live, visit_id, data, filename, mime)
        answers[name] = status
        assert status < 500, f"{name}: {status} {body[:300]!r}"
        assert status in (400, 413, 415, 422) or status == 201, f"{name}: {status} {body[:300]!r}"
    # A control: a real photo is accepted.
    status, body = upload(live, visit_id, _real_photo(), "real.jpg", "image/jpeg")
    assert status == 201, body
    wait_for_jobs(live, worker)
    engine = create_engine(live.database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, failure_reason FROM photos")).all()
    engine.dispose()
    assert all(row.status in ("ready", "failed") for row in rows), rows
    assert worker.poll() is None, "the worker process died"
    print(answers)


def wait_for_jobs(live: Live, worker: subprocess.Popen, timeout: float = 120) -> None:
    """Every outbox job finished (no hung job) within ``timeout``."""
    engine = create_engine(live.database_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as conn:
                left = conn.execute(
                    text("SELECT count(*) FROM job_outbox WHERE finished_at IS NULL")
                ).scalar()
            if left == 0:
                return
            assert worker.poll() is None, "the worker process died"
            assert time.monotonic() < deadline, f"{left} job(s) still unfinished after {timeout}s"
            time.sleep(0.5)
    finally:
        engine.dispose()
