"""Scratch PostgreSQL databases for tests that need committed data (worker processes, a
served app, migrations from empty). Each is created beside TEST_DATABASE_URL with PostGIS,
optionally migrated to every head, and dropped (connections and all) afterwards. Tests of
a migration start from an empty database on each back end (``empty_engine``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from api.db import create_db_engine
from api.migrate import upgrade


@contextmanager
def scratch_database(
    prefix: str, migrate: bool = True, server_url: str | None = None
) -> Iterator[str]:
    """The URL of a new database named ``<prefix>_<random>`` on the test server (or on
    ``server_url``'s)."""
    admin_url = make_url(server_url or os.environ["TEST_DATABASE_URL"])
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        plain = create_engine(url)
        with plain.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        plain.dispose()
        if migrate:
            engine = create_db_engine(url)
            with engine.begin() as conn:
                upgrade(conn)
            engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# Parametrize a migration test with this to run it on both back ends; the SQLite one
# carries the ``spatialite`` mark like every other test of the embedded default.
BACKENDS = ["postgresql", pytest.param("spatialite", marks=pytest.mark.spatialite)]


@contextmanager
def empty_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no tables yet (PostGIS enabled on PostgreSQL; a file
    in ``tmp_path`` on SpatiaLite), disposed afterwards."""
    if backend == "postgresql":
        with scratch_database("doudi_migration", migrate=False) as url:
            engine = create_db_engine(url)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    engine = create_db_engine(f"sqlite:///{tmp_path / 'migration.sqlite3'}")
    try:
        yield engine
    finally:
        engine.dispose()
