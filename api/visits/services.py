"""Households, visits, reviews and programme standards.

Services take plain values (already validated by the schemas), flush, and return models;
the request commits. Visits are offline-safe (``client_uuid``), screened, and checked for
presence; a stored visit schedules ``workers.followup.visit_recorded``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from flask import current_app
from marshmallow import ValidationError
from shapely.geometry import Point
from sqlalchemy import Select, bindparam, cast, func, insert, or_, select, update
from sqlalchemy import column as sql_column
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from api.areas.models import Area
from api.areas.scope import in_area, require_actor, visible_area
from api.areas.services import common_ancestor
from api.audit.services import record_created, record_created_together, record_reveal
from api.casework.tasks import services as tasks
from api.casework.tasks.rules import VisitFacts
from api.common.county_time import county_zone, local_date, local_today
from api.common.fields import to_db_geometry, to_ewkb
from api.common.idempotency import find_replay, fingerprint, reused_client_uuid
from api.db import session, utcnow
from api.errors import ApiError, Conflict, Invalid, NotFound
from api.jobs.services import schedule_job
from api.visits import crs, people, presence, screening
from api.visits.coverage import summary
from api.visits.models import (
    MEMBER_FIELDS,
    DuplicateFlag,
    Household,
    HouseholdFocusGroup,
    HouseholdMember,
    HouseholdProgramme,
    ProgrammeStandard,
    RegisterReconciliation,
    Visit,
    VisitReview,
)
from api.visits.people import HEAD

VISIT_RECORDED_JOB = "workers.followup.visit_recorded"
DUPLICATES_JOB = "workers.followup.duplicates_flagged"


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
    for key in ("address", "urban_rural", "notes"):
        if key in data:
            setattr(household, key, data[key])
    if "location" in data:
        point = _wgs84_point(data["location"], data.get("crs"))
        household.location = to_db_geometry(point)
    _apply_people(household, data, prefix)
    if "focus_groups" in data:
        household.focus_group_rows = [
            HouseholdFocusGroup(focus_group=value) for value in sorted(set(data["focus_groups"]))
        ]
    if "programmes" in data:
        household.programme_rows = [
            HouseholdProgramme(programme=value) for value in sorted(set(data["programmes"]))
        ]


def _member_values(member: HouseholdMember) -> dict[str, Any]:
    return {key: getattr(member, key) for key in MEMBER_FIELDS}


def _apply_people(household: Household, data: dict[str, Any], prefix: str) -> None:
    """The members, and the head among them (``HouseholdSchema`` has checked that the
    head is named once and that head_name/head_id_number agree with a head member).

    head_name and head_id_number are written to the head member: with a member list
    naming no head, a head member is made from them (or, on a change, the current head is
    kept, renamed by them if given); without a member list, they change the head member.
    """
    renamed = {
        key: data[source]
        for key, source in (("name", "head_name"), ("id_number", "head_id_number"))
        if source in data
    }
    if "members" in data:
        rows = [{k: m.get(k) for k in MEMBER_FIELDS} for m in data["members"]]
        if not any(row["relation"] == HEAD for row in rows):
            current = household.head
            head = _member_values(current) if current is not None else {"relation": HEAD}
            rows.insert(0, people.with_id_number_facts({**head, **renamed}))
        rows.sort(key=lambda row: row["relation"] != HEAD)  # the head first, others in order
        if not rows[0].get("name"):
            raise Invalid({f"{prefix}head_name": ["Name the head of the household."]})
        household.members = _members_in_place(household.members, rows)
    elif renamed:
        head = household.head
        if head is None:
            raise Invalid({f"{prefix}members": ["This household has no head member to rename."]})
        values = people.with_id_number_facts({**_member_values(head), **renamed})
        for key, value in values.items():
            setattr(head, key, value)
    copy_head(household)


def _members_in_place(
    existing: list[HouseholdMember], rows: list[dict[str, Any]]
) -> list[HouseholdMember]:
    """``rows`` (the head first) written over the existing member rows, the head over the
    head: the one-head index is checked row by row, so a new head row inserted before the
    old one is deleted (what replacing the list would do) would break it."""
    reused = sorted(existing, key=lambda member: member.relation != HEAD)
    members = []
    for position, row in enumerate(rows):
        member = reused[position] if position < len(reused) else HouseholdMember()
        member.position = position
        for key, value in row.items():
            setattr(member, key, value)
        members.append(member)
    return members


def copy_head(household: Household) -> None:
    """Copy the head member's name and ID number to the household's indexed columns."""
    head = household.head
    if head is not None:
        household.head_name = head.name
        household.head_id_number = head.id_number


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
    summary.touch([household.id], new=True)
    flag_duplicates(household)
    return household, True


def update_household(household_id: int, data: dict[str, Any]) -> Household:
    household = get_household(household_id)
    if "area_id" in data or "focus_groups" in data:
        summary.touch([household.id])  # where it counts, and whether it counts
    _apply_household_fields(household, data, "")
    household.updated_at = utcnow()
    session.flush()
    flag_duplicates(household)
    return household


def copy_member_areas() -> int:
    """Write each member's household's ``area_id`` onto the member where it differs, and
    say how many were rewritten. The write path keeps the copy right
    (``api.visits.models``); this repairs rows written around it (loaded by ``COPY``, say)."""
    members, households = HouseholdMember.__table__, Household.__table__
    area = (
        select(households.c.area_id)
        .where(households.c.id == members.c.household_id)
        .scalar_subquery()
    )
    changed = session.execute(
        update(members).values(area_id=area).where(members.c.area_id.is_distinct_from(area))
    )
    return changed.rowcount


def get_household(household_id: int) -> Household:
    household = session.scalar(select(Household).where(Household.id == household_id))
    if household is None:
        raise NotFound("No such household.")
    return household


def flag_duplicates(household: Household) -> list[DuplicateFlag]:
    """Flag households that look like this one: a shared ID number, or the same head's
    name in the same village. Flags are kept for a person to decide; nothing is merged.

    The search looks past the caller's jurisdiction on purpose: the same person registered
    in two towns is exactly what must come to light. But the caller learns of a household
    they cannot see only that it exists (``mark_visible``), and the flags naming one are
    handed to whoever sees both households (``DUPLICATES_JOB``: a review task).
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
    _hand_over_hidden(household, flags)
    return flags


def _hand_over_hidden(household: Household, flags: list[DuplicateFlag]) -> None:
    """Schedule the review of the new flags whose other household the caller cannot see;
    the job's area is the lowest one containing every household involved."""
    visible = _visible_household_ids({flag.other_household_id for flag in flags})
    hidden = [flag for flag in flags if flag.other_household_id not in visible]
    if not hidden:
        return
    other_areas = session.scalars(
        select(Household.area_id)
        .where(Household.id.in_({flag.other_household_id for flag in hidden}))
        # Only to address the job: the caller is told nothing of these areas.
        .execution_options(skip_scope=True)
    )
    schedule_job(
        DUPLICATES_JOB,
        *(flag.id for flag in hidden),
        area_id=common_ancestor({household.area_id, *other_areas}),
    )


def _visible_household_ids(ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(session.scalars(select(Household.id).where(Household.id.in_(ids))))


def mark_visible(flags: Iterable[DuplicateFlag]) -> list[DuplicateFlag]:
    """Note on each flag whether the caller may see its households (one query), before
    the flags are shown: a household the caller cannot see is shown only as "a possible
    duplicate outside your area" (``DuplicateFlagSchema``). A flag not marked is shown as
    hidden: forgetting this call hides too much, never too little."""
    flags = list(flags)
    visible = _visible_household_ids(
        {i for flag in flags for i in (flag.household_id, flag.other_household_id)}
    )
    for flag in flags:
        flag.visible_ids = frozenset({flag.household_id, flag.other_household_id} & visible)
    return flags


def show_households(households: list[Household]) -> list[Household]:
    """``households`` with their duplicate flags marked for the caller (``mark_visible``)."""
    mark_visible(flag for household in households for flag in household.duplicate_flags)
    return households


def reveal_household_ids(households: list[Household]) -> None:
    record_reveal("households", households, ["head_id_number", "members.id_number"])


def reconciliation_report(problem: str | None = None) -> list[tuple[RegisterReconciliation, str]]:
    """Migration 0018's findings (and each household's village name), by household."""
    stmt = (
        select(RegisterReconciliation, Area.name)
        .join(Area, Area.id == RegisterReconciliation.area_id)
        .order_by(RegisterReconciliation.household_id, RegisterReconciliation.id)
    )
    if problem is not None:
        stmt = stmt.where(RegisterReconciliation.problem == problem)
    return [(finding, name) for finding, name in session.execute(stmt)]


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
        stmt = stmt.where(in_area(DuplicateFlag.area_id, area_id))
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


@dataclass(frozen=True)
class HomeFacts:
    """What storing a visit needs to know about its household."""

    id: int
    area_id: int
    area_path: str
    urban_rural: str
    location: Any
    member_count: int


# A stored visit with whether this call created it, or why the item was refused. A visit
# this call created is a ``StoredVisit`` (its row as inserted), a resent one the ``Visit``.
VisitOutcome = tuple[Any, bool] | ApiError


def _race_lost() -> Conflict:
    return Conflict("The visit conflicts with data stored meanwhile; send it again.")


def record_visit(data: dict[str, Any]) -> tuple[Any, bool]:
    """POST /visits: one visit from a phone; (visit, created). A replay returns the stored
    visit; a refused visit raises its error."""
    outcome = store_visits([data], alone=True)[0]
    if isinstance(outcome, ApiError):
        raise outcome
    return outcome


def record_batch(items: list[Any], load_item: Any) -> list[dict[str, Any]]:
    """POST /visits/batch: each item validated and stored on its own merits; one result per
    item, in order. ``load_item(raw)`` validates one raw item (marshmallow)."""
    results: list[dict[str, Any]] = [
        {"index": i, "client_uuid": raw.get("client_uuid") if isinstance(raw, dict) else None}
        for i, raw in enumerate(items)
    ]
    valid: list[tuple[int, dict[str, Any]]] = []
    for index, raw in enumerate(items):
        try:
            if not isinstance(raw, dict):
                raise ValidationError({"_schema": ["Each visit is a JSON object."]})
            valid.append((index, load_item(raw)))
        except ValidationError as exc:
            error = Invalid(exc.messages)
            results[index].update(
                result="error", status=422, detail=error.detail, errors=error.errors
            )
    outcomes = store_visits([data for _, data in valid])
    for (index, _), outcome in zip(valid, outcomes, strict=True):
        if isinstance(outcome, ApiError):
            results[index].update(
                result="error",
                status=outcome.status,
                detail=outcome.detail,
                errors=getattr(outcome, "errors", None),
            )
        else:
            visit, created = outcome
            results[index].update(
                result="created" if created else "duplicate",
                id=visit.id,
                status=201 if created else 200,
                visit=visit,
            )
    return results


def store_visits(items: list[dict[str, Any]], alone: bool = False) -> list[VisitOutcome]:
    """Store validated visits (VisitInSchema) together; one outcome per item, in order.

    Phones sync up to 200 visits at a time, so the work is done set-wise: one query finds
    resends, one loads the households, one their programme standards, one inserts the
    visits, one audit entry names them all, one outbox job follows them all up. An item
    refused on its own (a bad time, a household out of reach, a reused client_uuid) does not
    hold the others back; an item sent twice in one batch is stored once. ``alone``: a
    request of this one visit (POST /visits), whose own failure may fail the request.

    A lone visit for a registered household is not looked up first: its insert skips a
    taken client_uuid (``ON CONFLICT DO NOTHING``), and only a visit refused or skipped is
    looked up as a resend, which answers as a lookup first would have (one statement
    less a visit). One that registers its household is looked up first, as a batch is:
    the household would be created before its visit met the taken client_uuid.
    """
    now = utcnow()
    hashes = [fingerprint(data) for data in items]
    uuids = [str(data["client_uuid"]) for data in items]
    folded = alone and items[0].get("new_household") is None
    stored = set() if folded else _stored_client_uuids(uuids)
    outcomes: list[VisitOutcome | None] = [None] * len(items)
    first_copy: dict[str, int] = {}
    fresh: list[int] = []
    for index, data in enumerate(items):
        if uuids[index] in first_copy:
            continue  # a second copy in this batch: settled by its first copy, below
        first_copy[uuids[index]] = index
        try:
            if uuids[index] in stored:
                outcomes[index] = (find_replay(Visit, uuids[index], hashes[index]), False)
            else:
                _check_visit_time(data["visited_at"], now)
                fresh.append(index)
        except ApiError as exc:
            outcomes[index] = exc
    for index, outcome in _store_fresh(items, hashes, fresh, now, alone).items():
        outcomes[index] = outcome
    if folded and not isinstance(outcomes[0], tuple):
        outcomes[0] = _resent_or(outcomes[0], uuids[0], hashes[0])

    created = [o[0] for o in outcomes if isinstance(o, tuple) and o[1]]
    if created:
        area_id = common_ancestor(visit.area_id for visit in created)
        _audit_created(created, area_id)
        schedule_job(VISIT_RECORDED_JOB, *(visit.id for visit in created), area_id=area_id)
        note_visits(created)
    for index, outcome in enumerate(outcomes):
        if outcome is None:
            first = first_copy[uuids[index]]
            outcomes[index] = _second_copy(
                outcomes[first], hashes[first] == hashes[index], uuids[index]
            )
    return outcomes  # type: ignore[return-value]


def _resent_or(outcome: ApiError | None, client_uuid: str, content_hash: str) -> VisitOutcome:
    """A lone visit refused (``outcome``) or whose client_uuid its insert found taken
    (None): the stored visit if it is a resend (409 if its content differs), else the
    refusal."""
    try:
        replay = find_replay(Visit, client_uuid, content_hash)
    except ApiError as exc:
        return exc
    if replay is not None:
        return (replay, False)
    return outcome if outcome is not None else _race_lost()


def _second_copy(first: VisitOutcome | None, same_content: bool, client_uuid: str) -> VisitOutcome:
    """What a second copy of an item in the same batch gets, given its first copy's
    outcome: the same visit (not created again), the same error, or 409 if it differs."""
    if isinstance(first, tuple):
        return (first[0], False) if same_content else reused_client_uuid(client_uuid)
    assert first is not None
    return first


def _store_fresh(
    items: list[dict[str, Any]], hashes: list[str], fresh: list[int], now: datetime, alone: bool
) -> dict[int, VisitOutcome]:
    """Visits not stored before. Those for registered households go in together; those
    that register their household go one by one, each in a savepoint, so a refused visit
    leaves no household behind."""
    outcomes: dict[int, VisitOutcome] = {}
    registered = [i for i in fresh if items[i].get("new_household") is None]
    homes = _home_facts({items[i]["household_id"] for i in registered})
    standards = _StandardCache({home.area_path for home in homes.values()})
    rows: dict[int, dict[str, Any]] = {}
    for index in registered:
        home = homes.get(items[index]["household_id"])
        if home is None:
            outcomes[index] = Invalid({"household_id": ["No such household."]})
        else:
            rows[index] = _visit_row(items[index], hashes[index], home, now, standards)
    if rows:
        summary.touch(
            {row["household_id"] for row in rows.values()},
            since=min(row["visited_at"] for row in rows.values()),
        )
    outcomes.update(_insert_visits(rows, alone))
    for index in fresh:
        if items[index].get("new_household") is not None:
            outcomes[index] = _store_with_new_household(items[index], hashes[index], now, standards)
    return outcomes


def _stored_client_uuids(uuids: list[str]) -> set[str]:
    # Past the scope: a uuid taken by a record the caller cannot see must answer 409
    # (find_replay decides), not fail the whole insert on the unique index.
    return set(
        session.scalars(
            select(Visit.client_uuid)
            .where(Visit.client_uuid.in_(set(uuids)))
            .execution_options(skip_scope=True)
        )
    )


def _home_facts(household_ids: set[int]) -> dict[int, HomeFacts]:
    """The households the caller may see among ``household_ids`` (others are missing)."""
    if not household_ids:
        return {}
    members = (
        select(HouseholdMember.household_id, func.count().label("n"))
        .where(HouseholdMember.household_id.in_(household_ids))
        .group_by(HouseholdMember.household_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Household.id,
            Household.area_id,
            Area.path,
            Household.urban_rural,
            Household.location,
            func.coalesce(members.c.n, 0),
        )
        .join(Area, Area.id == Household.area_id)
        .outerjoin(members, members.c.household_id == Household.id)
        .where(Household.id.in_(household_ids))
    ).all()
    return {row[0]: HomeFacts(*row) for row in rows}


class _StandardCache:
    """Programme standards along the areas of a request's visits, read in one query (more
    only for a household registered meanwhile); the one in force on a visit's day is
    picked from them."""

    def __init__(self, area_paths: set[str]) -> None:
        self._rows = screening.standards_along(area_paths)
        self._covered = {a for path in area_paths for a in screening.ancestor_ids_of(path)}

    def get(self, area_path: str, urban_rural: str, on: date) -> screening.Standard | None:
        ancestors = screening.ancestor_ids_of(area_path)
        if not self._covered.issuperset(ancestors):
            self._rows += screening.standards_along([area_path])
            self._covered.update(ancestors)
        return screening.in_force(self._rows, area_path, urban_rural, on)


def _visit_row(
    data: dict[str, Any],
    content_hash: str,
    home: HomeFacts,
    now: datetime,
    standards: _StandardCache,
) -> dict[str, Any]:
    """The visits row for one item: screened, and presence-checked if made in person."""
    actor = require_actor()
    config = current_app.config
    point = _wgs84_point(data.get("location"), data.get("crs"))
    findings = data.get("findings") or {}
    on = data["visited_at"].astimezone(county_zone()).date()
    result, figures = screening.screen(
        findings,
        home.member_count,
        standards.get(home.area_path, home.urban_rural, on),
        config["MARGINAL_INCOME_FACTOR"],
        config["EXTREME_POVERTY_FACTOR"],
        config["EXPENDITURE_HARDSHIP_FACTOR"],
    )
    check = presence.PresenceResult()
    if data["channel"] == "in_person":
        check = presence.check_presence(
            point,
            data.get("accuracy_m"),
            home.location,
            config["PRESENCE_MAX_DISTANCE_M"],
            config["PRESENCE_MAX_ACCURACY_M"],
        )
    return {
        "client_uuid": str(data["client_uuid"]),
        "content_hash": content_hash,
        "household_id": home.id,
        "area_id": home.area_id,
        "worker_id": actor.user_id,
        "channel": data["channel"],
        "visited_at": data["visited_at"],
        "received_at": now,
        "location": point,  # a shapely point: made a column value when inserted
        "accuracy_m": data.get("accuracy_m"),
        "source_crs": data.get("crs") or "wgs84",
        "findings": findings,
        "needs": list(data.get("needs") or []),
        "notes": data.get("notes"),
        "created_household": data.get("new_household") is not None,
        "screening_result": result,
        "screening": figures,
        "presence_flagged": check.flagged,
        "presence_distance_m": check.distance_m,
        "presence_reasons": check.reasons,
        "review_state": "pending",
    }


def _insert_visits(rows: dict[int, dict[str, Any]], alone: bool) -> dict[int, VisitOutcome]:
    """Insert rows (keyed by item index) together; if that fails (a phone's
    concurrent resend took a client_uuid meanwhile), row by row, each in a savepoint, so
    only the row that conflicts is refused. A request of one visit (``alone``) needs no
    savepoint: its insert skips a taken client_uuid (``_insert_lone``)."""
    if not rows:
        return {}
    if alone:
        return _insert_lone(rows)
    try:
        with session.begin_nested():
            return _insert_rows(rows)
    except IntegrityError:
        pass
    outcomes: dict[int, VisitOutcome] = {}
    for index, row in rows.items():
        try:
            with session.begin_nested():
                outcomes.update(_insert_rows({index: row}))
        except IntegrityError:
            outcomes[index] = _race_lost()
    return outcomes


class StoredVisit(SimpleNamespace):
    """A visit as this request inserted it: its row's values as attributes (the columns it
    leaves out None, no reviews yet), read as a loaded ``Visit`` is by the answer, the
    audit and ``note_visits``. An ORM instance per row, built only to be read back, cost
    ≈ 0.1 ms a visit."""

    def __init__(self, row: dict[str, Any]) -> None:
        super().__init__(**_BLANK_VISIT, reviews=[])
        self.__dict__.update(row)


_VISIT_COLUMNS = tuple(attr.key for attr in Visit.__mapper__.column_attrs)
_BLANK_VISIT = dict.fromkeys(_VISIT_COLUMNS)


def _insert_rows(rows: dict[int, dict[str, Any]]) -> dict[int, VisitOutcome]:
    if len(rows) > 1 and session.get_bind().dialect.name == "postgresql":
        ids = _insert_as_json(list(rows.values()))
    else:
        values = [{**row, "location": to_db_geometry(row["location"])} for row in rows.values()]
        ids = session.scalars(
            insert(Visit).returning(Visit.id, sort_by_parameter_order=True),
            values,
            execution_options={"render_nulls": True},
        ).all()
    # The answer is made from the rows as stored; they need not be loaded back.
    for row, visit_id in zip(rows.values(), ids, strict=True):
        row["id"] = visit_id
    return {index: (StoredVisit(row), True) for index, row in rows.items()}


def _insert_lone(rows: dict[int, dict[str, Any]]) -> dict[int, VisitOutcome | None]:
    """The visit of POST /visits, or None for it if its client_uuid is taken (a resend,
    or a concurrent one whose commit this waited for)."""
    ((index, row),) = rows.items()
    dialect = session.get_bind().dialect.name
    upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    stmt = upsert(Visit).on_conflict_do_nothing(index_elements=["client_uuid"])
    ids = session.scalars(
        stmt.returning(Visit.id),
        [{**row, "location": to_db_geometry(row["location"])}],
        execution_options={"render_nulls": True},
    ).all()
    if not ids:
        return {index: None}
    row["id"] = ids[0]
    return {index: (StoredVisit(row), True)}


def _insert_as_json(rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows (distinct client_uuids) in one statement; their ids, in order. The rows
    go as one JSON parameter expanded by the server (as tasks' do): a VALUES list or an
    executemany of 22 parameters a row had SQLAlchemy and psycopg bind, convert and send
    each parameter, and the server run a statement a row (the batch's insert took half
    the time in one statement). A location goes as EWKB in hex, which the column's type
    reads as it is."""
    names = list(rows[0])
    document = json.dumps(
        [{**row, "location": _hex_ewkb(row["location"])} for row in rows],
        default=_iso,
        ensure_ascii=False,
    )
    given = (
        func.jsonb_to_recordset(cast(bindparam("rows", document), JSONB))
        .table_valued(*(sql_column(name, Visit.__table__.c[name].type) for name in names))
        .render_derived(name="given", with_types=True)
    )
    stmt = insert(Visit).from_select(names, select(*given.c))
    ids = dict(session.execute(stmt.returning(Visit.client_uuid, Visit.id)).all())
    return [ids[row["client_uuid"]] for row in rows]


def _hex_ewkb(point: Point | None) -> str | None:
    return None if point is None else to_ewkb(point, hex=True)


def _iso(value: datetime) -> str:
    return value.isoformat()


# The fields of each visit in a batch's audit entry: what the phone sent, where it was
# stored, and the two checks' verdicts (the figures behind them are on the visit).
BATCH_AUDITED = (
    "id",
    "client_uuid",
    "household_id",
    "area_id",
    "channel",
    "visited_at",
    "location",
    "accuracy_m",
    "source_crs",
    "findings",
    "needs",
    "notes",
    "created_household",
    "screening_result",
    "presence_flagged",
)


def _audit_created(visits: list[Any], area_id: int | None) -> None:
    """One entry for the request's new visits: a visit alone as any created record, a
    batch's visits together (``record_created_together``)."""
    if len(visits) == 1:
        record_created(Visit, [{key: getattr(visits[0], key) for key in _VISIT_COLUMNS}])
    else:
        rows = [{key: getattr(visit, key) for key in BATCH_AUDITED} for visit in visits]
        record_created_together(Visit, rows, area_id)


def _store_with_new_household(
    data: dict[str, Any], content_hash: str, now: datetime, standards: _StandardCache
) -> VisitOutcome:
    try:
        with session.begin_nested():
            household, _ = create_household(
                {k: v for k, v in data["new_household"].items() if k != "client_uuid"},
                prefix="new_household.",
            )
            home = _home_facts({household.id})[household.id]
            row = _visit_row(data, content_hash, home, now, standards)
            return _insert_rows({0: row})[0]
    except IntegrityError:
        return _race_lost()
    except ApiError as exc:
        return exc


def note_visits(visits: list[Any]) -> None:
    """Keep each household's ``last_visited_at`` (coverage reads it; the field app shows it,
    so the household's sync stamp moves too): the latest of what it had and these visits.
    Derived data: no audit entry, and the household's updated_at stays as it was."""
    latest: dict[int, datetime] = {}
    for visit in visits:
        seen = latest.get(visit.household_id)
        if seen is None or visit.visited_at > seen:
            latest[visit.household_id] = visit.visited_at
    table = Household.__table__
    kept = {"updated_at": table.c.updated_at}
    if len(latest) > 1 and session.get_bind().dialect.name == "postgresql":
        # One statement for a batch's households (an UPDATE each was a hundred statements
        # for the server to run). The ids go ascending, and the plan is a nested loop
        # driven by them through the primary key (the only cheap plan for a batch
        # against the register; EXPLAIN on the county data set), so households are
        # locked in id order as before and two batches never lock two in opposite
        # orders. A lone household keeps the plain UPDATE: the join costs it more.
        ordered = sorted(latest.items())
        given = (
            func.unnest(
                bindparam("households", [h for h, _ in ordered], ARRAY(table.c.id.type)),
                bindparam("ats", [at for _, at in ordered], ARRAY(table.c.last_visited_at.type)),
            )
            .table_valued("household", "at")
            .render_derived(name="given")
        )
        stmt = (
            table.update()
            .where(
                table.c.id == given.c.household,
                or_(table.c.last_visited_at.is_(None), table.c.last_visited_at < given.c.at),
            )
            .values(last_visited_at=given.c.at, **kept)
        )
        session.execute(stmt)
        return
    at = bindparam("at", type_=table.c.last_visited_at.type)
    stmt = (
        table.update()
        .where(
            table.c.id == bindparam("household"),
            or_(table.c.last_visited_at.is_(None), table.c.last_visited_at < at),
        )
        .values(last_visited_at=at, **kept)
    )
    session.execute(stmt, [{"household": h, "at": at} for h, at in sorted(latest.items())])


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
        stmt = stmt.where(in_area(Visit.area_id, area_id))
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
    summary.touch([visit.household_id], since=visit.visited_at)  # flagged_pending_review
    actor = require_actor()
    now = utcnow()
    visit.review_state = state
    visit.review_comment = comment
    visit.reviewed_by_id = actor.user_id
    visit.reviewed_at = now
    review = VisitReview(state=state, comment=comment, reviewer_id=actor.user_id, at=now)
    visit.reviews.append(review)
    session.flush()
    facts = VisitFacts(
        id=visit.id,
        household_id=visit.household_id,
        area_id=visit.area_id,
        worker_id=visit.worker_id,
        visited_on=local_date(visit.visited_at),
    )
    tasks.visit_reviewed(actor, facts, review.id, state, comment, local_today())
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
