"""Two transactions writing visits of the same village and month, and a month closed while
a visit of it is being written: no count is lost (committed data, a scratch database)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from redis import Redis

from api import create_app
from api.areas.scope import SYSTEM, Actor, set_actor
from api.db import session
from api.visits import services
from api.visits.coverage import summary
from tests import factories
from tests.conftest import TEST_REDIS_URL
from tests.databases import scratch_database
from tests.visits import factories as visit_factories

# Months of 2026 in Asia/Shanghai; "now" is passed to close_months explicitly.
SEPTEMBER = datetime(2026, 9, 10, 4, tzinfo=UTC)
OCTOBER = datetime(2026, 10, 12, 4, tzinfo=UTC)
JULY = datetime(2026, 7, 10, 4, tzinfo=UTC)
QUEUE = f"doudi-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def scratch_app() -> Iterator[Flask]:
    previous_bind = session.session_factory.kw.get("bind")
    with scratch_database("doudi_cov") as url:
        app = create_app(
            {
                "DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://"),
                "REDIS_URL": TEST_REDIS_URL,
                "RQ_QUEUE": QUEUE,  # read by no worker; emptied afterwards
                "SECRET_KEY": "test-secret",
                "LOG_JSON": False,
                "TESTING": True,
                "VISIT_MAX_AGE_DAYS": 3650,
            }
        )
        with app.app_context():
            try:
                yield app
            finally:
                session.remove()
                app.extensions["doudi.engine"].dispose()
                session.configure(bind=previous_bind)
                redis = Redis.from_url(TEST_REDIS_URL)
                for key in redis.scan_iter(f"*{QUEUE}*"):
                    redis.delete(key)


def _visit(household_id: int, at: datetime) -> dict[str, Any]:
    return {
        "client_uuid": uuid.uuid4(),
        "household_id": household_id,
        "channel": "phone",
        "visited_at": at,
        "crs": "wgs84",
        "findings": {"household_size": 1},
        "needs": [],
        "notes": None,
    }


def _in_thread(app: Flask, actor: Actor, work) -> threading.Thread:
    errors: list[BaseException] = []

    def run() -> None:
        with app.app_context():
            set_actor(None, actor)
            try:
                work()
            except BaseException as exc:  # reported by the test
                errors.append(exc)
                session.rollback()
            finally:
                session.remove()

    thread = threading.Thread(target=run)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def _together(*threads: threading.Thread) -> None:
    for thread in threads:
        thread.join(60)
    assert not any(thread.errors for thread in threads), [t.errors for t in threads]


def _recomputed() -> dict:
    months = summary._closed_months(session(), summary.settings())
    return {key: v for key, v in summary.contribution(session(), months, None).items() if any(v)}


def test_concurrent_writers_lose_no_count(scratch_app):
    set_actor(None, SYSTEM)
    areas = factories.area_tree()
    worker = factories.user("outreach_worker", areas.county)
    households = [visit_factories.household(areas.village_a1).id for _ in range(2)]
    actor = Actor(worker.id, worker.role, areas.county.id, areas.county.path)
    set_actor(None, actor)
    for household_id in households:
        services.store_visits([_visit(household_id, SEPTEMBER - timedelta(days=100))])
    set_actor(None, SYSTEM)
    assert summary.close_months(now=OCTOBER) > 0  # up to September
    session.commit()
    session.remove()

    # Two households of the same village, a visit each in the same closed month: both
    # transactions are open at once and commit together (the same summary row).
    barrier = threading.Barrier(2, timeout=30)

    def write(household_id: int):
        def work() -> None:
            services.store_visits([_visit(household_id, SEPTEMBER)])
            barrier.wait()
            session.commit()

        return work

    _together(*[_in_thread(scratch_app, actor, write(h)) for h in households])

    # The same household twice, in a month it had no visit in (July): the second waits for
    # the first's lock, then sees its visit, so the household is counted visited once.
    first_stored = threading.Event()

    def slow() -> None:
        services.store_visits([_visit(households[0], JULY)])
        first_stored.set()
        time.sleep(0.5)
        session.commit()

    def fast() -> None:
        first_stored.wait(30)
        services.store_visits([_visit(households[0], JULY + timedelta(days=5))])
        session.commit()

    _together(_in_thread(scratch_app, actor, slow), _in_thread(scratch_app, actor, fast))

    set_actor(None, SYSTEM)
    assert summary.stored() == _recomputed()
    september = summary.stored()[(date(2026, 9, 1), areas.village_a1.id)]
    assert september[summary.SUMMARY_KEYS.index("visits")] == 2
    july = summary.stored()[(date(2026, 7, 1), areas.village_a1.id)]
    assert july[summary.SUMMARY_KEYS.index("visited")] == 1

    # A month closed while a visit of it is being written: the close waits for the writer
    # (and counts its visit), or the writer waits for the close (and adds its visit).
    written = threading.Event()

    def backdated() -> None:
        services.store_visits([_visit(households[1], OCTOBER - timedelta(days=2))])
        written.set()
        time.sleep(0.5)
        session.commit()

    def close() -> None:
        written.wait(30)
        summary.close_months(now=OCTOBER + timedelta(days=30))  # closes October
        session.commit()

    _together(_in_thread(scratch_app, actor, backdated), _in_thread(scratch_app, SYSTEM, close))
    set_actor(None, SYSTEM)
    assert summary.stored() == _recomputed()
    october = summary.stored()[(date(2026, 10, 1), areas.village_a1.id)]
    assert october[summary.SUMMARY_KEYS.index("visits")] == 1
