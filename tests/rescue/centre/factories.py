"""Factories for rescue-centre data: residents and open days through the centre's services
(as SYSTEM), patrol encounters as plain rows (the patrols domain owns their services)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from shapely.geometry import Point

from api.areas.models import Area
from api.areas.scope import SYSTEM, set_actor
from api.common.fields import to_db_geometry
from api.db import session
from api.rescue.centre import services
from api.rescue.centre.models import OpenDayEvent, Resident
from api.rescue.patrols.models import Encounter, Patrol

_counter = itertools.count(1)


def at(day: str, hour: int = 10) -> datetime:
    """``"2026-03-01"`` at ``hour`` o'clock in the county (UTC+8), as an aware datetime."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00")


def resident(area: Area, admitted_at: datetime | None = None, **extra: Any) -> Resident:
    set_actor(None, SYSTEM)
    created, _ = services.admit_resident(
        {
            "area_id": area.id,
            "admitted_at": admitted_at or datetime.now(UTC) - timedelta(days=10),
            "admission_route": extra.pop("admission_route", "walk_in"),
            "stated_name": extra.pop("stated_name", f"受助人{next(_counter)}"),
            **extra,
        }
    )
    return created


def discharged(area: Area, admitted_at: datetime, discharged_at: datetime, **extra: Any):
    person = resident(area, admitted_at, **extra)
    services.discharge_resident(person, "left", at=discharged_at)
    return person


def encounter(area: Area, **extra: Any) -> Encounter:
    """A patrol encounter (with its patrol) as plain rows."""
    set_actor(None, SYSTEM)
    started = extra.pop("occurred_at", datetime(2026, 1, 10, 21, 0, tzinfo=UTC))
    patrol = Patrol(
        client_uuid=str(uuid.uuid4()),
        content_hash="test",
        area_id=area.id,
        mode="on_foot",
        started_at=started - timedelta(minutes=30),
    )
    session.add(patrol)
    session.flush()
    met = Encounter(
        client_uuid=str(uuid.uuid4()),
        content_hash="test",
        patrol_id=patrol.id,
        area_id=area.id,
        occurred_at=started,
        location=to_db_geometry(Point(114.131, 24.351)),
        outcome=extra.pop("outcome", "accepted_aid"),
        **extra,
    )
    session.add(met)
    session.flush()
    return met


def open_day_event(area: Area, **extra: Any) -> OpenDayEvent:
    set_actor(None, SYSTEM)
    created, _ = services.create_open_day_event({"area_id": area.id, **extra})
    return created
