"""Coverage of focus households and the work of each worker, as SQL aggregates.

Definitions (docs/supervisors.md explains them for supervisors):

- The period is ``from``..``to``, local calendar days in the county's zone, inclusive:
  ``[from 00:00, to + 1 day 00:00)`` there, compared in UTC.
- A *focus household* has at least one focus group. It counts where it lives *now*
  (``Household.area_id``): a household that moved keeps its visits, so a visit made in
  its old village still counts it as visited in its new one.
- *Visited* (in the period): at least one visit of the household in the period, any
  channel; *visited in person*: at least one in person.
- *As of*: the end of the period, or now if the period has not ended.
- Each focus household has one *status*, so the four counts add up to the focus
  households: *visited* (in the period); else *overdue*: visited before, but the last
  visit up to the period's end is older than the household's cadence before *as of*
  (``REVISIT_DAYS_POVERTY_RETURN_MONITORING`` for a household under anti-poverty-return
  monitoring, ``REVISIT_DAYS_DEFAULT`` otherwise); else *never visited*: no visit at all
  up to the period's end; else *up to date* (not yet due). A household visited in the
  period counts as visited even if, in a period longer than its cadence, that visit is
  older than the cadence by *as of*.
- Every figure is a count, and each row counts what lies in one child area; what lies in
  the area itself (not in any child: a task placed at the county, say) is the ``own``
  row, so the total is the sum of the child rows and ``own``.
- Visit counts (visits, in person, flagged by the presence checks) count a visit where it
  happened (``Visit.area_id``, the household's village at the time), whoever made it.
- Tasks: *open* = open or in progress; *overdue* = open and due before today (local).

A whole month that has ended is read from the coverage summary (``summary``: the same
figures, kept per area by the write path); any other period from the raw tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import aliased, defer

from api.areas.models import Area
from api.auth.models import User
from api.casework.tasks.models import ACTIVE_STATUSES, Task
from api.db import session, utcnow
from api.errors import NotFound
from api.visits.coverage import summary
from api.visits.coverage.models import STATUS_KEYS, SUMMARY_KEYS, CoverageMonth
from api.visits.models import Household, HouseholdFocusGroup, Visit

POVERTY_RETURN_MONITORING = summary.POVERTY_RETURN_MONITORING


@dataclass(frozen=True)
class Period:
    """Local calendar days ``first``..``last`` (inclusive) in ``zone``."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight at the start of the day after ``last``."""
        return datetime.combine(self.last + timedelta(days=1), time(0), self.zone).astimezone(UTC)

    def as_of(self, now: datetime | None = None) -> datetime:
        return min(self.end, now or utcnow())

    def today(self, now: datetime | None = None) -> date:
        return (now or utcnow()).astimezone(self.zone).date()


def default_period(zone: ZoneInfo, first: date | None, last: date | None, days: int = 30) -> Period:
    """The period asked for; without dates, the last ``days`` local days up to today."""
    last = last or utcnow().astimezone(zone).date()
    first = first or last - timedelta(days=days - 1)
    return Period(first, last, zone)


@dataclass(frozen=True)
class Cadence:
    """Days between visits a focus household should get."""

    poverty_return_monitoring_days: int
    default_days: int


def visible_area(area_id: int | None, default_area_id: int | None) -> Area:
    """The area reported on: ``area_id`` if the caller sees it (else 404), or the caller's."""
    wanted = area_id if area_id is not None else default_area_id
    area = session.scalar(select(Area).where(Area.id == wanted)) if wanted else None
    if area is None:
        raise NotFound("No such area.")
    return area


def child_areas(area: Area) -> list[Area]:
    # Without their boundaries: a town's polygon weighs more than the whole report.
    return list(
        session.scalars(
            select(Area)
            .options(defer(Area.boundary))
            .where(Area.parent_id == area.id)
            .order_by(Area.code)
        )
    )


# ---------------------------------------------------------------------------------------
# Household status


def household_status(
    area: Area, period: Period, cadence: Cadence, now: datetime | None = None
) -> Subquery:
    """One row per focus household living in ``area``'s subtree: id, area,
    visited / in person / overdue / never visited, and ``status``: one of ``overdue``,
    ``never_visited``, ``visited`` (in the period) and ``up_to_date``.
    """
    as_of = period.as_of(now)
    stored = Household.last_visited_at
    # The write path keeps last_visited_at = the household's latest visit. Before the
    # period's end (always so for a period that has not ended) it is the last visit up to
    # the end; only a household visited since needs its visits: one index-backed max on
    # (household_id, visited_at).
    last_before_end = (
        select(func.max(Visit.visited_at))
        .where(Visit.household_id == Household.id, Visit.visited_at < period.end)
        .scalar_subquery()
    )
    # A join, not ``IN (subquery)``: PostgreSQL hashes an IN list only while it fits in
    # work_mem; past that (a province's month of visits) it re-reads the list for every
    # household, and the statement ran for over ten minutes.
    in_person_in_period = (
        select(Visit.household_id.label("household_id"))
        .where(
            Visit.visited_at >= period.start,
            Visit.visited_at < period.end,
            Visit.channel == "in_person",
        )
        .group_by(Visit.household_id)
        .subquery("in_person_in_period")
    )
    # Grouped by household (over its focus groups): a grouped subquery is not merged into
    # the statement that reads it, so each household's last visit is looked up once, not
    # once per expression below that uses it.
    households = (
        select(
            Household.id.label("household_id"),
            Household.area_id.label("area_id"),
            func.max(
                case((HouseholdFocusGroup.focus_group == POVERTY_RETURN_MONITORING, 1), else_=0)
            ).label("monitored"),
            case((or_(stored.is_(None), stored < period.end), stored), else_=last_before_end).label(
                "last_visit"
            ),
            func.max(case((in_person_in_period.c.household_id.is_not(None), 1), else_=0)).label(
                "in_person"
            ),
        )
        .join(HouseholdFocusGroup, HouseholdFocusGroup.household_id == Household.id)
        .join(Area, Area.id == Household.area_id)
        .outerjoin(in_person_in_period, in_person_in_period.c.household_id == Household.id)
        .where(Area.path.startswith(area.path))
        .group_by(Household.id)
        .subquery("focus_households")
    )

    last = households.c.last_visit
    cutoff = case(
        (
            households.c.monitored == 1,
            as_of - timedelta(days=cadence.poverty_return_monitoring_days),
        ),
        else_=as_of - timedelta(days=cadence.default_days),
    )
    # The last visit up to the end falls in the period exactly when the household was
    # visited in it.
    visited = last >= period.start
    # A household never visited has no last visit: neither comparison holds. Visited in
    # the period comes first, so the four statuses are a partition (their counts add up).
    overdue = and_(last < cutoff, last < period.start)
    never = last.is_(None)
    up_to_date = and_(last < period.start, last >= cutoff)
    return select(
        households.c.household_id,
        households.c.area_id,
        households.c.monitored,
        last,
        case((visited, 1), else_=0).label("visited"),
        households.c.in_person,
        case((overdue, 1), else_=0).label("overdue"),
        case((never, 1), else_=0).label("never_visited"),
        case((up_to_date, 1), else_=0).label("up_to_date"),
        case(
            (visited, literal("visited")),
            (overdue, literal("overdue")),
            (never, literal("never_visited")),
            else_=literal("up_to_date"),
        ).label("status"),
    ).subquery("household_status")


def _household_figures(status: Subquery) -> list[Any]:
    return [
        func.count(status.c.household_id).label("focus_households"),
        func.coalesce(func.sum(status.c.visited), 0).label("visited"),
        func.coalesce(func.sum(status.c.in_person), 0).label("visited_in_person"),
        func.coalesce(func.sum(status.c.overdue), 0).label("overdue"),
        func.coalesce(func.sum(status.c.never_visited), 0).label("never_visited"),
        func.coalesce(func.sum(status.c.up_to_date), 0).label("up_to_date"),
    ]


def _visit_figures() -> list[Any]:
    flagged = Visit.presence_flagged.is_(True)
    return [
        func.count().label("visits"),
        func.coalesce(func.sum(case((Visit.channel == "in_person", 1), else_=0)), 0).label(
            "visits_in_person"
        ),
        func.coalesce(func.sum(case((flagged, 1), else_=0)), 0).label("flagged_visits"),
        func.coalesce(
            func.sum(case((and_(flagged, Visit.review_state == "pending"), 1), else_=0)), 0
        ).label("flagged_pending_review"),
    ]


def _open_task_figures(today: date) -> list[Any]:
    """Over the open tasks (``ACTIVE_STATUSES``)."""
    return [
        func.count().label("open_tasks"),
        func.coalesce(func.sum(case((Task.due_on < today, 1), else_=0)), 0).label("overdue_tasks"),
    ]


HOUSEHOLD_KEYS = (
    "focus_households",
    "visited",
    "visited_in_person",
    "overdue",
    "never_visited",
    "up_to_date",
)
VISIT_KEYS = ("visits", "visits_in_person", "flagged_visits", "flagged_pending_review")
TASK_KEYS = ("open_tasks", "overdue_tasks")


def look_past_visit_scope(stmt: Select) -> Select:
    # Whether a household in the reported area was visited does not depend on where the
    # visit happened: a household that moved here from another town keeps its visits.
    # The statement names the area subtree explicitly (an area the caller may see, checked
    # by ``visible_area``), so looking past the scope reveals nothing else.
    return stmt.execution_options(skip_scope=True)


def _child_of(area: Area) -> Subquery:
    """Each area of ``area``'s subtree with the child of ``area`` it lies in (NULL for
    ``area`` itself)."""
    place = aliased(Area, name="place")
    child = aliased(Area, name="child")
    return (
        select(place.id.label("area_id"), child.id.label("child_id"))
        .outerjoin(child, and_(child.parent_id == area.id, place.path.startswith(child.path)))
        .where(place.path.startswith(area.path))
        .subquery("child_of")
    )


def coverage(
    area: Area, period: Period, cadence: Cadence, now: datetime | None = None
) -> dict[str, Any]:
    """Figures for each child area of ``area`` and for ``area`` itself."""
    children = child_areas(area)
    today = period.today(now)
    child_of = _child_of(area)

    # Each statement is grouped by child area, with one more group (child_id NULL) for
    # what lies in ``area`` itself: every figure is a count, so the area's total is the
    # sum of its groups, and nothing is computed twice.
    month = None
    if period.end <= (now or utcnow()):  # as of its end, as the summary counts
        month = summary.closed_month(
            period.first,
            period.last,
            summary.Settings(
                period.zone, cadence.poverty_return_monitoring_days, cadence.default_days
            ),
        )
    if month is not None:
        # A whole month that has ended: its figures are kept per area (coverage_months).
        figures_of: list[Any] = [_summary_figures(child_of, month)]
    else:
        figures_of = [_raw_household_figures(area, period, cadence, now, child_of)]
        figures_of.append(_raw_visit_figures(period, child_of))
    # Counted per area first: the planner cannot tell how many areas a path prefix holds,
    # and joined the open tasks (a county's ≈ 25,000) to the areas one by one.
    subtree = select(Area.id).where(Area.path.startswith(area.path))
    per_area = (
        select(Task.area_id.label("area_id"), *_open_task_figures(today))
        .where(Task.status.in_(ACTIVE_STATUSES), Task.area_id.in_(subtree))
        .group_by(Task.area_id)
        .subquery("open_tasks")
    )
    tasks = session.execute(
        select(
            child_of.c.child_id,
            *[func.sum(per_area.c[key]).label(key) for key in TASK_KEYS],
        )
        .select_from(per_area)
        .join(child_of, child_of.c.area_id == per_area.c.area_id)
        .group_by(child_of.c.child_id)
    ).mappings()

    figures: dict[int | None, dict[str, Any]] = {c.id: {} for c in children}
    total: dict[str, int] = {}
    for rows in (*figures_of, tasks):
        for row in rows:
            values = {k: int(v or 0) for k, v in row.items() if k != "child_id"}
            figures.setdefault(row["child_id"], {}).update(values)
            for key, value in values.items():
                total[key] = total.get(key, 0) + value
    return {
        "area": area,
        "from": period.first,
        "to": period.last,
        "timezone": period.zone.key,
        "as_of": period.as_of(now),
        "areas": [_row(c, figures[c.id]) for c in children],
        # What lies in the area itself, in none of its children (zeros when nothing does;
        # for a village, which has no children, everything).
        "own": _row(area, figures.get(None, {})),
        "total": _row(area, total),
    }


def _raw_household_figures(
    area: Area, period: Period, cadence: Cadence, now: datetime | None, child_of: Subquery
) -> Any:
    status = household_status(area, period, cadence, now)
    return session.execute(
        look_past_visit_scope(
            select(child_of.c.child_id, *_household_figures(status))
            .select_from(status)
            .join(child_of, child_of.c.area_id == status.c.area_id)
            .group_by(child_of.c.child_id)
        )
    ).mappings()


def _raw_visit_figures(period: Period, child_of: Subquery) -> Any:
    return session.execute(
        select(child_of.c.child_id, *_visit_figures())
        .select_from(Visit)
        .join(child_of, child_of.c.area_id == Visit.area_id)
        .where(Visit.visited_at >= period.start, Visit.visited_at < period.end)
        .group_by(child_of.c.child_id)
    ).mappings()


def _summary_figures(child_of: Subquery, month: date) -> Any:
    """The household and visit figures of a closed month, from its rows of the subtree."""
    kept = CoverageMonth.__table__.c
    return session.execute(
        select(
            child_of.c.child_id,
            func.sum(sum((kept[key] for key in STATUS_KEYS[1:]), kept[STATUS_KEYS[0]])).label(
                "focus_households"
            ),
            *[func.sum(kept[key]).label(key) for key in SUMMARY_KEYS],
        )
        .select_from(CoverageMonth)
        .join(child_of, child_of.c.area_id == CoverageMonth.area_id)
        .where(CoverageMonth.month == month)
        .group_by(child_of.c.child_id)
    ).mappings()


def _row(area: Area, values: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "area_id": area.id,
        "code": area.code,
        "name": area.name,
        "level": area.level,
    }
    for key in (*HOUSEHOLD_KEYS, *VISIT_KEYS, *TASK_KEYS):
        row[key] = int(values.get(key) or 0)
    row["coverage_rate"] = _rate(row["visited"], row["focus_households"])
    row["in_person_rate"] = _rate(row["visited_in_person"], row["focus_households"])
    return row


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# ---------------------------------------------------------------------------------------
# Workers


def upload_delay_seconds() -> ColumnElement[float]:
    """Seconds from a visit to its arrival on the server, on either back end."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", Visit.received_at - Visit.visited_at)
    # SpatiaLite stores UTC timestamps as ISO text, which julianday() reads.
    return (func.julianday(Visit.received_at) - func.julianday(Visit.visited_at)) * 86400.0


def workers(area: Area, period: Period, now: datetime | None = None) -> dict[str, Any]:
    """Per worker who visited in ``area`` in the period (wherever the worker belongs)."""
    place = aliased(Area, name="place")
    where = (
        Visit.visited_at >= period.start,
        Visit.visited_at < period.end,
        place.path.startswith(area.path),
        Visit.worker_id.is_not(None),
    )
    figures = session.execute(
        select(
            Visit.worker_id,
            func.count(Visit.id).label("visits"),
            func.count(func.distinct(Visit.household_id)).label("households_reached"),
            func.sum(case((Visit.channel == "in_person", 1), else_=0)).label("in_person"),
            func.sum(case((Visit.presence_flagged.is_(True), 1), else_=0)).label("flagged"),
        )
        .join(place, place.id == Visit.area_id)
        .where(*where)
        .group_by(Visit.worker_id)
    ).all()

    # The median by window functions: both back ends have them, neither has the same
    # percentile aggregate.
    delay = upload_delay_seconds().label("delay")
    ranked = (
        select(
            Visit.worker_id.label("worker_id"),
            delay,
            func.row_number()
            .over(partition_by=Visit.worker_id, order_by=upload_delay_seconds())
            .label("rn"),
            func.count().over(partition_by=Visit.worker_id).label("n"),
        )
        .join(place, place.id == Visit.area_id)
        .where(*where)
        .subquery("ranked")
    )
    medians = dict(
        session.execute(
            select(ranked.c.worker_id, func.avg(ranked.c.delay))
            .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
            .group_by(ranked.c.worker_id)
        ).all()
    )

    today = period.today(now)
    active = Task.status.in_(ACTIVE_STATUSES)
    tasks = {
        row.assignee_id: row
        for row in session.execute(
            select(
                Task.assignee_id,
                func.sum(
                    case(
                        (
                            and_(
                                Task.status == "done",
                                Task.closed_at >= period.start,
                                Task.closed_at < period.end,
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ).label("done"),
                func.sum(case((and_(active, Task.due_on < today), 1), else_=0)).label("overdue"),
            )
            .join(place, place.id == Task.area_id)
            .where(place.path.startswith(area.path), Task.assignee_id.is_not(None))
            .group_by(Task.assignee_id)
        )
    }

    ids = [row.worker_id for row in figures]
    names = worker_names(ids)
    result = []
    for row in figures:
        who = names.get(row.worker_id, {})
        task_row = tasks.get(row.worker_id)
        median = medians.get(row.worker_id)
        result.append(
            {
                "worker_id": row.worker_id,
                "username": who.get("username"),
                "display_name": who.get("display_name"),
                "home_area_id": who.get("area_id"),
                "home_area_name": who.get("area_name"),
                "visits": int(row.visits),
                "households_reached": int(row.households_reached),
                "in_person_share": _rate(int(row.in_person or 0), int(row.visits)),
                "flagged_share": _rate(int(row.flagged or 0), int(row.visits)),
                "median_upload_delay_seconds": None if median is None else round(float(median)),
                "tasks_done": int(task_row.done or 0) if task_row else 0,
                "tasks_overdue": int(task_row.overdue or 0) if task_row else 0,
            }
        )
    result.sort(key=lambda w: (-w["visits"], w["worker_id"]))
    return {
        "area": area,
        "from": period.first,
        "to": period.last,
        "timezone": period.zone.key,
        "workers": result,
    }


def worker_names(ids: list[int]) -> dict[int, dict[str, Any]]:
    """Who the workers are, by id.

    A worker from another town who visited in the caller's area is outside the caller's
    scope of users; naming who made a visit the caller may see is part of that visit, so
    this lookup (of these ids only) looks past the scope.
    """
    if not ids:
        return {}
    rows = session.execute(
        select(User.id, User.username, User.display_name, User.area_id, Area.name)
        .join(Area, Area.id == User.area_id)
        .where(User.id.in_(ids))
        .execution_options(skip_scope=True)
    ).all()
    return {
        r[0]: {"username": r[1], "display_name": r[2], "area_id": r[3], "area_name": r[4]}
        for r in rows
    }
