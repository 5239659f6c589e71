"""Family-tracing cases: opening, status steps, actions, leads and outcomes.

Functions the follow-up jobs call (issue #6), all safe to call again:

- ``ensure_open_case(resident_id) -> (case, created)``: the resident's open case, opened
  now if there is none. The partial unique index ``uq_tracing_cases_open_resident`` (at
  most one open case per resident) settles two concurrent calls: the loser gets the
  winner's case with ``created`` False.
- ``stale_cases(as_of, days)``: open cases with no action logged for ``days`` days.
- ``open_case_for(resident_id)``: the resident's open case or None.
- ``long_stay_residents(as_of, threshold_days)``: the centre's long-stay residents, each
  with its open case's id.

The discharge endpoint's rule lives here too (``discharge``): it needs both the stay and
the case. Imports run one way: this module uses ``api.rescue.centre.services``, which
knows nothing of tracing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from api.areas.scope import require_actor
from api.casework.tracing.models import TracingAction, TracingCase, TracingLead, TracingStatusChange
from api.casework.tracing.rules import FINAL_STATUSES, OPEN_STATUSES, OUTCOME_STATUSES, check_step
from api.common import county_time
from api.common.idempotency import find_replay, fingerprint
from api.db import session, utcnow
from api.errors import Conflict, Invalid, NotFound
from api.rescue.centre import services as centre
from api.rescue.centre.models import Resident

# How a reunion discharges the resident (Resident.discharge_reason).
DISCHARGE_REASON_FOR = {
    ("reunited", "family_collected"): "family_collected",
    ("reunited", "returned_home"): "returned_home",
    ("settled_locally", None): "settled_locally",
}


# --- cases ------------------------------------------------------------------------------


def get_case(case_id: int) -> TracingCase:
    case = session.scalar(select(TracingCase).where(TracingCase.id == case_id))
    if case is None:
        raise NotFound("No such tracing case.")
    return case


def cases_query(
    status: str | None = None, resident_id: int | None = None, is_open: bool | None = None
) -> Select:
    stmt = select(TracingCase).order_by(TracingCase.opened_at.desc(), TracingCase.id.desc())
    if status:
        stmt = stmt.where(TracingCase.status == status)
    if resident_id is not None:
        stmt = stmt.where(TracingCase.resident_id == resident_id)
    if is_open is True:
        stmt = stmt.where(TracingCase.status.in_(OPEN_STATUSES))
    elif is_open is False:
        stmt = stmt.where(TracingCase.status.in_(FINAL_STATUSES))
    return stmt


def open_case_for(resident_id: int) -> TracingCase | None:
    return session.scalar(
        select(TracingCase).where(
            TracingCase.resident_id == resident_id, TracingCase.status.in_(OPEN_STATUSES)
        )
    )


def _record_change(
    case: TracingCase, from_status: str | None, to_status: str, reason: str | None, at: datetime
) -> None:
    session.add(
        TracingStatusChange(
            case_id=case.id,
            area_id=case.area_id,
            from_status=from_status,
            to_status=to_status,
            changed_at=at,
            changed_by_id=require_actor().user_id,
            reason=reason,
        )
    )
    session.flush()
    # The loaded history is a view of the rows: reload it with the new one.
    session.expire(case, ["history"])


def _new_case(resident: Resident, summary: str | None, opened_reason: str) -> TracingCase:
    now = utcnow()
    case = TracingCase(
        area_id=resident.area_id,
        resident_id=resident.id,
        status="open",
        opened_at=now,
        opened_by_id=require_actor().user_id,
        opened_reason=opened_reason,
        summary=summary,
        status_changed_at=now,
        last_activity_on=county_time.local_date(now),
    )
    session.add(case)
    session.flush()
    _record_change(case, None, "open", summary or opened_reason, now)
    session.flush()
    return case


def _resident_in_centre(resident_id: int, field: str = "resident_id") -> Resident:
    resident = session.scalar(select(Resident).where(Resident.id == resident_id))
    if resident is None:
        raise Invalid({field: ["No such resident."]})
    if resident.discharged_at is not None:
        raise Conflict("This resident has been discharged; there is no one to trace for.")
    return resident


def open_case(resident_id: int, summary: str | None = None) -> TracingCase:
    """Open a case for a resident in the centre; 409 if one is open already."""
    resident = _resident_in_centre(resident_id)
    existing = open_case_for(resident_id)
    if existing is not None:
        raise Conflict(
            f"Resident {resident_id} already has an open tracing case ({existing.id}).",
            case_id=existing.id,
        )
    return _new_case(resident, summary, "manual")


def ensure_open_case(
    resident_id: int, opened_reason: str = "long_stay"
) -> tuple[TracingCase, bool]:
    """The resident's open case, opening one if there is none: ``(case, created)``."""
    existing = open_case_for(resident_id)
    if existing is not None:
        return existing, False
    resident = _resident_in_centre(resident_id)
    try:
        with session.begin_nested():
            case = _new_case(resident, None, opened_reason)
    except IntegrityError:
        # Another transaction opened one meanwhile (uq_tracing_cases_open_resident).
        existing = open_case_for(resident_id)
        if existing is None:
            raise
        return existing, False
    return case, True


def update_case(case: TracingCase, changes: dict[str, Any]) -> TracingCase:
    if "summary" in changes:
        case.summary = changes["summary"]
    session.flush()
    return case


def _move(case: TracingCase, to_status: str, reason: str | None, at: datetime) -> None:
    check_step(case.status, to_status)
    from_status = case.status
    case.status = to_status
    case.status_changed_at = at
    if to_status in FINAL_STATUSES:
        case.closed_at = at
        case.closed_by_id = require_actor().user_id
    _record_change(case, from_status, to_status, reason, at)


def change_status(case: TracingCase, to_status: str, reason: str | None = None) -> TracingCase:
    """Move a case one allowed step (409 naming the allowed ones otherwise). Reunions and
    local settlements carry an outcome and discharge the resident: ``record_outcome``."""
    check_step(case.status, to_status)
    if to_status in OUTCOME_STATUSES:
        raise Invalid(
            {"status": [f"Record {to_status} with POST /api/v1/tracing-cases/{case.id}/outcome."]}
        )
    _move(case, to_status, reason, utcnow())
    session.flush()
    return case


def record_outcome(case: TracingCase, data: dict[str, Any]) -> TracingCase:
    """Close the case as ``reunited`` or ``settled_locally`` and discharge the resident, in
    one transaction: if the discharge fails, the case's change is rolled back with it."""
    outcome = data["outcome"]
    check_step(case.status, outcome)
    at: datetime = data.get("at") or utcnow()
    if outcome == "reunited":
        kind = data.get("reunion_kind") or "family_collected"
        if kind == "family_collected" and not data.get("collected_by"):
            raise Invalid({"collected_by": ["Say who collected the person."]})
        if not data.get("destination"):
            raise Invalid({"destination": ["Say where the person went."]})
        case.reunion_kind = kind
        case.collected_by = data.get("collected_by")
        case.collector_relationship = data.get("collector_relationship")
        case.destination = data["destination"]
        destination = data["destination"]
    else:
        kind = None
        if not data.get("settled_place"):
            raise Invalid({"settled_place": ["Say where the person is settled."]})
        case.settled_place = data["settled_place"]
        case.settlement_programme = data.get("settlement_programme")
        destination = data["settled_place"]
    case.outcome_notes = data.get("notes")
    _move(case, outcome, data.get("reason") or data.get("notes"), at)
    session.flush()
    # The second write: any failure from here on undoes the case's change too (the request
    # or job rolls back its one transaction).
    centre.discharge_resident(
        case.resident,
        DISCHARGE_REASON_FOR[(outcome, kind)],
        at=at,
        destination=destination,
        notes=data.get("notes"),
    )
    session.flush()
    return case


def close_for_discharge(case: TracingCase, discharge_reason: str, at: datetime) -> TracingCase:
    """Close an open case as ``closed_other`` because its resident left the centre."""
    _move(case, "closed_other", f"resident discharged: {discharge_reason}", at)
    session.flush()
    return case


def stale_cases(as_of: date, days: int) -> list[TracingCase]:
    """Open cases whose last action (or opening) is ``days`` or more days before ``as_of``,
    oldest activity first."""
    cutoff = as_of - timedelta(days=days)
    return list(
        session.scalars(
            select(TracingCase)
            .where(TracingCase.status.in_(OPEN_STATUSES), TracingCase.last_activity_on <= cutoff)
            .order_by(TracingCase.last_activity_on, TracingCase.id)
        )
    )


# --- the stay, seen from tracing ----------------------------------------------------------


def discharge(
    resident: Resident,
    reason: str,
    at: datetime | None = None,
    destination: str | None = None,
    notes: str | None = None,
) -> Resident:
    """The discharge endpoint: an open tracing case is closed as ``closed_other`` with the
    discharge; a reunion or local settlement with an open case must go through the case's
    outcome instead (409), so that the tracing reports count it."""
    case = open_case_for(resident.id)
    if case is not None and reason in centre.TRACING_OUTCOME_REASONS:
        raise Conflict(
            f"Resident has an open tracing case ({case.id}); record its outcome with "
            f"POST /api/v1/tracing-cases/{case.id}/outcome, which discharges the resident.",
            case_id=case.id,
        )
    centre.discharge_resident(resident, reason, at, destination, notes)
    if case is not None:
        close_for_discharge(case, reason, resident.discharged_at)
    return resident


@dataclass
class LongStay:
    """A long-stay resident on a given date."""

    resident: Resident
    admitted_on: date
    days_stayed: int
    open_case_id: int | None

    @property
    def resident_id(self) -> int:
        return self.resident.id


def long_stay_residents(as_of: date, threshold_days: int) -> list[LongStay]:
    """The centre's long-stay residents on ``as_of`` (``centre.long_stayers``), longest
    first, each with the id of its open tracing case (if any, today)."""
    residents = centre.long_stayers(as_of, threshold_days)
    open_cases = dict(
        session.execute(
            select(TracingCase.resident_id, TracingCase.id).where(
                TracingCase.resident_id.in_([r.id for r in residents]),
                TracingCase.status.in_(OPEN_STATUSES),
            )
        ).all()
    )
    return [
        LongStay(
            r,
            county_time.local_date(r.admitted_at),
            centre.days_stayed(r, as_of),
            open_cases.get(r.id),
        )
        for r in residents
    ]


# --- actions ----------------------------------------------------------------------------


def _require_open(case: TracingCase) -> None:
    if not case.is_open:
        raise Conflict(f"The case is closed ({case.status}); nothing more can be logged on it.")


def add_action(
    case: TracingCase, data: dict[str, Any], payload: Any = None
) -> tuple[TracingAction, bool]:
    """Log an action; ``(action, created)`` (a resend with the same client_uuid replays)."""
    client_uuid = data.get("client_uuid")
    content_hash = fingerprint({"case_id": case.id, "action": payload or data})
    if client_uuid:
        replay = find_replay(TracingAction, client_uuid, content_hash)
        if replay is not None:
            return replay, False
    _require_open(case)
    if data["kind"] == "media_appeal" and not data.get("published_in"):
        raise Invalid({"published_in": ["Say where the appeal was published."]})
    performed_on: date = data.get("performed_on") or county_time.local_today()
    if performed_on > county_time.local_today() + timedelta(days=1):
        raise Invalid({"performed_on": ["An action cannot be dated in the future."]})
    if performed_on < county_time.local_date(case.opened_at) - timedelta(days=366):
        raise Invalid({"performed_on": ["Too far before the case was opened."]})
    action = TracingAction(
        case_id=case.id,
        area_id=case.area_id,
        client_uuid=str(client_uuid) if client_uuid else None,
        content_hash=content_hash if client_uuid else None,
        kind=data["kind"],
        performed_on=performed_on,
        performed_by_id=require_actor().user_id,
        details=data["details"],
        result=data.get("result"),
        published_in=data.get("published_in"),
    )
    session.add(action)
    case.last_activity_on = max(case.last_activity_on, performed_on)
    session.flush()
    return action, True


def actions_query(case: TracingCase, kind: str | None = None) -> Select:
    stmt = (
        select(TracingAction)
        .where(TracingAction.case_id == case.id)
        .order_by(TracingAction.performed_on.desc(), TracingAction.id.desc())
    )
    if kind:
        stmt = stmt.where(TracingAction.kind == kind)
    return stmt


# --- leads ------------------------------------------------------------------------------

LEAD_FIELDS = (
    "description",
    "place",
    "contact_name",
    "contact_phone",
    "relation_to_resident",
    "source",
    "status",
    "notes",
)


def add_lead(case: TracingCase, data: dict[str, Any]) -> TracingLead:
    _require_open(case)
    lead = TracingLead(
        case_id=case.id,
        area_id=case.area_id,
        created_by_id=require_actor().user_id,
        **{k: data[k] for k in LEAD_FIELDS if data.get(k) is not None},
    )
    session.add(lead)
    session.flush()
    return lead


def leads_query(case: TracingCase) -> Select:
    return select(TracingLead).where(TracingLead.case_id == case.id).order_by(TracingLead.id)


def get_lead(case: TracingCase, lead_id: int) -> TracingLead:
    lead = session.scalar(
        select(TracingLead).where(TracingLead.id == lead_id, TracingLead.case_id == case.id)
    )
    if lead is None:
        raise NotFound("No such lead on this case.")
    return lead


def update_lead(lead: TracingLead, changes: dict[str, Any]) -> TracingLead:
    for key in LEAD_FIELDS:
        if key in changes:
            if key in ("description", "status") and changes[key] is None:
                raise Invalid({key: ["Cannot be emptied."]})
            setattr(lead, key, changes[key])
    session.flush()
    return lead
