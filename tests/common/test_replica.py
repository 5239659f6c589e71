"""Reports read from a streaming replica (REPLICA_DATABASE_URL), on a real one.

The test starts its own pair of PostgreSQL clusters: a primary and a streaming replica made
from it with pg_basebackup (the system's test server has no replication entry in its
pg_hba.conf, and a test must not change a server it shares). It proves where each kind of
read goes, and what happens when the replica lags or is down.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from shapely.geometry import box
from sqlalchemy import create_engine, select, text

import workers.app
from api import create_app
from api.areas.models import Area
from api.areas.scope import SYSTEM, set_actor
from api.areas.services import create_area
from api.audit.models import AuditEntry
from api.db import session
from tests import factories
from tests.databases import scratch_database

BINDIRS = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    def __init__(self, bindir: str, data: Path, port: int) -> None:
        self.bindir, self.data, self.port = bindir, data, port
        # initdb and postgres refuse to run as root.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            [*self.prefix, f"{self.bindir}/{tool}", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"{tool} failed: {done.stderr or done.stdout}"

    def configure(self, socket_dir: Path) -> None:
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{socket_dir}'\nfsync = off\n"
                "shared_buffers = 32MB\nmax_wal_senders = 4\nwal_level = replica\n"
            )

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.data / "log"), "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Cluster, Cluster]]:
    if not BINDIRS or not shutil.which("runuser"):
        # The machine runs PostgreSQL, so its server binaries are there: their absence is a
        # broken setup, not a reason to leave the replica routing untested.
        pytest.fail("PostgreSQL server binaries (initdb, pg_basebackup) or runuser not found")
    # Not under pytest's tmp_path: its parents are private to root, and the clusters run
    # as postgres.
    root = Path(tempfile.mkdtemp(prefix="doudi-replica-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    primary = Cluster(BINDIRS[-1], root / "primary", _free_port())
    replica = Cluster(BINDIRS[-1], root / "replica", _free_port())
    primary.run("initdb", "-D", str(primary.data), "-A", "trust", "-U", "postgres", "--no-sync")
    primary.configure(root)
    primary.start()
    try:
        primary.run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres"),
            *("-D", str(replica.data), "-R", "-X", "stream"),
        )
        replica.configure(root)  # the last `port` line wins
        replica.start()
        yield primary, replica
        replica.stop()
    finally:
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)


def _caught_up(primary_url: str, replica_url: str) -> None:
    primary = create_engine(primary_url)
    replica = create_engine(replica_url)
    with primary.connect() as conn:
        target = conn.execute(text("SELECT pg_current_wal_lsn()")).scalar()
    deadline = time.monotonic() + 30
    with replica.connect() as conn:
        while conn.execute(
            text("SELECT pg_last_wal_replay_lsn() < CAST(:t AS pg_lsn)"), {"t": target}
        ).scalar():
            assert time.monotonic() < deadline, "the replica did not catch up in 30 s"
            time.sleep(0.1)
    primary.dispose()
    replica.dispose()


@pytest.fixture(scope="module")
def served(pair):
    """An app on the pair's primary with the replica set, a county and a supervisor."""
    primary, replica = pair
    previous_bind = session.session_factory.kw.get("bind")
    previous_jobs_app = workers.app._app
    with scratch_database("replica", server_url=primary.url) as url:
        replica_url = url.replace(f":{primary.port}/", f":{replica.port}/")
        app = create_app(
            {
                "DATABASE_URL": url,
                "REPLICA_DATABASE_URL": replica_url,
                "REPLICA_MAX_LAG_SECONDS": 3600.0,
                "REPLICA_RECHECK_SECONDS": 0.0,
                "REDIS_URL": "",
                "SECRET_KEY": "test-secret",
                "LOG_JSON": False,
                "TESTING": True,
            }
        )
        try:
            # Each request below has its own app context (and session), as in production.
            with app.app_context():
                tree = factories.area_tree()
                headers = factories.headers_for(factories.user("supervisor", tree.county))
                county_id = tree.county.id
                session.commit()
            _caught_up(url, replica_url)
            yield app, headers, county_id, url, replica_url
        finally:
            session.remove()
            app.extensions["doudi.engine"].dispose()
            app.extensions["doudi.replica"].engine.dispose()
            session.configure(bind=previous_bind)
            workers.app._app = previous_jobs_app


def _towns(app, headers, county_id) -> tuple[str, set[str]]:
    response = app.test_client().get(f"/api/v1/coverage?area_id={county_id}", headers=headers)
    assert response.status_code == 200, response.json
    return response.headers["X-Read-Source"], {row["name"] for row in response.json["areas"]}


def _add_town(app, county_id: int, name: str) -> None:
    with app.app_context():
        set_actor(None, SYSTEM)
        county = session.get(Area, county_id)
        create_area(f"{county.code}199", name, "town", county, box(114, 24, 114.1, 24.1))
        session.commit()


def _set_replay(replica_url: str, paused: bool) -> None:
    engine = create_engine(replica_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"SELECT pg_wal_replay_{'pause' if paused else 'resume'}()"))
    engine.dispose()


def test_reports_read_the_replica_and_what_it_has(served):
    app, headers, county_id, _url, replica_url = served
    assert _towns(app, headers, county_id) == ("replica", {"甲镇", "乙镇"})
    # A replica that has not replayed a new town yet does not show it: the report did read
    # the replica, not the primary.
    _set_replay(replica_url, paused=True)
    try:
        _add_town(app, county_id, "新镇")
        source, towns = _towns(app, headers, county_id)
        assert source == "replica" and "新镇" not in towns
        # Lagging further than allowed: the primary answers, with the new town.
        app.extensions["doudi.replica"].max_lag_seconds = 0.5
        time.sleep(1)
        source, towns = _towns(app, headers, county_id)
        assert source == "primary" and "新镇" in towns
    finally:
        app.extensions["doudi.replica"].max_lag_seconds = 3600.0
        _set_replay(replica_url, paused=False)


def test_views_that_are_not_reports_read_the_primary(served):
    app, headers, _county_id, _url, _replica_url = served
    response = app.test_client().get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    assert "X-Read-Source" not in response.headers


def test_an_export_reads_the_replica_and_audits_on_the_primary(served):
    app, headers, county_id, url, _replica_url = served
    response = app.test_client().get(
        f"/api/v1/exports/coverage?area_id={county_id}&format=csv", headers=headers
    )
    assert response.status_code == 200
    assert response.headers["X-Read-Source"] == "replica"
    assert "区域名称" in response.get_data(as_text=True)  # the whole file, read to its end
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(AuditEntry.changes).where(AuditEntry.action == "export")
        ).scalars()
        assert any(changes.get("complete") for changes in rows)
    engine.dispose()


def test_after_a_write_the_request_reads_the_primary(served):
    app, _headers, county_id, _url, _replica_url = served
    replica = app.extensions["doudi.replica"]
    primary_engine = app.extensions["doudi.engine"]
    with app.test_request_context():
        set_actor(None, SYSTEM)
        session.info["replica"] = replica.engine
        query = select(Area).where(Area.id == county_id)
        assert session.get_bind(clause=query) is replica.engine
        assert session.get_bind(clause=query.with_for_update()) is primary_engine
        # The audit log's own rows keep the reads on the replica...
        session.add(AuditEntry(action="test", table_name="areas", record_id="", changes={}))
        session.flush()
        assert session.get_bind(clause=query) is replica.engine
        # ...any other write moves them to the primary until the transaction ends.
        session.get(Area, county_id).name = "改名县"
        session.flush()
        assert session.get_bind(clause=query) is primary_engine
        session.rollback()
        assert session.get_bind(clause=query) is replica.engine
        session.remove()


def test_a_replica_that_is_down_leaves_reports_on_the_primary(served, pair):
    app, headers, county_id, _url, _replica_url = served
    _primary, replica = pair
    replica.stop()
    try:
        source, towns = _towns(app, headers, county_id)
        assert source == "primary" and towns
    finally:
        replica.start()
    time.sleep(0.5)
    assert _towns(app, headers, county_id)[0] == "replica"
