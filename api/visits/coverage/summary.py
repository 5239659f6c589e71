"""The coverage summary (``coverage_months``): a closed month's coverage figures per area,
so that a report of a whole month reads a few hundred rows instead of every focus
household and the month's visits.

What the rows are: the figures ``services.coverage`` computes for the period of one whole
local month that has ended, per area (households by where they live now, visits by where
they were made). A *closed* month (``coverage_closed_months``) is one the summary holds.

What keeps it right:

- Every household's *contribution* (its status in each closed month, in its current
  area, if it is a focus household; its visits' counts by area and month) depends only on
  its own row, focus groups and visits. A transaction that is about to change those calls
  ``touch(household_ids)`` first: the households are locked (``FOR UPDATE``, so two
  transactions writing the same household take turns) and their contribution is read;
  just before the commit it is read again and the difference is added to the rows
  (upserts with increments, so writers of different households in the same area and
  month add up). Callers: visits stored (``store_visits``, which both ``POST /visits`` and
  the batch use), a visit reviewed, a household created or edited (area, focus groups).
  There is no path that deletes visits or households, or moves a visit to another
  household; one added must touch the households it changes.
- A visit made after the last closed month's end changes no closed month, so the usual
  write (a visit of today) only takes a table lock and reads the closed months.
- Area moves change no row: rows are by area id, and reports find their areas by path.
- ``close_months`` (a recurring job, hourly) adds the months that have ended since, each
  computed from scratch. It holds ``EXCLUSIVE`` on ``coverage_months`` while it does, and
  ``touch`` takes ``ROW EXCLUSIVE`` before it reads anything, so a write either lands
  before the close reads (and the close counts it) or waits and then sees the new month.
- Months are local months of ``COUNTY_TIMEZONE`` and statuses use the ``REVISIT_DAYS_*``
  cadences; each closed month records them, and reports use the summary only while they
  are unchanged. After changing them, ``flask coverage rebuild``.
- Data written around the services (the bench generator's COPY, a restore, SQL by hand):
  ``flask coverage rebuild`` (the generator runs it at its end).

``tests/visits/coverage/test_summary.py`` makes random writes through the API and compares
the rows with a recomputation from scratch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import (
    Date,
    and_,
    case,
    delete,
    event,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from api.db import session as scoped
from api.db import utcnow
from api.visits.coverage.models import (
    SUMMARY_KEYS,
    CoverageClosedMonth,
    CoverageMonth,
)
from api.visits.models import Household, HouseholdFocusGroup, Visit

POVERTY_RETURN_MONITORING = "poverty_return_monitoring"
_KEPT = "coverage_summary_kept"
Figures = dict[tuple[date, int], list[int]]


@dataclass(frozen=True)
class Settings:
    """What a month's figures depend on besides the data."""

    zone: ZoneInfo
    monitored_days: int
    default_days: int


def settings() -> Settings:
    if has_app_context():
        config = current_app.config
    else:  # a migration run by Alembic alone
        from api.config import load_config

        config = load_config()
    return Settings(
        ZoneInfo(config["COUNTY_TIMEZONE"]),
        config["REVISIT_DAYS_POVERTY_RETURN_MONITORING"],
        config["REVISIT_DAYS_DEFAULT"],
    )


@dataclass(frozen=True)
class Month:
    """A local month ``[start, end)`` in UTC, with the cutoffs of its status as of its end."""

    first: date
    start: datetime
    end: datetime
    monitored_cutoff: datetime
    default_cutoff: datetime

    @classmethod
    def of(cls, first: date, how: Settings) -> Month:
        following = next_month(first)
        start = datetime.combine(first, time(0), how.zone).astimezone(UTC)
        end = datetime.combine(following, time(0), how.zone).astimezone(UTC)
        return cls(
            first,
            start,
            end,
            end - timedelta(days=how.monitored_days),
            end - timedelta(days=how.default_days),
        )


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def month_of(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date().replace(day=1)


def whole_month(first: date, last: date) -> date | None:
    """The month ``first``..``last`` is, if it is exactly one."""
    if first.day == 1 and next_month(first) - timedelta(days=1) == last:
        return first
    return None


# ---------------------------------------------------------------------------------------
# Contributions, from the raw tables


def _months_table(months: list[Month]) -> Any:
    at = Visit.__table__.c.visited_at.type
    rows = [
        select(
            literal(m.first, Date).label("month"),
            literal(m.start, at).label("start"),
            literal(m.end, at).label("end"),
            literal(m.monitored_cutoff, at).label("monitored_cutoff"),
            literal(m.default_cutoff, at).label("default_cutoff"),
        )
        for m in months
    ]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("months")


def contribution(
    db: Session | Connection, months: list[Month], household_ids: list[int] | None
) -> Figures:
    """The rows ``household_ids`` (None: every household) make in ``months``: the same
    figures as ``services.coverage`` for each whole month, per area."""
    figures: Figures = {}
    if not months or household_ids == []:
        return figures
    month = _months_table(months)

    # Households: the statuses of ``services.household_status`` with as of = the month's end.
    focus = select(
        HouseholdFocusGroup.household_id.label("household_id"),
        func.max(
            case((HouseholdFocusGroup.focus_group == POVERTY_RETURN_MONITORING, 1), else_=0)
        ).label("monitored"),
    ).group_by(HouseholdFocusGroup.household_id)
    if household_ids is not None:
        focus = focus.where(HouseholdFocusGroup.household_id.in_(household_ids))
    focus = focus.subquery("focus")
    last_visit = (
        select(func.max(Visit.visited_at))
        .where(Visit.household_id == focus.c.household_id, Visit.visited_at < month.c.end)
        .scalar_subquery()
    )
    in_person = exists().where(
        Visit.household_id == focus.c.household_id,
        Visit.visited_at >= month.c.start,
        Visit.visited_at < month.c.end,
        Visit.channel == "in_person",
    )
    each = (
        select(
            Household.area_id.label("area_id"),
            month.c.month,
            month.c.start,
            last_visit.label("last_visit"),
            case((in_person, 1), else_=0).label("in_person"),
            case(
                (focus.c.monitored == 1, month.c.monitored_cutoff), else_=month.c.default_cutoff
            ).label("cutoff"),
        )
        .select_from(focus)
        .join(Household, Household.id == focus.c.household_id)
        .join(month, true())
        .subquery("each")
    )
    last, start, cutoff = each.c.last_visit, each.c.start, each.c.cutoff
    statuses = (
        select(
            each.c.month,
            each.c.area_id,
            func.sum(case((last >= start, 1), else_=0)),
            func.sum(case((and_(last < cutoff, last < start), 1), else_=0)),
            func.sum(case((last.is_(None), 1), else_=0)),
            func.sum(case((and_(last < start, last >= cutoff), 1), else_=0)),
            func.sum(each.c.in_person),
        )
        .group_by(each.c.month, each.c.area_id)
        .execution_options(skip_scope=True)
    )
    for row in db.execute(statuses):
        figures[(row[0], row[1])] = [int(v or 0) for v in row[2:]] + [0, 0, 0, 0]

    # Visits: ``services._visit_figures`` by the area and month they were made in.
    flagged = Visit.presence_flagged.is_(True)
    visits = (
        select(
            month.c.month,
            Visit.area_id,
            func.count(),
            func.sum(case((Visit.channel == "in_person", 1), else_=0)),
            func.sum(case((flagged, 1), else_=0)),
            func.sum(case((and_(flagged, Visit.review_state == "pending"), 1), else_=0)),
        )
        .join(month, and_(Visit.visited_at >= month.c.start, Visit.visited_at < month.c.end))
        .group_by(month.c.month, Visit.area_id)
        .execution_options(skip_scope=True)
    )
    if household_ids is not None:
        visits = visits.where(Visit.household_id.in_(household_ids))
    for row in db.execute(visits):
        key = (row[0], row[1])
        figures.setdefault(key, [0] * len(SUMMARY_KEYS))[5:] = [int(v or 0) for v in row[2:]]
    return figures


def _add(db: Session | Connection, figures: Figures) -> None:
    """Add ``figures`` to the rows (creating missing ones), in key order: concurrent writers
    lock shared rows in the same order."""
    rows = [
        {"month": key[0], "area_id": key[1], **dict(zip(SUMMARY_KEYS, values, strict=True))}
        for key, values in sorted(figures.items())
        if any(values)
    ]
    if not rows:
        return
    upsert = postgresql.insert if _on_postgresql(db) else sqlite.insert
    stmt = upsert(CoverageMonth)
    table = CoverageMonth.__table__
    db.execute(
        stmt.on_conflict_do_update(
            index_elements=["month", "area_id"],
            set_={key: table.c[key] + stmt.excluded[key] for key in SUMMARY_KEYS},
        ),
        rows,
    )


# ---------------------------------------------------------------------------------------
# Kept by the write path


def _on_postgresql(db: Session | Connection) -> bool:
    bind = db.get_bind() if isinstance(db, Session) else db
    return bind.dialect.name == "postgresql"


@dataclass
class _Kept:
    months: list[Month]
    before: Figures
    households: set[int]


def _closed_months(db: Session, how: Settings) -> list[Month]:
    firsts = db.scalars(select(CoverageClosedMonth.month).order_by(CoverageClosedMonth.month))
    return [Month.of(first, how) for first in firsts]


def touch(household_ids: Iterable[int], since: datetime | None = None, new: bool = False) -> None:
    """Before changing these households (their row, focus groups or visits): keep the
    summary right at this transaction's commit. ``since``: the change is only visits made
    at or after this time. ``new``: households created in this transaction (they
    contributed nothing before it)."""
    db = scoped()
    kept: _Kept | None = db.info.get(_KEPT)
    if kept is None:
        if _on_postgresql(db):
            # Before anything is read: ``close_months`` holds EXCLUSIVE while it closes a
            # month, so this waits for it and then sees that month (see the docstring).
            db.execute(text("LOCK TABLE coverage_months IN ROW EXCLUSIVE MODE"))
        kept = _Kept(_closed_months(db, settings()), {}, set())
        db.info[_KEPT] = kept
    if not kept.months or (since is not None and since >= kept.months[-1].end):
        return
    ids = sorted(set(household_ids) - kept.households)
    if not ids:
        return
    kept.households.update(ids)
    if new:
        return
    db.execute(
        select(Household.id)
        .where(Household.id.in_(ids))
        .order_by(Household.id)
        .with_for_update()
        .execution_options(skip_scope=True)
    ).all()
    for key, values in contribution(db, kept.months, ids).items():
        before = kept.before.setdefault(key, [0] * len(SUMMARY_KEYS))
        kept.before[key] = [b + v for b, v in zip(before, values, strict=True)]


def apply_kept(db: Session) -> None:
    """Add the touched households' change of contribution to the rows (before the commit)."""
    kept: _Kept | None = db.info.pop(_KEPT, None)
    if kept is None or not kept.households:
        return
    db.flush()
    delta = contribution(db, kept.months, sorted(kept.households))
    for key, values in kept.before.items():
        after = delta.setdefault(key, [0] * len(SUMMARY_KEYS))
        delta[key] = [a - b for a, b in zip(after, values, strict=True)]
    _add(db, delta)


@event.listens_for(Session, "before_commit")
def _apply_before_commit(db: Session) -> None:
    if not db.in_nested_transaction():  # a savepoint's release: the transaction goes on
        apply_kept(db)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(db: Session, _previous: Any) -> None:
    if not db.in_transaction():
        db.info.pop(_KEPT, None)


# ---------------------------------------------------------------------------------------
# Closing months, rebuilding


def close_months(now: datetime | None = None, db: Session | Connection | None = None) -> int:
    """Add every month that has ended since the last closed one (from the first visit's
    month when none is), each computed from scratch; the number added. Recurring (hourly)."""
    db = db or scoped()
    how = settings()
    last = month_of(now or utcnow(), how.zone)  # the current month: not closed yet
    if _months_to_close(db, how, last) and _on_postgresql(db):
        db.execute(text("LOCK TABLE coverage_months IN EXCLUSIVE MODE"))
    months = _months_to_close(db, how, last)  # again, under the lock
    _add(db, contribution(db, months, None))
    if months:
        db.execute(
            insert(CoverageClosedMonth),
            [
                {
                    "month": month.first,
                    "timezone": how.zone.key,
                    "monitored_days": how.monitored_days,
                    "default_days": how.default_days,
                    "closed_at": utcnow(),
                }
                for month in months
            ],
        )
    return len(months)


def _months_to_close(db: Session | Connection, how: Settings, current: date) -> list[Month]:
    closed = db.scalar(select(func.max(CoverageClosedMonth.month)))
    if closed is not None:
        first = next_month(closed)
    else:
        first_visit = db.scalar(
            select(func.min(Visit.visited_at)).execution_options(skip_scope=True)
        )
        if first_visit is None:
            return []
        first = month_of(first_visit, how.zone)
    months = []
    while first < current:
        months.append(Month.of(first, how))
        first = next_month(first)
    return months


def rebuild(now: datetime | None = None, db: Session | Connection | None = None) -> int:
    """Recompute the whole summary from the raw tables; the number of months it holds."""
    db = db or scoped()
    if _on_postgresql(db):
        db.execute(text("LOCK TABLE coverage_months IN EXCLUSIVE MODE"))
    db.execute(delete(CoverageMonth))
    db.execute(delete(CoverageClosedMonth))
    return close_months(now, db)


def stored(db: Session | None = None) -> Figures:
    """The rows as stored (for checks against ``contribution(..., None)``)."""
    db = db or scoped()
    rows = db.execute(
        select(
            CoverageMonth.month,
            CoverageMonth.area_id,
            *[CoverageMonth.__table__.c[k] for k in SUMMARY_KEYS],
        ).execution_options(skip_scope=True)
    )
    return {(r[0], r[1]): [int(v) for v in r[2:]] for r in rows if any(r[2:])}


def closed_month(first: date, last: date, how: Settings) -> date | None:
    """The month the summary can answer ``first``..``last`` with, if any."""
    month = whole_month(first, last)
    if month is None:
        return None
    row = scoped.get(CoverageClosedMonth, month)
    if row is None or (row.timezone, row.monitored_days, row.default_days) != (
        how.zone.key,
        how.monitored_days,
        how.default_days,
    ):
        return None
    return month
