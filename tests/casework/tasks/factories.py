"""Factories for the follow-up tests: the records the rules read (households, visits,
photos, encounters, residents) and tasks, added straight through the models and flushed.

The other domains' own services would also schedule their follow-up jobs; these set up
the situation directly, so that each test decides which job runs and when."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shapely.geometry import Point

from api.areas.models import Area
from api.auth.models import User
from api.casework.tasks.models import Task, TaskHistory
from api.common.county_time import local_today
from api.common.fields import to_db_geometry
from api.db import session, utcnow

_counter = itertools.count(1)


def _flush(obj: Any) -> Any:
    session.add(obj)
    session.flush()
    return obj


def household(
    area: Area,
    focus_groups: tuple[str, ...] = (),
    registered_at: datetime | None = None,
) -> Any:
    from api.visits.models import Household, HouseholdMember

    row = Household(
        area_id=area.id,
        address=f"测试路{next(_counter)}号",
        urban_rural="rural",
        head_name="测试户主",
        members=[HouseholdMember(position=0, name="测试户主", relation="head")],
        created_at=registered_at or utcnow(),
    )
    row.focus_groups = list(focus_groups)
    return _flush(row)


def visit(
    household_row: Any,
    worker: User | None = None,
    visited_at: datetime | None = None,
    screening_result: str | None = None,
    needs: tuple[str, ...] = (),
    circumstances: tuple[str, ...] = (),
    presence_flagged: bool = False,
) -> Any:
    from api.visits.models import Visit

    return _flush(
        Visit(
            client_uuid=str(uuid.uuid4()),
            content_hash="x" * 64,
            household_id=household_row.id,
            area_id=household_row.area_id,
            worker_id=worker.id if worker else None,
            channel="phone",
            visited_at=visited_at or utcnow(),
            findings={"circumstances": list(circumstances)},
            needs=list(needs),
            screening_result=screening_result,
            presence_flagged=presence_flagged,
            presence_reasons=["far_from_household"] if presence_flagged else [],
        )
    )


def photo(visit_row: Any, flagged: bool = True) -> Any:
    return owned_photo(
        "visit", visit_row.id, visit_row.area_id, flagged, reference_time=visit_row.visited_at
    )


def owned_photo(
    owner_kind: str,
    owner_id: int,
    area_id: int,
    flagged: bool = False,
    reference_time: datetime | None = None,
) -> Any:
    """A ready photo of any owner (a visit, an encounter, a resident, an open day)."""
    from api.photos.models import Photo

    return _flush(
        Photo(
            owner_kind=owner_kind,
            owner_id=owner_id,
            area_id=area_id,
            client_uuid=str(uuid.uuid4()),
            content_hash="p" * 64,
            media_type="image/jpeg",
            original_bytes=1000,
            original_sha256="s" * 64,
            status="ready",
            flagged=flagged,
            flags=["exif_far_from_visit"] if flagged else [],
            reference_time=reference_time,
        )
    )


def encounter(
    area: Area,
    outcome: str,
    vulnerable: bool,
    staff: User | None = None,
    occurred_at: datetime | None = None,
) -> Any:
    from api.rescue.patrols.models import Encounter, Patrol

    occurred_at = occurred_at or utcnow()
    patrol = _flush(
        Patrol(
            client_uuid=str(uuid.uuid4()),
            content_hash="q" * 64,
            area_id=area.id,
            mode="vehicle",
            started_at=occurred_at - timedelta(hours=1),
            created_by_id=staff.id if staff else None,
        )
    )
    return _flush(
        Encounter(
            client_uuid=str(uuid.uuid4()),
            content_hash="e" * 64,
            patrol_id=patrol.id,
            area_id=area.id,
            occurred_at=occurred_at,
            location=to_db_geometry(Point(114.13, 24.35)),
            outcome=outcome,
            vulnerable=vulnerable,
            vulnerability_kinds=["elderly"] if vulnerable else [],
            created_by_id=staff.id if staff else None,
        )
    )


def resident(area: Area, admitted_days_ago: int) -> Any:
    from api.rescue.centre.models import Resident

    return _flush(
        Resident(
            area_id=area.id,
            admitted_at=utcnow() - timedelta(days=admitted_days_ago),
            admission_route="walk_in",
        )
    )


def task(
    area: Area,
    assignee: User | None = None,
    due_on: date | None = None,
    kind: str = "other",
    status: str = "open",
    title: str | None = None,
    priority: str = "normal",
    realm: str = "households",
    household_id: int | None = None,
) -> Task:
    row = _flush(
        Task(
            kind=kind,
            realm=realm,
            household_id=household_id,
            rule="manual",
            title=title or f"测试任务{next(_counter)}",
            area_id=area.id,
            assignee_id=assignee.id if assignee else None,
            due_on=due_on or local_today() + timedelta(days=3),
            status=status,
            priority=priority,
            details={},
        )
    )
    _flush(TaskHistory(task_id=row.id, action="created"))
    return row


def at(days_ago: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days_ago)
