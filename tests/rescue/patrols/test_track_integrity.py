"""A track point always names a patrol, and deleting the patrol deletes its points: a
foreign key on SQLite, statement-level triggers on PostgreSQL (migration 0028), which must
hold as the key did, also between concurrent transactions."""

import threading
import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from api.rescue.patrols.models import Patrol, TrackPoint
from tests.databases import scratch_database
from tests.rescue.patrols import factories as pf

START = datetime(2026, 7, 6, 20, 0, tzinfo=UTC)
KEY = "fk_track_points_patrol_id_patrols"


def _point(patrol_id, second=0):
    return {
        "patrol_id": patrol_id,
        "recorded_at": START.replace(second=second),
        "location": "SRID=4326;POINT(114.13 24.35)",
        "used_in_route": True,
    }


@pytest.fixture
def patrol(areas):
    return pf.patrol(areas.town_a, started_at=START)


def test_a_point_of_no_patrol_is_refused(db, patrol):
    with pytest.raises(IntegrityError, match=KEY), db.begin_nested():
        db.execute(insert(TrackPoint), [_point(patrol.id), _point(patrol.id + 1000, 1)])


def test_a_point_moved_to_no_patrol_is_refused(db, patrol):
    db.execute(insert(TrackPoint), [_point(patrol.id)])
    with pytest.raises(IntegrityError, match=KEY), db.begin_nested():
        db.execute(update(TrackPoint).values(patrol_id=patrol.id + 1000))


def test_deleting_a_patrol_deletes_its_points(db, areas, patrol):
    other = pf.patrol(areas.town_a, started_at=START)
    db.execute(insert(TrackPoint), [_point(patrol.id), _point(patrol.id, 1), _point(other.id)])
    db.execute(delete(Patrol).where(Patrol.id == patrol.id))
    left = db.execute(select(TrackPoint.patrol_id, func.count()).group_by(TrackPoint.patrol_id))
    assert dict(left.all()) == {other.id: 1}


def test_a_patrol_with_points_keeps_its_id(db, patrol):
    db.execute(insert(TrackPoint), [_point(patrol.id)])
    with pytest.raises(IntegrityError, match=KEY), db.begin_nested():
        db.execute(update(Patrol).where(Patrol.id == patrol.id).values(id=patrol.id + 1000))


# Concurrent transactions: committed data, so a scratch database of their own.


@pytest.fixture(scope="module")
def committed():
    with scratch_database("doudi_track_points") as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO areas (code, name, level, path, created_at) "
                    "VALUES ('T', 'Town', 'town', '/1/', now())"
                )
            )
        yield engine
        engine.dispose()


def _new_patrol(engine):
    with engine.begin() as conn:
        return conn.scalar(
            text(
                "INSERT INTO patrols (client_uuid, content_hash, area_id, mode, started_at, "
                "route_length_m, point_count, created_at, updated_at) "
                "SELECT :uuid, '', id, 'on_foot', now(), 0, 0, now(), now() FROM areas "
                "RETURNING id"
            ),
            {"uuid": str(uuid.uuid4())},
        )


def _insert_point(conn, patrol_id, second=0):
    conn.execute(
        text(
            "INSERT INTO track_points (patrol_id, recorded_at, location, used_in_route) "
            "VALUES (:patrol, :at, ST_GeomFromText('POINT(114.13 24.35)', 4326), true)"
        ),
        {"patrol": patrol_id, "at": START.replace(second=second)},
    )


def _points_of(engine, patrol_id):
    with engine.connect() as conn:
        return conn.scalar(
            text("SELECT count(*) FROM track_points WHERE patrol_id = :p"), {"p": patrol_id}
        )


def _in_thread(work):
    """Runs ``work`` in a thread; returns the thread and a list that will hold its error."""
    errors = []

    def run():
        try:
            work()
        except Exception as error:  # handed to the test
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_a_delete_waiting_for_points_being_stored_deletes_them(committed):
    patrol_id = _new_patrol(committed)
    writer = committed.connect()
    writer.begin()
    _insert_point(writer, patrol_id)

    def delete_patrol():
        with committed.begin() as conn:
            conn.execute(text("DELETE FROM patrols WHERE id = :p"), {"p": patrol_id})

    thread, errors = _in_thread(delete_patrol)
    time.sleep(0.3)
    assert thread.is_alive(), "the delete should wait for the points' transaction"
    writer.commit()
    writer.close()
    thread.join(10)
    assert not errors and _points_of(committed, patrol_id) == 0


def test_a_repeatable_read_delete_that_cannot_see_new_points_fails(committed):
    patrol_id = _new_patrol(committed)
    deleter = committed.connect().execution_options(isolation_level="REPEATABLE READ")
    deleter.begin()
    deleter.execute(text("SELECT 1 FROM areas"))  # its snapshot: before the points
    with committed.begin() as writer:
        _insert_point(writer, patrol_id)
    with pytest.raises(DBAPIError, match="could not serialize"):
        deleter.execute(text("DELETE FROM patrols WHERE id = :p"), {"p": patrol_id})
    deleter.rollback()
    deleter.close()
    assert _points_of(committed, patrol_id) == 1


def test_points_waiting_for_their_patrols_delete_are_refused(committed):
    patrol_id = _new_patrol(committed)
    deleter = committed.connect()
    deleter.begin()
    deleter.execute(text("DELETE FROM patrols WHERE id = :p"), {"p": patrol_id})

    def store_point():
        with committed.begin() as conn:
            _insert_point(conn, patrol_id)

    thread, errors = _in_thread(store_point)
    time.sleep(0.3)
    assert thread.is_alive(), "the points should wait for the delete's transaction"
    deleter.commit()
    deleter.close()
    thread.join(10)
    assert len(errors) == 1 and isinstance(errors[0], IntegrityError)
    assert _points_of(committed, patrol_id) == 0
