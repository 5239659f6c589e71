"""The focus households behind the coverage figures, one row each: where they live, their
status (``services.household_status``: the same definition as the counts, so a list
filtered by status has as many rows as the table's column), their focus groups and the
worker who visited them last (the one a supervisor asks first).

The list is paged for the page and streamed in batches for the export.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from api.areas.models import Area
from api.common.labels import label
from api.db import session
from api.visits.coverage import services
from api.visits.coverage.services import Cadence, Period
from api.visits.models import Household, HouseholdFocusGroup, Visit

BATCH = 500


def households_select(
    area: Area, period: Period, cadence: Cadence, status: str | None, now: datetime | None = None
) -> Select[Any]:
    """The focus households of ``area``'s subtree with their status, village and town
    (by village, then household)."""
    figures = services.household_status(area, period, cadence, now)
    place = aliased(Area, name="place")
    town = aliased(Area, name="town")
    stmt = (
        select(
            Household.id,
            Household.head_name,
            Household.address,
            Household.area_id,
            place.name.label("place_name"),
            place.level.label("place_level"),
            town.name.label("town_name"),
            figures.c.status,
            figures.c.last_visit,
        )
        .join(figures, figures.c.household_id == Household.id)
        .join(place, place.id == Household.area_id)
        .outerjoin(town, town.id == place.parent_id)
        .order_by(place.code, Household.id)
    )
    if status:
        stmt = stmt.where(figures.c.status == status)
    return services.look_past_visit_scope(stmt)


def _details(household_ids: list[int]) -> tuple[dict[int, list[str]], dict[int, int | None]]:
    """Focus groups and the last visit's worker of each household."""
    groups: dict[int, list[str]] = {}
    for household_id, group in session.execute(
        select(HouseholdFocusGroup.household_id, HouseholdFocusGroup.focus_group)
        .where(HouseholdFocusGroup.household_id.in_(household_ids))
        .order_by(HouseholdFocusGroup.household_id, HouseholdFocusGroup.focus_group)
    ):
        groups.setdefault(household_id, []).append(group)
    latest = (
        select(
            Visit.household_id,
            Visit.worker_id,
            func.row_number()
            .over(
                partition_by=Visit.household_id,
                order_by=(Visit.visited_at.desc(), Visit.id.desc()),
            )
            .label("n"),
        )
        .where(Visit.household_id.in_(household_ids))
        .subquery()
    )
    workers = dict(
        session.execute(
            services.look_past_visit_scope(
                select(latest.c.household_id, latest.c.worker_id).where(latest.c.n == 1)
            )
        ).all()
    )
    return groups, workers


def _rows(rows: list[Any]) -> list[dict[str, Any]]:
    groups, workers = _details([row.id for row in rows])
    names = services.worker_names([w for w in workers.values() if w is not None])
    village = lambda row: row.place_level == "village"  # noqa: E731
    return [
        {
            "id": row.id,
            "household_id": row.id,
            "head_name": row.head_name,
            "address": row.address,
            "area_id": row.area_id,
            "village_name": row.place_name if village(row) else None,
            "town_name": row.town_name if village(row) else row.place_name,
            "status": row.status,
            "last_visit_at": row.last_visit,
            "focus_groups": groups.get(row.id, []),
            "last_worker_id": workers.get(row.id),
            "last_worker_name": names.get(workers.get(row.id), {}).get("display_name"),  # type: ignore[arg-type]
        }
        for row in rows
    ]


def households_page(stmt: Select[Any], offset: int, size: int) -> tuple[int, list[dict[str, Any]]]:
    total = session.scalar(
        select(func.count())
        .select_from(stmt.order_by(None).subquery())
        .execution_options(**stmt.get_execution_options())
    )
    return total or 0, _rows(list(session.execute(stmt.limit(size).offset(offset))))


def households_rows(stmt: Select[Any]) -> Iterator[dict[str, Any]]:
    """Every row of ``stmt``, read and completed a batch at a time."""
    offset = 0
    while True:
        batch = list(session.execute(stmt.limit(BATCH).offset(offset)))
        if not batch:
            return
        yield from _rows(batch)
        offset += BATCH


def export_values(row: dict[str, Any], zone: Any) -> list[Any]:
    last = row["last_visit_at"]
    return [
        row["id"],
        row["town_name"] or "",
        row["village_name"] or "",
        row["head_name"],
        row["address"],
        label("household_status", row["status"]),
        last.astimezone(zone).replace(tzinfo=None) if last else None,
        "、".join(label("focus_group", g) for g in row["focus_groups"]),
        row["last_worker_name"] or "",
    ]


EXPORT_HEADERS = [
    "户编号",
    "镇",
    "村/社区",
    "户主",
    "地址",
    "状态",
    "最近走访",
    "重点人群",
    "最近走访人",
]
