"""Residents of the rescue centre (admission, stay, discharge, long stay) and open days.

Dates: a resident's stay is counted in days of the county's zone (``COUNTY_TIMEZONE``).
``days_stayed(as_of)`` is ``as_of`` minus the local admission date; a resident is *in the
centre on* ``as_of`` when admitted on or before it and not discharged on or before it; a
resident in the centre with ``days_stayed >= threshold_days`` is long-stay (长期滞留人员).

Functions other domains call (the follow-up jobs, the tracing reports):
``in_centre_on(as_of)``, ``days_stayed(...)``, ``discharge_resident(...)``,
``get_resident(id)``. This module knows nothing of family tracing: the tracing domain
builds on it (``api.casework.tracing.services``: the discharge endpoint, which closes an open
case, and the long-stay list, which names each resident's open case), never the reverse.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select

from api.areas.scope import require_actor, visible_area
from api.common.county_time import local_date, local_midnight, local_today
from api.common.idempotency import find_replay, fingerprint
from api.db import session, utcnow
from api.errors import Conflict, Invalid, NotFound
from api.rescue.centre.models import OpenDayEvent, Resident

# Discharge reasons that are the outcome of family tracing: with an open case they are
# recorded through the case's outcome (which discharges), so the reports count them.
TRACING_OUTCOME_REASONS = ("returned_home", "family_collected", "settled_locally")
# Fields of a resident that PATCH may change (discharge has its own call).
EDITABLE_FIELDS = (
    "admitted_at",
    "admission_route",
    "admission_notes",
    "stated_name",
    "stated_home_place",
    "dialect",
    "id_number",
    "sex",
    "estimated_birth_year",
    "description",
    "physical_marks",
    "health",
    "belongings",
    "bed",
)


def days_stayed(resident: Resident, as_of: date | None = None) -> int:
    """Days from the local admission date to ``as_of`` (default: discharge date or today)."""
    if as_of is None:
        as_of = local_date(resident.discharged_at) if resident.discharged_at else local_today()
    return (as_of - local_date(resident.admitted_at)).days


def in_centre_on(as_of: date) -> ColumnElement[bool]:
    """SQL condition: the resident was in the centre at the end of ``as_of``."""
    next_day = local_midnight(as_of + timedelta(days=1))
    return and_(
        Resident.admitted_at < next_day,
        or_(Resident.discharged_at.is_(None), Resident.discharged_at >= next_day),
    )


# --- residents --------------------------------------------------------------------------


def resident_area(area_id: int | None) -> int:
    """The area a new record belongs to: the one named (if the caller may use it), else the
    caller's own area (rescue staff sit at the county's centre, so normally the county)."""
    if area_id is not None:
        return visible_area(area_id).id
    actor = require_actor()
    if actor.area_id is None:
        raise Invalid({"area_id": ["Required when acting as the system."]})
    return actor.area_id


def get_resident(resident_id: int) -> Resident:
    resident = session.scalar(select(Resident).where(Resident.id == resident_id))
    if resident is None:
        raise NotFound("No such resident.")
    return resident


def residents_query(
    present: bool | None = None,
    admission_route: str | None = None,
    q: str | None = None,
    admitted_from: date | None = None,
    admitted_to: date | None = None,
) -> Select:
    stmt = select(Resident).order_by(Resident.admitted_at.desc(), Resident.id.desc())
    if present is True:
        stmt = stmt.where(Resident.discharged_at.is_(None))
    elif present is False:
        stmt = stmt.where(Resident.discharged_at.is_not(None))
    if admission_route:
        stmt = stmt.where(Resident.admission_route == admission_route)
    if q:
        pattern = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(
            or_(Resident.stated_name.like(pattern), Resident.stated_home_place.like(pattern))
        )
    if admitted_from:
        stmt = stmt.where(Resident.admitted_at >= local_midnight(admitted_from))
    if admitted_to:
        stmt = stmt.where(Resident.admitted_at < local_midnight(admitted_to + timedelta(days=1)))
    return stmt


def _encounter_facts(encounter: Any) -> dict[str, Any]:
    """What a patrol encounter knows about the person, as resident fields."""
    facts: dict[str, Any] = {
        "admission_route": "patrol_escort",
        "admitted_at": utcnow(),
        "sex": encounter.sex or "unknown",
        "stated_name": encounter.name,
        "dialect": encounter.language,
        "description": encounter.clothing,
        "health": encounter.condition,
        "admission_notes": encounter.notes,
        "street_person_id": encounter.street_person_id,
    }
    if encounter.approximate_age is not None:
        facts["estimated_birth_year"] = (
            local_date(encounter.occurred_at).year - encounter.approximate_age
        )
    return facts


def _load_encounter(encounter_id: int) -> Any:
    from api.rescue.patrols.models import Encounter

    encounter = session.scalar(select(Encounter).where(Encounter.id == encounter_id))
    if encounter is None:
        raise Invalid({"encounter_id": ["No such encounter."]})
    already = session.scalar(
        select(Resident.id)
        .where(Resident.encounter_id == encounter_id)
        .execution_options(skip_scope=True)  # a duplicate admission is a conflict for anyone
    )
    if already is not None:
        raise Conflict("This encounter has already led to an admission.", resident_id=already)
    return encounter


def admissible_encounters_query(date_from: date, date_to: date) -> Select:
    """Patrol encounters between two local dates from which nobody has been admitted yet,
    newest first: the people a patrol may have brought in (whatever the outcome recorded on
    the street, since a person who refused help may still come the next day)."""
    from api.rescue.patrols.models import Encounter

    admitted = select(Resident.encounter_id).where(Resident.encounter_id.is_not(None))
    return (
        select(Encounter)
        .where(
            Encounter.occurred_at >= local_midnight(date_from),
            Encounter.occurred_at < local_midnight(date_to + timedelta(days=1)),
            Encounter.id.not_in(admitted),
        )
        .order_by(Encounter.occurred_at.desc(), Encounter.id.desc())
    )


def admit_resident(data: dict[str, Any], payload: Any = None) -> tuple[Resident, bool]:
    """Admit a person; ``(resident, created)``.

    With ``encounter_id`` the resident starts from what the patrol encounter recorded (the
    fields sent win), is linked to it, and the encounter's outcome becomes
    ``escorted_to_centre``. With ``client_uuid`` a resend of the same content answers the
    stored resident (``created`` False); other content with the same uuid is a 409.
    """
    actor = require_actor()
    client_uuid = data.get("client_uuid")
    content_hash = fingerprint(payload if payload is not None else data)
    if client_uuid:
        replay = find_replay(Resident, client_uuid, content_hash)
        if replay is not None:
            return replay, False
    values: dict[str, Any] = {"admission_route": "walk_in", "admitted_at": utcnow()}
    encounter = None
    if data.get("encounter_id") is not None:
        encounter = _load_encounter(data["encounter_id"])
        values.update({k: v for k, v in _encounter_facts(encounter).items() if v is not None})
        values["encounter_id"] = encounter.id
    values.update({k: data[k] for k in EDITABLE_FIELDS if k in data and data[k] is not None})
    if values["admitted_at"] > utcnow() + timedelta(minutes=10):
        raise Invalid({"admitted_at": ["Admission cannot be in the future."]})
    area_id = data.get("area_id")
    resident = Resident(
        area_id=resident_area(area_id),
        client_uuid=str(client_uuid) if client_uuid else None,
        content_hash=content_hash if client_uuid else None,
        created_by_id=actor.user_id,
        **values,
    )
    session.add(resident)
    if encounter is not None and encounter.outcome != "escorted_to_centre":
        encounter.outcome = "escorted_to_centre"
    session.flush()
    return resident, True


def update_resident(resident: Resident, changes: dict[str, Any]) -> Resident:
    for key in EDITABLE_FIELDS:
        if key in changes:
            setattr(resident, key, changes[key])
    if resident.admitted_at is None or resident.admission_route is None or not resident.sex:
        raise Invalid({"_schema": ["admitted_at, admission_route and sex cannot be emptied."]})
    if resident.discharged_at is not None and resident.admitted_at > resident.discharged_at:
        raise Invalid({"admitted_at": ["Admission cannot follow the discharge."]})
    session.flush()
    return resident


def discharge_resident(
    resident: Resident,
    reason: str,
    at: datetime | None = None,
    destination: str | None = None,
    notes: str | None = None,
) -> Resident:
    """Record how and when the resident left. Does not look at tracing cases: callers that
    are not the tracing outcome use ``api.casework.tracing.services.discharge``."""
    at = at or utcnow()
    if resident.discharged_at is not None:
        raise Conflict("This resident has already been discharged.")
    if at < resident.admitted_at:
        raise Invalid({"discharged_at": ["The discharge cannot precede the admission."]})
    if at > utcnow() + timedelta(minutes=10):
        raise Invalid({"discharged_at": ["The discharge cannot be in the future."]})
    resident.discharged_at = at
    resident.discharge_reason = reason
    resident.discharge_destination = destination
    resident.discharge_notes = notes
    resident.discharged_by_id = require_actor().user_id
    session.flush()
    return resident


def long_stayers(as_of: date, threshold_days: int) -> list[Resident]:
    """Residents in the centre on ``as_of`` who had stayed ``threshold_days`` or more by
    then (长期滞留人员), longest first."""
    admitted_before = local_midnight(as_of - timedelta(days=threshold_days) + timedelta(days=1))
    return list(
        session.scalars(
            select(Resident)
            .where(in_centre_on(as_of), Resident.admitted_at < admitted_before)
            .order_by(Resident.admitted_at, Resident.id)
        )
    )


# --- open days --------------------------------------------------------------------------


def default_open_day(today: date | None = None) -> date:
    """19 June (the national 6·19 open day) of the current year."""
    return date((today or local_today()).year, 6, 19)


def get_open_day_event(event_id: int) -> OpenDayEvent:
    event = session.scalar(select(OpenDayEvent).where(OpenDayEvent.id == event_id))
    if event is None:
        raise NotFound("No such open-day event.")
    return event


def open_day_events_query(year: int | None = None) -> Select:
    stmt = select(OpenDayEvent).order_by(OpenDayEvent.held_on.desc(), OpenDayEvent.id.desc())
    if year:
        stmt = stmt.where(
            OpenDayEvent.held_on >= date(year, 1, 1), OpenDayEvent.held_on <= date(year, 12, 31)
        )
    return stmt


OPEN_DAY_FIELDS = (
    "held_on",
    "title",
    "theme",
    "visitor_count",
    "groups",
    "activities",
    "media_coverage",
    "notes",
)


def _json_safe(value: Any) -> Any:
    """Dates inside JSON columns are stored as ISO strings."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def create_open_day_event(data: dict[str, Any], payload: Any = None) -> tuple[OpenDayEvent, bool]:
    actor = require_actor()
    client_uuid = data.get("client_uuid")
    content_hash = fingerprint(payload if payload is not None else data)
    if client_uuid:
        replay = find_replay(OpenDayEvent, client_uuid, content_hash)
        if replay is not None:
            return replay, False
    held_on = data.get("held_on") or default_open_day()
    values = {k: _json_safe(data[k]) for k in OPEN_DAY_FIELDS if data.get(k) is not None}
    values["held_on"] = held_on
    values.setdefault("title", f"{held_on.year}年“6·19”救助管理机构开放日")
    event = OpenDayEvent(
        area_id=resident_area(data.get("area_id")),
        client_uuid=str(client_uuid) if client_uuid else None,
        content_hash=content_hash if client_uuid else None,
        created_by_id=actor.user_id,
        **values,
    )
    session.add(event)
    session.flush()
    return event, True


def update_open_day_event(event: OpenDayEvent, changes: dict[str, Any]) -> OpenDayEvent:
    for key in OPEN_DAY_FIELDS:
        if key in changes:
            if key in ("held_on", "title") and changes[key] is None:
                raise Invalid({key: ["Cannot be emptied."]})
            value = changes[key]
            if key in ("groups", "activities", "media_coverage"):
                value = _json_safe(value or [])
            setattr(event, key, value)
    session.flush()
    return event
