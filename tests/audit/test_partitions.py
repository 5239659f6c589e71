"""The audit log's monthly partitions (migration 0029, ``api.audit.partitions``): each row
lands in its month, a row no month holds yet is kept and moved later, months past the
retention setting are dropped whole and the drop is audited, two runs take turns, and the
migration keeps every row both ways. SQLite keeps its plain table."""

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import ProgrammingError

from api import create_app
from api.audit import partitions
from api.audit.models import AuditEntry
from api.audit.services import audit_query
from api.db import session
from api.migrate import downgrade, upgrade
from tests import factories
from tests.conftest import TEST_REDIS_URL
from tests.databases import empty_engine, scratch_database


def at(text_: str) -> datetime:
    return datetime.fromisoformat(text_).astimezone(UTC)


def write_entry(moment: datetime, record_id: str) -> int:
    return session.execute(
        insert(AuditEntry.__table__)
        .values(at=moment, action="create", table_name="tests", record_id=record_id, changes={})
        .returning(AuditEntry.__table__.c.id)
    ).scalar_one()


def holder(entry_id: int) -> str:
    """The partition the entry is stored in."""
    return session.scalar(
        text("SELECT tableoid::regclass::text FROM audit_entries WHERE id = :id"), {"id": entry_id}
    )


def tables() -> set[str]:
    return set(
        session.scalars(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'audit_entries'::regclass"
            )
        )
    )


def test_the_log_is_partitioned_by_month_with_a_default(db):
    strategy = db.scalar(
        text(
            "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'audit_entries'::regclass"
        )
    )
    assert strategy == "r"
    assert partitions.DEFAULT in tables()
    assert any(name.startswith("audit_entries_until_") for name in tables())


def test_each_entry_lands_in_its_utc_month(db):
    made = partitions.keep_monthly_partitions(now=at("2031-03-15T12:00:00+00:00"))
    assert made["made"] == [
        "audit_entries_2031_03",
        "audit_entries_2031_04",
        "audit_entries_2031_05",
        "audit_entries_2031_06",
    ]
    last_instant = write_entry(at("2031-03-31T23:59:59.999999+00:00"), "a")
    # 2031-04-01 07:00 in Beijing is still March in UTC: months are UTC months.
    beijing_morning = write_entry(at("2031-04-01T07:00:00+08:00"), "b")
    first_instant = write_entry(at("2031-04-01T00:00:00+00:00"), "c")
    assert holder(last_instant) == "audit_entries_2031_03"
    assert holder(beijing_morning) == "audit_entries_2031_03"
    assert holder(first_instant) == "audit_entries_2031_04"
    # Read through the log as ever, whatever partition holds them.
    found = db.scalars(audit_query(table_name="tests")).all()
    assert [e.record_id for e in found] == ["c", "b", "a"]


def test_a_row_no_month_holds_is_kept_and_moved_into_its_month_when_made(db):
    far = write_entry(at("2040-01-15T08:00:00+00:00"), "far")
    assert holder(far) == partitions.DEFAULT
    made = partitions.keep_monthly_partitions(now=at("2039-12-20T00:00:00+00:00"))
    assert "audit_entries_2040_01" in made["made"]
    assert holder(far) == "audit_entries_2040_01"
    assert db.scalar(text("SELECT count(*) FROM audit_entries_default")) == 0
    entry = db.scalar(audit_query(table_name="tests", record_id="far"))
    assert entry.at == at("2040-01-15T08:00:00+00:00")


def test_a_second_run_makes_nothing(db):
    first = partitions.keep_monthly_partitions(now=at("2033-06-01T00:00:00+00:00"))
    assert len(first["made"]) == partitions.MONTHS_AHEAD + 1
    assert partitions.keep_monthly_partitions(now=at("2033-06-30T23:00:00+00:00")) == {
        "made": [],
        "dropped": [],
    }


def test_retention_drops_whole_months_past_the_setting_and_audits_the_drop(app, db, monkeypatch):
    partitions.keep_monthly_partitions(now=at("2035-01-10T00:00:00+00:00"))
    partitions.keep_monthly_partitions(now=at("2035-04-10T00:00:00+00:00"))
    january = write_entry(at("2035-01-31T12:00:00+00:00"), "january")
    february = write_entry(at("2035-02-01T00:00:00+00:00"), "february")
    write_entry(at("2035-02-02T00:00:00+00:00"), "february too")
    march = write_entry(at("2035-03-01T00:00:00+00:00"), "march")
    beyond = write_entry(at("2099-01-01T00:00:00+00:00"), "beyond")

    # 0, the default, keeps everything.
    assert partitions.keep_monthly_partitions(now=at("2035-05-01T00:00:00+00:00"))["dropped"] == []

    # Two whole months before May: March and April stay, February and older go.
    monkeypatch.setitem(app.config, "AUDIT_RETENTION_MONTHS", 2)
    result = partitions.keep_monthly_partitions(now=at("2035-05-20T00:00:00+00:00"))
    assert "audit_entries_2035_01" in result["dropped"]
    assert "audit_entries_2035_02" in result["dropped"]
    assert "audit_entries_2035_03" not in result["dropped"]
    # The rows from before the migration go as one partition, once its last month is past.
    assert any(name.startswith("audit_entries_until_") for name in result["dropped"])
    names = tables()
    assert "audit_entries_2035_03" in names and partitions.DEFAULT in names
    assert not {"audit_entries_2035_01", "audit_entries_2035_02"} & names
    kept = {e.id for e in db.scalars(audit_query(table_name="tests"))}
    assert january not in kept and february not in kept
    assert {march, beyond} <= kept

    drops = {
        e.record_id: e.changes
        for e in db.scalars(audit_query(table_name="audit_entries", action=["delete"]))
    }
    assert drops["audit_entries_2035_02"] == {
        "partition": "audit_entries_2035_02",
        "from": "2035-02-01T00:00:00+00:00",
        "to": "2035-03-01T00:00:00+00:00",
        "rows": 2,
        "retention_months": 2,
    }
    assert drops["audit_entries_2035_01"]["rows"] == 1


def test_a_drop_is_read_by_the_countys_admin_and_not_by_a_town(app, client, db, areas, monkeypatch):
    """The entry of a dropped month belongs to the root area: an entry of no area would be
    in nobody's jurisdiction, and a town's supervisor does not read the county's log."""
    partitions.keep_monthly_partitions(now=at("2035-01-10T00:00:00+00:00"))
    write_entry(at("2035-01-15T00:00:00+00:00"), "old")
    monkeypatch.setitem(app.config, "AUDIT_RETENTION_MONTHS", 2)
    partitions.keep_monthly_partitions(now=at("2035-05-20T00:00:00+00:00"))
    admin = factories.user("admin", areas.county)
    town_supervisor = factories.user("supervisor", areas.town_a)
    db.flush()
    query = {"table_name": "audit_entries", "action": "delete"}

    seen = client.get("/api/v1/audit", query_string=query, headers=factories.headers_for(admin))
    assert seen.status_code == 200, seen.json
    drop = next(e for e in seen.json if e["record_id"] == "audit_entries_2035_01")
    assert drop["area_id"] == areas.county.id
    assert drop["changes"]["rows"] == 1

    town = client.get(
        "/api/v1/audit", query_string=query, headers=factories.headers_for(town_supervisor)
    )
    assert town.status_code == 200
    assert town.json == []


def test_a_run_that_fails_leaves_nothing_made_or_moved(db):
    """A table already holding a month's name (left by hand) fails that month's making:
    the run's earlier months and the default's moved rows go back with it."""
    waiting = write_entry(at("2037-07-20T00:00:00+00:00"), "waiting")
    db.execute(text("CREATE TABLE audit_entries_2037_08 (id integer)"))
    # As the job's runner does: the run's transaction (here a savepoint) is rolled back.
    with pytest.raises(ProgrammingError, match="audit_entries_2037_08"), db.begin_nested():
        partitions.keep_monthly_partitions(now=at("2037-07-01T00:00:00+00:00"))
    assert "audit_entries_2037_07" not in tables()
    assert holder(waiting) == partitions.DEFAULT


def test_the_default_partition_is_never_dropped(app, db, monkeypatch):
    kept = write_entry(at("2100-06-01T00:00:00+00:00"), "kept in the default")
    monkeypatch.setitem(app.config, "AUDIT_RETENTION_MONTHS", 1)
    partitions.keep_monthly_partitions(now=at("2200-01-01T00:00:00+00:00"))
    assert holder(kept) == partitions.DEFAULT


def test_two_runs_at_once_take_turns():
    """The first run holds the lock until it commits; the second then finds the months
    made and makes none (without the lock it would fail on a table that exists)."""
    previous_bind = session.session_factory.kw.get("bind")
    with scratch_database("doudi_partitions") as url:
        app = create_app(
            {
                "DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://"),
                "REDIS_URL": TEST_REDIS_URL,  # no in-process scheduler running the job too
                "SECRET_KEY": "test-secret",
                "LOG_JSON": False,
                "TESTING": True,
            }
        )
        moment = at("2044-02-10T00:00:00+00:00")
        first_holds = threading.Event()
        release = threading.Event()
        results: dict[str, dict] = {}

        def run(name: str) -> None:
            with app.app_context():
                try:
                    results[name] = partitions.keep_monthly_partitions(now=moment)
                    if name == "first":
                        first_holds.set()
                        release.wait(30)
                    session.commit()
                finally:
                    session.remove()

        one = threading.Thread(target=run, args=("first",))
        two = threading.Thread(target=run, args=("second",))
        try:
            one.start()
            assert first_holds.wait(30)
            two.start()
            two.join(1)
            assert two.is_alive(), "the second run did not wait for the first"
        finally:
            release.set()
            one.join(30)
            two.join(30)
            app.extensions["doudi.engine"].dispose()
            session.configure(bind=previous_bind)
        assert len(results["first"]["made"]) == partitions.MONTHS_AHEAD + 1
        assert results["second"] == {"made": [], "dropped": []}


def test_the_migration_keeps_every_row_both_ways(tmp_path):
    moments = [
        at("2019-05-01T00:00:00+00:00"),
        datetime.now(UTC) - timedelta(days=3),
        datetime.now(UTC),
    ]
    with empty_engine("postgresql", tmp_path) as engine:
        with engine.begin() as conn:
            upgrade(conn)
            downgrade(conn, "0025_audit_record_ids")  # 0029 alone: the other heads stay
            for n, moment in enumerate(moments):
                conn.execute(
                    insert(AuditEntry.__table__).values(
                        at=moment, action="create", table_name="t", record_id=str(n), changes={}
                    )
                )
        with engine.begin() as conn:
            upgrade(conn)
            rows = conn.execute(
                text(
                    "SELECT record_id, at, tableoid::regclass::text FROM audit_entries ORDER BY id"
                )
            ).all()
            assert [(r.record_id, r.at) for r in rows] == [
                (str(n), m) for n, m in enumerate(moments)
            ]
            # Not copied: the old table is the partition of everything before next month.
            assert len({r.tableoid for r in rows}) == 1
            assert rows[0].tableoid.startswith("audit_entries_until_")
            # A new entry takes the next id from the same sequence.
            new_id = conn.execute(
                insert(AuditEntry.__table__)
                .values(at=datetime.now(UTC), action="create", table_name="t", record_id="new")
                .returning(AuditEntry.__table__.c.id)
            ).scalar_one()
            assert new_id > conn.scalar(
                text("SELECT max(id) FROM audit_entries WHERE id <> :n"), {"n": new_id}
            )
        with engine.begin() as conn:
            downgrade(conn, "0025_audit_record_ids")
            kept = conn.execute(text("SELECT record_id, at FROM audit_entries ORDER BY id")).all()
            assert [r.record_id for r in kept] == ["0", "1", "2", "new"]
            assert (
                conn.scalar(text("SELECT relkind FROM pg_class WHERE relname = 'audit_entries'"))
                == "r"
            )


def test_the_cli_lists_the_partitions_and_runs_the_job_on_demand(app, db):
    listed = app.test_cli_runner().invoke(args=["audit", "partitions"])
    assert listed.exit_code == 0, listed.output
    assert "audit_entries_until_" in listed.output
    assert "the beginning to" in listed.output
    assert re.search(r"^audit_entries_default: \d+ rows waiting for", listed.output, re.M)

    next_month = f"audit_entries_{partitions.month_start(datetime.now(UTC), 1):%Y_%m}"
    kept = app.test_cli_runner().invoke(args=["audit", "partitions", "--keep"])
    assert kept.exit_code == 0, kept.output
    assert next_month in kept.output.splitlines()[0]  # "made: …"
    assert kept.output.splitlines()[1] == "dropped: none"
    assert f"{next_month}: " in kept.output


@pytest.mark.spatialite
def test_sqlite_keeps_a_plain_table(sqlite_app):
    with sqlite_app.app_context():
        assert partitions.keep_monthly_partitions() == {"made": [], "dropped": []}
    listed = sqlite_app.test_cli_runner().invoke(args=["audit", "partitions"])
    assert listed.exit_code == 0, listed.output
    assert "no partitions" in listed.output
