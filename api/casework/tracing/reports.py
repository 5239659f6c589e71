"""Tracing reports, in the county's zone.

- ``open_cases_report(as_of)``: the cases open at the end of ``as_of``, by status and by
  days open. Statuses are read from each case's history, so a past date gives the picture
  of that day, not of today.
- ``outcomes_report(date_from, date_to, year_start)``: reunions and local settlements by
  the month and by the campaign year of their outcome date. A campaign year starts on
  ``year_start`` (month, day) — 1 January by default, which makes it the calendar year; the
  endpoint takes ``?campaign_year_start=MM-DD`` — and is named by the year it starts in.
- ``long_stay_count(as_of, threshold_days)``: long-stay residents on a date.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from api.casework.tracing.models import TracingCase, TracingStatusChange
from api.casework.tracing.rules import OPEN_STATUSES, OUTCOME_STATUSES
from api.common.county_time import local_date, local_midnight
from api.db import session
from api.rescue.centre.services import long_stayers

# (label, lowest days open, highest days open or None)
DAYS_OPEN_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-29", 0, 29),
    ("30-89", 30, 89),
    ("90-179", 90, 179),
    ("180-364", 180, 364),
    ("365+", 365, None),
)


def _bucket(days: int) -> str:
    for label, low, high in DAYS_OPEN_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return DAYS_OPEN_BUCKETS[0][0]


def open_cases_report(as_of: date) -> dict[str, Any]:
    end = local_midnight(as_of + timedelta(days=1))
    cases = list(session.scalars(select(TracingCase).where(TracingCase.opened_at < end)))
    status_at: dict[int, str] = {}
    if cases:
        changes = session.execute(
            select(TracingStatusChange.case_id, TracingStatusChange.to_status)
            .where(
                TracingStatusChange.case_id.in_([c.id for c in cases]),
                TracingStatusChange.changed_at < end,
            )
            .order_by(TracingStatusChange.changed_at, TracingStatusChange.id)
        ).all()
        for case_id, to_status in changes:
            status_at[case_id] = to_status
    by_status = dict.fromkeys(OPEN_STATUSES, 0)
    by_days = dict.fromkeys((label for label, _, _ in DAYS_OPEN_BUCKETS), 0)
    for case in cases:
        status = status_at.get(case.id, "open")
        if status not in OPEN_STATUSES:
            continue
        by_status[status] += 1
        by_days[_bucket((as_of - local_date(case.opened_at)).days)] += 1
    return {
        "as_of": as_of,
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_days_open": [{"days_open": label, "count": n} for label, n in by_days.items()],
    }


def campaign_year_of(day: date, year_start: tuple[int, int]) -> int:
    month, dom = year_start
    return day.year if (day.month, day.day) >= (month, dom) else day.year - 1


def _campaign_year_bounds(year: int, year_start: tuple[int, int]) -> tuple[date, date]:
    month, dom = year_start
    starts = date(year, month, dom)
    return starts, date(year + 1, month, dom) - timedelta(days=1)


def _months(date_from: date, date_to: date) -> list[str]:
    months, year, month = [], date_from.year, date_from.month
    while (year, month) <= (date_to.year, date_to.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def outcomes_report(
    date_from: date, date_to: date, year_start: tuple[int, int] = (1, 1)
) -> dict[str, Any]:
    rows = session.execute(
        select(TracingCase.status, TracingCase.closed_at).where(
            TracingCase.status.in_(OUTCOME_STATUSES),
            TracingCase.closed_at >= local_midnight(date_from),
            TracingCase.closed_at < local_midnight(date_to + timedelta(days=1)),
        )
    ).all()
    by_month: dict[str, Counter] = {m: Counter() for m in _months(date_from, date_to)}
    first_year = campaign_year_of(date_from, year_start)
    last_year = campaign_year_of(date_to, year_start)
    by_year: dict[int, Counter] = {y: Counter() for y in range(first_year, last_year + 1)}
    totals: Counter = Counter()
    for status, closed_at in rows:
        day = local_date(closed_at)
        by_month[f"{day.year:04d}-{day.month:02d}"][status] += 1
        by_year[campaign_year_of(day, year_start)][status] += 1
        totals[status] += 1
    return {
        "date_from": date_from,
        "date_to": date_to,
        "totals": {s: totals[s] for s in OUTCOME_STATUSES},
        "by_month": [
            {"month": m, **{s: c[s] for s in OUTCOME_STATUSES}} for m, c in by_month.items()
        ],
        "by_campaign_year": [
            {
                "campaign_year": y,
                "starts_on": _campaign_year_bounds(y, year_start)[0].isoformat(),
                "ends_on": _campaign_year_bounds(y, year_start)[1].isoformat(),
                **{s: c[s] for s in OUTCOME_STATUSES},
            }
            for y, c in by_year.items()
        ],
    }


def long_stay_count(as_of: date, threshold_days: int) -> int:
    return len(long_stayers(as_of, threshold_days))


def parse_year_start(value: str) -> tuple[int, int]:
    """``"MM-DD"`` as (month, day); ValueError if it is no day of the year."""
    month, _, day = value.partition("-")
    parsed = (int(month), int(day))
    date(2001, *parsed)  # raises on 02-30 and the like (not a leap year: no 02-29 either)
    return parsed
