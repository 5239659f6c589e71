"""Factories for tracing cases: opened through the service, then placed at a status (and,
for reports, at given dates) with plain rows, as SYSTEM."""

from __future__ import annotations

from datetime import datetime

from api.areas.scope import SYSTEM, set_actor
from api.casework.tracing import services
from api.casework.tracing.models import TracingCase, TracingStatusChange
from api.casework.tracing.rules import FINAL_STATUSES
from api.common.county_time import local_date
from api.db import session
from api.rescue.centre.models import Resident


def case(resident: Resident, status: str = "open") -> TracingCase:
    set_actor(None, SYSTEM)
    opened, _ = services.ensure_open_case(resident.id, "manual")
    if status != "open":
        session.add(
            TracingStatusChange(
                case_id=opened.id, area_id=opened.area_id, from_status="open", to_status=status
            )
        )
        opened.status = status
    session.flush()
    return opened


def case_with_history(
    resident: Resident, opened_at: datetime, steps: list[tuple[str, datetime]]
) -> TracingCase:
    """A case opened at ``opened_at`` that moved through ``steps`` ((status, when), ...)."""
    set_actor(None, SYSTEM)
    made = TracingCase(
        area_id=resident.area_id,
        resident_id=resident.id,
        status="open",
        opened_at=opened_at,
        status_changed_at=opened_at,
        last_activity_on=local_date(opened_at),
    )
    session.add(made)
    session.flush()
    session.add(
        TracingStatusChange(
            case_id=made.id, area_id=made.area_id, to_status="open", changed_at=opened_at
        )
    )
    previous = "open"
    for status, when in steps:
        session.add(
            TracingStatusChange(
                case_id=made.id,
                area_id=made.area_id,
                from_status=previous,
                to_status=status,
                changed_at=when,
            )
        )
        made.status, made.status_changed_at, previous = status, when, status
        if status in FINAL_STATUSES:
            made.closed_at = when
    session.flush()
    return made
