"""Household search: the filters of ``GET /api/v1/households``.

Each filter is written so that an index answers it on 200,000 households:

- ``q`` shaped like an ID number: equality on the head's and the members' ID numbers
  (``ix_households_head_id_number``, ``ix_household_members_id_number``);
- any other ``q``: the start of the head's or a member's name (``LIKE 'q%'``) within the
  caller's areas, served by indexes that lead with the area id, then the name
  (``ix_households_area_head_name_prefix``, ``ix_household_members_area_name_prefix``,
  migration 0024): one short index range per area of the caller's subtree, the same
  work on a county as on a province. The jurisdiction filters by area id (``area_id IN``
  the subtree's ids), which is why the area id leads, not the area's path. Members carry
  their household's ``area_id`` for this. On PostgreSQL the name part uses
  ``varchar_pattern_ops`` (the database's collation is not ``C``, so a plain btree index
  cannot answer ``LIKE``). A name contained further in (a given name alone) is not
  matched: no index serves ``LIKE '%q%'`` for the two-character names most people have
  (trigrams need three);
- the two sides are a ``UNION`` of household ids: ``head OR member`` in one ``WHERE`` makes
  PostgreSQL scan both tables;
- ``not_visited_since``: the household's own ``last_visited_at`` (kept by the visit write
  path) instead of a scan of its visits;
- ``near``: ``api.visits.presence.within_distance`` (a box through the spatial index, then
  the exact distance) gives ids, which the page then reads.

Jurisdiction is added to the query by ``api.areas.scope`` like everywhere else. A page of
a search is counted in the same statement, and a name planned with its value
(``households_page``); the answer is written by ``schemas.households_json``.
"""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace
from typing import Any

from shapely.geometry import Point
from sqlalchemy import ColumnElement, Select, func, or_, select, union

from api.areas.scope import in_area, in_jurisdiction
from api.common.county_time import local_midnight
from api.common.pagination import record_page_total
from api.db import PLANNED_WITH_VALUES, among, session
from api.errors import Invalid
from api.visits import presence
from api.visits.models import (
    MEMBER_FIELDS,
    DuplicateFlag,
    Household,
    HouseholdFocusGroup,
    HouseholdMember,
    HouseholdProgramme,
)

ID_NUMBER_SHAPE = re.compile(r"\d{17}[\dX]")
# A name holds none of these: LIKE's wildcards and escape, control characters.
_NOT_IN_A_NAME = re.compile(r"[%_\\\x00-\x1f\x7f]")


class ListedHousehold(SimpleNamespace):
    """A household of a list page, as ``schemas.households_json`` reads it: the page's
    columns, ``members`` (namespaces of their columns), ``focus_groups``, ``programmes``
    and ``duplicate_flags`` (``DuplicateFlag`` objects, loaded only for the households that
    have some)."""


def households_page(args: dict[str, Any], pagination_parameters: Any) -> list[ListedHousehold]:
    """One page of ``GET /households`` (its total recorded for the headers), read as rows.

    A search (a name, an ID number, a point) finds tens or hundreds of households: its page
    is counted in the same statement (``count(*) OVER ()``). A list of a whole area is not
    (a window count would read every household of the area first): its total comes from
    the last page or a count (``record_page_total``).

    The page is one statement: the page of households, each joined to its members, focus
    groups and programmes (a household's rows are its members × focus groups ×
    programmes, a few). Rows, not ORM objects: loading 20 households and their ≈ 60
    members as objects cost more CPU than the rest of a search. Duplicate flags, which few
    households have, are loaded as objects (scoped, and marked by
    ``services.show_households``) by a second statement only when the page has some.

    A name is planned with its value: psycopg prepares a statement sent five times, and
    PostgreSQL then may keep one generic plan for every value, in which ``LIKE $1`` cannot
    become an index range; the heads' side then read every household of the town (23,000
    buffers instead of 700 on the province, 60-100 ms). A search by ``q`` (and its count)
    is therefore never prepared (``api.db.PLANNED_WITH_VALUES``).
    """
    stmt = households_query(**args)
    searching = args.get("q") is not None or args.get("near") is not None
    if args.get("q") is not None:
        stmt = stmt.execution_options(**PLANNED_WITH_VALUES)
    page_number, size = pagination_parameters.page, pagination_parameters.page_size
    page_stmt = stmt.add_columns(func.count().over().label("total")) if searching else stmt
    page = page_stmt.limit(size).offset((page_number - 1) * size).subquery()
    members = HouseholdMember.__table__
    groups, programmes = HouseholdFocusGroup.__table__, HouseholdProgramme.__table__
    flags = DuplicateFlag.__table__
    flagged = select(flags.c.id).where(flags.c.household_id == page.c.id).exists()
    rows = session.execute(
        select(
            page,
            members.c.id.label("member_id"),
            *(members.c[column].label(f"member_{column}") for column in MEMBER_FIELDS),
            groups.c.focus_group,
            programmes.c.programme,
            flagged.label("flagged"),
        )
        .outerjoin(members, members.c.household_id == page.c.id)
        .outerjoin(groups, groups.c.household_id == page.c.id)
        .outerjoin(programmes, programmes.c.household_id == page.c.id)
        .order_by(
            page.c.id,
            members.c.position,
            members.c.id,
            groups.c.focus_group,
            programmes.c.programme,
        )
        .execution_options(**stmt.get_execution_options())
    ).all()
    households: dict[int, ListedHousehold] = {}
    last_member_id = None
    for row in rows:
        household = households.get(row.id)
        if household is None:
            household = households[row.id] = ListedHousehold(
                **{column: getattr(row, column) for column in _LISTED},
                members=[],
                focus_groups=[],
                programmes=[],
                duplicate_flags=[],
            )
        # Rows come by member, each repeated for every focus group × programme.
        if row.member_id is not None and row.member_id != last_member_id:
            last_member_id = row.member_id
            household.members.append(
                SimpleNamespace(
                    **{column: getattr(row, f"member_{column}") for column in MEMBER_FIELDS}
                )
            )
        if row.focus_group is not None and row.focus_group not in household.focus_groups:
            household.focus_groups.append(row.focus_group)
        if row.programme is not None and row.programme not in household.programmes:
            household.programmes.append(row.programme)
    counted = rows[0].total if searching and rows else None
    record_page_total(stmt, pagination_parameters, len(households), counted)
    flagged_ids = [row.id for row in rows if row.flagged]
    if flagged_ids:
        for flag in session.scalars(
            select(DuplicateFlag)
            .where(among(DuplicateFlag.household_id, set(flagged_ids)))
            .order_by(DuplicateFlag.id)
        ):
            households[flag.household_id].duplicate_flags.append(flag)
    return list(households.values())


# The columns of a household that a list shows (``schemas.households_json``), beside
# its members' ``MEMBER_FIELDS``.
_LISTED = (
    "id",
    "client_uuid",
    "area_id",
    "address",
    "location",
    "urban_rural",
    "head_name",
    "head_id_number",
    "notes",
    "created_at",
    "updated_at",
)


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
    """The households matching every filter given, by id (the caller pages it): the
    columns a list shows (``_LISTED``)."""
    stmt = select(*(getattr(Household, column) for column in _LISTED)).order_by(Household.id)
    if area_id is not None:
        stmt = stmt.where(in_area(Household.area_id, area_id))
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
    if q is not None:
        stmt = stmt.where(matches_name_or_id_number(q))
    if not_visited_since is not None:
        since = local_midnight(not_visited_since)
        stmt = stmt.where(
            or_(Household.last_visited_at.is_(None), Household.last_visited_at < since)
        )
    if near is not None:
        stmt = stmt.where(Household.id.in_(_ids_near(Point(*near), within_m)))
    return stmt


def _ids_near(point: Point, metres: float) -> Select:
    """Ids of located households within ``metres`` of ``point``, from the bare table.

    ``api.areas.scope`` adds the caller's area filter to every mapped ``Household`` in a
    statement; inside the spatial lookup, PostgreSQL then ANDs the spatial index with the
    area index village by village (5-10 ms on a county) instead of reading the few rows in
    the box (under 1 ms). The outer query stays scoped.
    """
    table = Household.__table__
    return select(table.c.id).where(
        table.c.location.is_not(None),
        presence.within_distance(session(), table, "location", point, metres),
    )


def matches_name_or_id_number(q: str) -> ColumnElement[bool]:
    """Households whose head or a member has this ID number (when ``q`` is shaped like
    one), else whose head's or a member's name starts with ``q``; 422 on ``q`` when it
    cannot be either."""
    text = q.strip()
    if not text:
        raise Invalid({"q": ["Give a name (or its start) or a full ID number."]})
    if _NOT_IN_A_NAME.search(text):
        raise Invalid({"q": ["A name or an ID number holds no %, _, \\ or control characters."]})
    id_number = text.upper()
    if ID_NUMBER_SHAPE.fullmatch(id_number):
        heads = select(Household.id).where(Household.head_id_number == id_number)
        members = select(HouseholdMember.household_id).where(HouseholdMember.id_number == id_number)
    else:
        # No wildcard can be in ``text`` (refused above), so the pattern needs no escaping.
        heads = select(Household.id).where(Household.head_name.like(f"{text}%"))
        # A member is no AreaScoped row: its copy of the household's area is filtered here,
        # so that the index starts from the caller's areas (the outer query is scoped too).
        members = select(HouseholdMember.household_id).where(
            in_jurisdiction(HouseholdMember.area_id), HouseholdMember.name.like(f"{text}%")
        )
    return Household.id.in_(union(heads, members))
