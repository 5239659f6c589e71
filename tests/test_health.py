"""Liveness and readiness against real services; readiness names what is down."""

import socket
import subprocess
import time

import pytest
from redis import Redis

from api import create_app
from tests.conftest import TEST_REDIS_URL


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of this test's own, so stopping it disturbs nobody else."""
    port = _free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    client = Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except Exception:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    yield port, process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_liveness(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readiness_with_database_and_redis_up(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "queue": "ok"}


def test_readiness_turns_503_naming_redis_when_redis_stops(database_url, private_redis, tmp_path):
    port, process = private_redis
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "SECRET_KEY": "t",
            "PHOTO_STORAGE_DIR": str(tmp_path),
            "LOG_JSON": False,
            "TESTING": True,
        }
    )
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    process.terminate()
    process.wait(timeout=10)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["queue"].startswith("down")
    assert "queue" in response.json["detail"]
    app.extensions["doudi.engine"].dispose()


def test_readiness_names_the_database_when_it_is_unreachable(tmp_path):
    app = create_app(
        {
            "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2",
            "REDIS_URL": TEST_REDIS_URL,
            "SECRET_KEY": "t",
            "PHOTO_STORAGE_DIR": str(tmp_path),
            "LOG_JSON": False,
            "TESTING": True,
        }
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"].startswith("down")
    assert response.json["checks"]["queue"] == "ok"
