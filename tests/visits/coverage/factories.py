"""Factories for coverage tests: visits with exact times, flags and places, and tasks.

Visits are inserted as rows (not through ``POST /visits``) because coverage tests need
what the API would not let a phone choose: the server's receipt time, the village the
household lived in at the time, a presence flag and a review state.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, timedelta

from shapely.geometry import LineString, Point

from api.areas.models import Area
from api.areas.scope import SYSTEM, set_actor
from api.auth.models import User
from api.casework.tasks.models import Task
from api.common.fields import to_db_geometry
from api.db import session
from api.rescue.patrols.models import Encounter, Patrol
from api.visits.models import Household, Visit

_counter = itertools.count(1)


def visit(
    household: Household,
    worker: User | None,
    visited_at: datetime,
    channel: str = "in_person",
    area: Area | None = None,
    upload_delay: timedelta = timedelta(hours=1),
    flagged: bool = False,
    review_state: str = "pending",
    lon: float | None = None,
    lat: float | None = None,
) -> Visit:
    """A visit of ``household``; ``area`` is its village at the time (default: now).

    Keeps ``household.last_visited_at`` as the visit write path does.
    """
    set_actor(None, SYSTEM)
    location = None
    if channel == "in_person":
        point = Point(lon, lat) if lon is not None else None
        location = to_db_geometry(point) if point else household.location
    row = Visit(
        client_uuid=str(uuid.uuid4()),
        content_hash=f"test-{next(_counter)}",
        household_id=household.id,
        area_id=(area or session.get(Area, household.area_id)).id,
        worker_id=worker.id if worker else None,
        channel=channel,
        visited_at=visited_at,
        received_at=visited_at + upload_delay,
        location=location,
        accuracy_m=10.0 if channel == "in_person" else None,
        presence_flagged=flagged,
        presence_reasons=["far_from_household"] if flagged else [],
        presence_distance_m=1200.0 if flagged else None,
        review_state=review_state,
    )
    session.add(row)
    # As the visit write path does: the household keeps its latest visit time.
    if household.last_visited_at is None or visited_at > household.last_visited_at:
        household.last_visited_at = visited_at
    session.flush()
    return row


def task(
    area: Area,
    due_on: date,
    status: str = "open",
    assignee: User | None = None,
    closed_at: datetime | None = None,
    kind: str = "revisit",
) -> Task:
    set_actor(None, SYSTEM)
    row = Task(
        kind=kind,
        realm="households",
        title=f"测试任务{next(_counter)}",
        area_id=area.id,
        assignee_id=assignee.id if assignee else None,
        due_on=due_on,
        status=status,
        closed_at=closed_at,
    )
    session.add(row)
    session.flush()
    return row


def patrol_with_encounter(
    area: Area, started_at: datetime, coords: list[tuple[float, float]]
) -> tuple[Patrol, Encounter]:
    set_actor(None, SYSTEM)
    patrol = Patrol(
        client_uuid=str(uuid.uuid4()),
        content_hash=f"test-{next(_counter)}",
        area_id=area.id,
        mode="vehicle",
        started_at=started_at,
        ended_at=started_at + timedelta(hours=2),
        route=to_db_geometry(LineString(coords)),
        route_length_m=1000.0,
        point_count=len(coords),
    )
    session.add(patrol)
    session.flush()
    encounter = Encounter(
        client_uuid=str(uuid.uuid4()),
        content_hash=f"test-{next(_counter)}",
        patrol_id=patrol.id,
        area_id=area.id,
        occurred_at=started_at + timedelta(minutes=30),
        location=to_db_geometry(Point(*coords[0])),
        outcome="accepted_aid",
        vulnerable=True,
        vulnerability_kinds=["elderly"],
    )
    session.add(encounter)
    session.flush()
    return patrol, encounter
