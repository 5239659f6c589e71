"""Test set-up: real PostgreSQL + PostGIS and real Redis, never stand-ins.

- One database per test run (``doudi_test_<random>``), created beside TEST_DATABASE_URL,
  given PostGIS, built by ``alembic upgrade head`` (so the migrations are tested too), and
  dropped at the end. Parallel runs on one machine do not meet.
- Each test runs inside a transaction on one connection; the app's session joins it with
  savepoints, so a request's commit is real to the app and the test, and everything is
  rolled back after the test.
- Jobs go to a real Redis (TEST_REDIS_URL) on a queue of this run's own; ``run_jobs``
  drains it with a real RQ worker in this process.
- ``make test`` provides both services; run bare, the suite fails loudly (never skips)
  when one is missing.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from api import create_app
from api.areas.scope import SYSTEM, set_actor
from api.db import session
from api.jobs.queue import wait_for_in_process_jobs
from api.migrate import upgrade
from tests import factories
from tests.databases import scratch_database

# The machine's zone must never matter: county dates come from COUNTY_TIMEZONE. Twenty hours
# from Asia/Shanghai, a slip to the machine's date fails on most hours of the day, not
# only in the eight after 16:00 UTC when the two calendars differ anyway.
os.environ["TZ"] = "Etc/GMT+12"
time.tzset()

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def pytest_sessionstart(session: pytest.Session) -> None:
    missing = [name for name in ("TEST_DATABASE_URL", "TEST_REDIS_URL") if not os.environ.get(name)]
    if missing:
        raise pytest.UsageError(
            f"{', '.join(missing)} not set: run the suite with `make test`, which provides "
            "PostgreSQL + PostGIS and Redis (or set them to servers of your own)."
        )


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with scratch_database("doudi_test") as url:
        yield url


@pytest.fixture(scope="session")
def queue_name() -> Iterator[str]:
    name = f"doudi-test-{uuid.uuid4().hex[:8]}"
    yield name
    redis = Redis.from_url(TEST_REDIS_URL)
    for key in redis.scan_iter(f"*{name}*"):
        redis.delete(key)


@pytest.fixture(scope="session")
def app(database_url: str, queue_name: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": TEST_REDIS_URL,
            "RQ_QUEUE": queue_name,
            "PHOTO_STORAGE_DIR": str(tmp_path_factory.mktemp("photos")),
            "MATCHING_FILE_DIR": str(tmp_path_factory.mktemp("lists")),
            "SECRET_KEY": "test-secret",
            "LOG_JSON": False,
            "TESTING": True,
        }
    )
    return app


@pytest.fixture
def connection(app: Flask) -> Iterator:
    """One connection in an outer transaction; the app's session nests savepoints in it."""
    engine = app.extensions["doudi.engine"]
    conn = engine.connect()
    outer = conn.begin()
    session.remove()
    session.configure(bind=conn, join_transaction_mode="create_savepoint")
    ctx = app.app_context()
    ctx.push()
    try:
        yield conn
    finally:
        ctx.pop()
        session.remove()
        outer.rollback()
        conn.close()
        session.configure(bind=engine, join_transaction_mode="conditional_savepoint")


@pytest.fixture
def db(connection):
    """The app's session, acting as the system (for factories and direct checks)."""
    set_actor(None, SYSTEM)
    return session


class CheckedClient(FlaskClient):
    """Refuses to send a request while the test holds unflushed changes (the test would pass
    or fail for the wrong reason), and commits the test's flushed data first: the request
    shares this thread's session, and its rollback on an error answer must undo only the
    request's own work. (The commit releases a savepoint; the outer transaction still rolls
    everything back after the test.)"""

    def open(self, *args, **kwargs):
        pending = session()
        if pending.new or pending.dirty or pending.deleted:
            raise AssertionError("flush() test data before making a request")
        pending.commit()
        response = super().open(*args, **kwargs)
        set_actor(None, SYSTEM)
        return response


@pytest.fixture
def client(app: Flask, db) -> FlaskClient:
    app.test_client_class = CheckedClient
    return app.test_client()


@pytest.fixture
def areas(db) -> factories.AreaTree:
    return factories.area_tree()


@pytest.fixture
def run_jobs(app: Flask):
    """Drain this run's queue with a real RQ worker in this process."""
    from rq import SimpleWorker

    from api.jobs.queue import queue_for
    from workers.app import use_app

    def run() -> None:
        use_app(app)
        queue = queue_for(app)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        set_actor(None, SYSTEM)

    return run


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on the embedded default (SQLite + SpatiaLite, jobs in-process), migrated with
    Alembic, acting as SYSTEM. Its database is committed for real (a file in tmp_path).
    Afterwards the shared session and the jobs' app are given back as they were."""
    import workers.app

    previous_bind = session.session_factory.kw.get("bind")
    previous_jobs_app = workers.app._app
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'doudi.sqlite3'}",
            "REDIS_URL": "",
            "PHOTO_STORAGE_DIR": str(tmp_path / "photos"),
            "MATCHING_FILE_DIR": str(tmp_path / "lists"),
            "SECRET_KEY": "test-secret",
            "LOG_JSON": False,
            "TESTING": True,
        }
    )
    engine = app.extensions["doudi.engine"]
    with engine.begin() as conn:
        upgrade(conn)
    workers.app.use_app(app)
    ctx = app.app_context()
    ctx.push()
    set_actor(None, SYSTEM)
    try:
        yield app
    finally:
        # A job thread still running would reach whatever the shared session is bound to
        # next (another test's PostgreSQL connection).
        wait_for_in_process_jobs()
        ctx.pop()
        session.remove()
        engine.dispose()
        session.configure(bind=previous_bind)
        workers.app._app = previous_jobs_app


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: the shared test data lives beside the repository")
    return SHARED
