"""Households, visits, reviews and programme standards.

Services take plain values (already validated by the schemas), flush, and return models;
the request commits. Visits are offline-safe (``client_uuid``), screened, and checked for
presence; a stored visit schedules ``workers.followup.visit_recorded``.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from marshmallow import ValidationError
from shapely.geometry import Point
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError

from api.areas.models import Area
from api.areas.scope import require_actor, subtree_ids, visible_area
from api.audit.services import record_reveal
from api.common.county_time import county_zone, local_midnight
from api.common.fields import to_db_geometry
from api.common.idempotency import find_replay, fingerprint
from api.db import session, utcnow
from api.errors import ApiError, Invalid, NotFound
from api.jobs.services import schedule_job
from api.visits import crs, presence, screening
from api.visits.models import (
    DuplicateFlag,
    Household,
    HouseholdFocusGroup,
    HouseholdMember,
    HouseholdProgramme,
    ProgrammeStandard,
    Visit,
    VisitReview,
)

VISIT_RECORDED_JOB = "workers.followup.visit_recorded"
_ID_NUMBER_SHAPE = re.compile(r"\d{17}[\dX]")
MEMBER_FIELDS = ("name", "relation", "sex", "birth_year", "id_number", "health", "work_status")


# --- households -------------------------------------------------------------------------


def _village(area_id: int, field: str) -> Area:
    area = visible_area(area_id, field)
    if area.level != "village":
        raise Invalid({field: ["A household belongs to a village or community, not a town."]})
    return area


def _wgs84_point(point: Point | None, source_crs: str | None) -> Point | None:
    if point is None:
        return None
    lon, lat = crs.to_wgs84(point.x, point.y, source_crs)
    return Point(lon, lat)


def _apply_household_fields(household: Household, data: dict[str, Any], prefix: str) -> None:
    if "area_id" in data:
        household.area_id = _village(data["area_id"], f"{prefix}area_id").id
    for key in ("address", "urban_rural", "head_name", "head_id_number", "notes"):
        if key in data:
            setattr(household, key, data[key])
    if "location" in data:
        point = _wgs84_point(data["location"], data.get("crs"))
        household.location = to_db_geometry(point)
    if "members" in data:
        household.members = [
            HouseholdMember(position=index, **{k: m.get(k) for k in MEMBER_FIELDS})
            for index, m in enumerate(data["members"])
        ]
    if "focus_groups" in data:
        household.focus_group_rows = [
            HouseholdFocusGroup(focus_group=value) for value in sorted(set(data["focus_groups"]))
        ]
    if "programmes" in data:
        household.programme_rows = [
            HouseholdProgramme(programme=value) for value in sorted(set(data["programmes"]))
        ]


def create_household(data: dict[str, Any], prefix: str = "") -> tuple[Household, bool]:
    """A new household (flagging likely duplicates); with a client_uuid, idempotent."""
    client_uuid = data.get("client_uuid")
    content_hash = None
    if client_uuid is not None:
        content_hash = fingerprint(data)
        replay = find_replay(Household, client_uuid, content_hash)
        if replay is not None:
            return replay, False
    household = Household(
        client_uuid=str(client_uuid) if client_uuid else None,
        content_hash=content_hash,
        created_by_id=require_actor().user_id,
    )
    _apply_household_fields(household, data, prefix)
    session.add(household)
    session.flush()
    flag_duplicates(household)
    return household, True


def update_household(household_id: int, data: dict[str, Any]) -> Household:
    household = get_household(household_id)
    _apply_household_fields(household, data, "")
    household.updated_at = utcnow()
    session.flush()
    flag_duplicates(household)
    return household


def get_household(household_id: int) -> Household:
    household = session.scalar(select(Household).where(Household.id == household_id))
    if household is None:
        raise NotFound("No such household.")
    return household


def flag_duplicates(household: Household) -> list[DuplicateFlag]:
    """Flag households that look like this one: a shared ID number, or the same head's
    name in the same village. Flags are kept for a person to decide; nothing is merged.

    The search looks past the caller's jurisdiction on purpose: the same person registered
    in two towns is exactly what must come to light. Only ids are recorded.
    """
    id_numbers = {
        n for n in [household.head_id_number, *(m.id_number for m in household.members)] if n
    }
    found: dict[tuple[int, str], None] = {}
    if id_numbers:
        same_head = select(Household.id).where(Household.head_id_number.in_(id_numbers))
        same_member = select(HouseholdMember.household_id).where(
            HouseholdMember.id_number.in_(id_numbers)
        )
        for stmt in (same_head, same_member):
            for other_id in session.scalars(stmt.execution_options(skip_scope=True)):
                if other_id != household.id:
                    found[(other_id, "same_id_number")] = None
    same_name = select(Household.id).where(
        Household.area_id == household.area_id,
        Household.head_name == household.head_name,
        Household.id != household.id,
    )
    for other_id in session.scalars(same_name.execution_options(skip_scope=True)):
        found[(other_id, "same_head_name_in_village")] = None
    existing = {
        (flag.other_household_id, flag.reason)
        for flag in session.scalars(
            select(DuplicateFlag)
            .where(DuplicateFlag.household_id == household.id)
            .execution_options(skip_scope=True)
        )
    }
    flags = [
        DuplicateFlag(
            area_id=household.area_id,
            household_id=household.id,
            other_household_id=other_id,
            reason=reason,
        )
        for other_id, reason in found
        if (other_id, reason) not in existing
    ]
    session.add_all(flags)
    session.flush()
    session.expire(household, ["duplicate_flags"])
    return flags


def households_query(
    area_id: int | None = None,
    focus_group: str | None = None,
    programme: str | None = None,
    urban_rural: str | None = None,
    q: str | None = None,
    not_visited_since: date | None = None,
    near: tuple[float, float] | None = None,
    within_m: float = 1000.0,
    **_ignored: Any,
) -> Select:
    stmt = select(Household).order_by(Household.id)
    if area_id is not None:
        area = session.scalar(select(Area).where(Area.id == area_id))
        if area is None:
            raise Invalid({"area_id": ["No such area."]})
        stmt = stmt.where(Household.area_id.in_(subtree_ids(area)))
    if focus_group:
        stmt = stmt.where(
            Household.id.in_(
                select(HouseholdFocusGroup.household_id).where(
                    HouseholdFocusGroup.focus_group == focus_group
                )
            )
        )
    if programme:
        stmt = stmt.where(
            Household.id.in_(
                select(HouseholdProgramme.household_id).where(
                    HouseholdProgramme.programme == programme
                )
            )
        )
    if urban_rural:
        stmt = stmt.where(Household.urban_rural == urban_rural)
    if q:
        text = q.strip()
        id_like = text.upper()
        if _ID_NUMBER_SHAPE.fullmatch(id_like):
            # An ID number is looked up by equality alone (indexed); no name has that shape,
            # and the name scan below cannot use an index.
            stmt = stmt.where(
                or_(
                    Household.head_id_number == id_like,
                    Household.id.in_(
                        select(HouseholdMember.household_id).where(
                            HouseholdMember.id_number == id_like
                        )
                    ),
                )
            )
        else:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            stmt = stmt.where(
                or_(
                    Household.head_name.like(pattern, escape="\\"),
                    Household.id.in_(
                        select(HouseholdMember.household_id).where(
                            HouseholdMember.name.like(pattern, escape="\\")
                        )
                    ),
                )
            )
    if not_visited_since is not None:
        since = local_midnight(not_visited_since)
        stmt = stmt.where(
            ~Household.id.in_(
                select(Visit.household_id)
                .where(Visit.visited_at >= since)
                # Any visit counts, whoever recorded it.
                .execution_options(skip_scope=True)
            )
        )
    if near is not None:
        stmt = stmt.where(
            Household.location.is_not(None),
            presence.within_distance(session(), Household, "location", Point(*near), within_m),
        )
    return stmt


def reveal_household_ids(households: list[Household]) -> None:
    record_reveal("households", households, ["head_id_number", "members.id_number"])


def household_visits_query(household_id: int) -> Select:
    get_household(household_id)
    return (
        select(Visit)
        .where(Visit.household_id == household_id)
        .order_by(Visit.visited_at.desc(), Visit.id.desc())
    )


def duplicate_flags_query(area_id: int | None = None) -> Select:
    stmt = select(DuplicateFlag).order_by(DuplicateFlag.id.desc())
    if area_id is not None:
        area = session.scalar(select(Area).where(Area.id == area_id))
        if area is None:
            raise Invalid({"area_id": ["No such area."]})
        stmt = stmt.where(DuplicateFlag.area_id.in_(subtree_ids(area)))
    return stmt


# --- visits -----------------------------------------------------------------------------


def _check_visit_time(visited_at: datetime, now: datetime) -> None:
    skew = timedelta(minutes=current_app.config["VISIT_MAX_CLOCK_SKEW_MINUTES"])
    max_age = timedelta(days=current_app.config["VISIT_MAX_AGE_DAYS"])
    if visited_at > now + skew:
        raise Invalid(
            {
                "visited_at": [
                    "This time is in the future; check the phone's clock and date "
                    f"(up to {int(skew.total_seconds() // 60)} minutes of skew are accepted)."
                ]
            }
        )
    if visited_at < now - max_age:
        raise Invalid(
            {
                "visited_at": [
                    f"Visits may be dated at most {max_age.days} days back; check the phone's date."
                ]
            }
        )


def record_visit(data: dict[str, Any]) -> tuple[Visit, bool]:
    """Store a visit from a phone; (visit, created). A replay returns the stored visit."""
    content_hash = fingerprint(data)
    replay = find_replay(Visit, data["client_uuid"], content_hash)
    if replay is not None:
        return replay, False
    now = utcnow()
    _check_visit_time(data["visited_at"], now)
    created_household = False
    if data.get("new_household") is not None:
        household, _ = create_household(
            {k: v for k, v in data["new_household"].items() if k != "client_uuid"},
            prefix="new_household.",
        )
        created_household = True
    else:
        household = session.scalar(select(Household).where(Household.id == data["household_id"]))
        if household is None:
            raise Invalid({"household_id": ["No such household."]})
    actor = require_actor()
    point = _wgs84_point(data.get("location"), data.get("crs"))
    visit = Visit(
        client_uuid=str(data["client_uuid"]),
        content_hash=content_hash,
        household_id=household.id,
        area_id=household.area_id,
        worker_id=actor.user_id,
        channel=data["channel"],
        visited_at=data["visited_at"],
        received_at=now,
        location=to_db_geometry(point),
        accuracy_m=data.get("accuracy_m"),
        source_crs=data.get("crs") or "wgs84",
        findings=data.get("findings") or {},
        needs=list(data.get("needs") or []),
        notes=data.get("notes"),
        created_household=created_household,
        review_state="pending",
    )
    _screen(visit, household)
    if visit.channel == "in_person":
        config = current_app.config
        check = presence.check_presence(
            point,
            visit.accuracy_m,
            household.location,
            config["PRESENCE_MAX_DISTANCE_M"],
            config["PRESENCE_MAX_ACCURACY_M"],
        )
        visit.presence_flagged = check.flagged
        visit.presence_distance_m = check.distance_m
        visit.presence_reasons = check.reasons
    session.add(visit)
    session.flush()
    schedule_job(VISIT_RECORDED_JOB, visit.id)
    return visit, True


def _screen(visit: Visit, household: Household) -> None:
    area_path = session.scalar(
        select(Area.path).where(Area.id == household.area_id).execution_options(skip_scope=True)
    )
    on = visit.visited_at.astimezone(county_zone()).date()
    standard = screening.standard_in_force(area_path or "", household.urban_rural, on)
    result, figures = screening.screen(
        visit.findings,
        len(household.members),
        standard,
        current_app.config["MARGINAL_INCOME_FACTOR"],
        current_app.config["EXTREME_POVERTY_FACTOR"],
        current_app.config["EXPENDITURE_HARDSHIP_FACTOR"],
    )
    visit.screening_result = result
    visit.screening = figures


def record_batch(items: list[Any], load_item: Any) -> list[dict[str, Any]]:
    """Each item validated and stored on its own, in a savepoint; one result per item.

    ``load_item(raw)`` validates one raw item (raising marshmallow's ValidationError).
    """
    results: list[dict[str, Any]] = []
    for index, raw in enumerate(items):
        client_uuid = raw.get("client_uuid") if isinstance(raw, dict) else None
        entry: dict[str, Any] = {"index": index, "client_uuid": client_uuid}
        savepoint = session.begin_nested()
        try:
            if not isinstance(raw, dict):
                raise ValidationError({"_schema": ["Each visit is a JSON object."]})
            data = load_item(raw)
            visit, created = record_visit(data)
            savepoint.commit()
            entry.update(
                result="created" if created else "duplicate",
                id=visit.id,
                status=201 if created else 200,
                visit=visit,
            )
        except ValidationError as exc:
            savepoint.rollback()
            error = Invalid(exc.messages)
            entry.update(result="error", status=422, detail=error.detail, errors=error.errors)
        except IntegrityError:
            # A concurrent send of the same client_uuid won the race; the phone retries.
            savepoint.rollback()
            entry.update(
                result="error",
                status=409,
                detail="The visit conflicts with data stored meanwhile; send it again.",
            )
        except ApiError as exc:
            savepoint.rollback()
            entry.update(
                result="error",
                status=exc.status,
                detail=exc.detail,
                errors=getattr(exc, "errors", None),
            )
        results.append(entry)
    return results


def visits_query(
    area_id: int | None = None,
    household_id: int | None = None,
    worker_id: int | None = None,
    channel: str | None = None,
    review_state: str | None = None,
    screening_result: str | None = None,
    presence_flagged: bool | None = None,
    visited_from: datetime | None = None,
    visited_to: datetime | None = None,
) -> Select:
    stmt = select(Visit).order_by(Visit.visited_at.desc(), Visit.id.desc())
    if area_id is not None:
        area = session.scalar(select(Area).where(Area.id == area_id))
        if area is None:
            raise Invalid({"area_id": ["No such area."]})
        stmt = stmt.where(Visit.area_id.in_(subtree_ids(area)))
    for column, value in (
        (Visit.household_id, household_id),
        (Visit.worker_id, worker_id),
        (Visit.channel, channel),
        (Visit.review_state, review_state),
        (Visit.screening_result, screening_result),
        (Visit.presence_flagged, presence_flagged),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if visited_from is not None:
        stmt = stmt.where(Visit.visited_at >= visited_from)
    if visited_to is not None:
        stmt = stmt.where(Visit.visited_at < visited_to)
    return stmt


def get_visit(visit_id: int) -> Visit:
    visit = session.scalar(select(Visit).where(Visit.id == visit_id))
    if visit is None:
        raise NotFound("No such visit.")
    return visit


def review_visit(visit_id: int, state: str, comment: str | None) -> Visit:
    visit = get_visit(visit_id)
    actor = require_actor()
    now = utcnow()
    visit.review_state = state
    visit.review_comment = comment
    visit.reviewed_by_id = actor.user_id
    visit.reviewed_at = now
    visit.reviews.append(
        VisitReview(state=state, comment=comment, reviewer_id=actor.user_id, at=now)
    )
    session.flush()
    return visit


# --- programme standards ----------------------------------------------------------------


def standards_query(
    area_id: int | None = None, programme: str | None = None, on: date | None = None
) -> Select:
    stmt = select(ProgrammeStandard).order_by(
        ProgrammeStandard.area_id, ProgrammeStandard.programme, ProgrammeStandard.valid_from
    )
    if area_id is not None:
        stmt = stmt.where(ProgrammeStandard.area_id == area_id)
    if programme:
        stmt = stmt.where(ProgrammeStandard.programme == programme)
    if on is not None:
        stmt = stmt.where(
            ProgrammeStandard.valid_from <= on,
            or_(ProgrammeStandard.valid_to.is_(None), ProgrammeStandard.valid_to >= on),
        )
    return stmt


def add_standard(data: dict[str, Any]) -> ProgrammeStandard:
    """A new standard; one that overlaps an existing one for the same area, programme and
    urban/rural status is refused (which figure applies must never be ambiguous)."""
    visible_area(data["area_id"])
    far_future = date(9999, 12, 31)
    new_to = data.get("valid_to") or far_future
    overlapping = session.scalar(
        select(func.count(ProgrammeStandard.id)).where(
            ProgrammeStandard.area_id == data["area_id"],
            ProgrammeStandard.programme == data["programme"],
            ProgrammeStandard.urban_rural == data["urban_rural"],
            ProgrammeStandard.valid_from <= new_to,
            or_(
                ProgrammeStandard.valid_to.is_(None),
                ProgrammeStandard.valid_to >= data["valid_from"],
            ),
        )
    )
    if overlapping:
        raise Invalid(
            {
                "valid_from": [
                    "Overlaps a standard already recorded for this area, programme and "
                    "urban/rural status; close that one (valid_to) first."
                ]
            }
        )
    standard = ProgrammeStandard(**data)
    session.add(standard)
    session.flush()
    return standard


def close_standard(standard_id: int, valid_to: date) -> ProgrammeStandard:
    standard = session.scalar(select(ProgrammeStandard).where(ProgrammeStandard.id == standard_id))
    if standard is None:
        raise NotFound("No such standard.")
    if valid_to < standard.valid_from:
        raise Invalid({"valid_to": ["valid_to is before valid_from."]})
    standard.valid_to = valid_to
    session.flush()
    return standard


def new_client_uuid() -> str:
    return str(uuid.uuid4())
