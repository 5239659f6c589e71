"""The coverage summary: each closed local month's coverage figures per area, kept by the
write path (``api.visits.coverage.summary`` says what keeps it right)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow
from api.mixins import AreaScoped

# The figures a month's row holds, as ``services.coverage`` names them. focus_households is
# their household statuses' sum (each focus household has exactly one status).
STATUS_KEYS = ("visited", "overdue", "never_visited", "up_to_date")
SUMMARY_KEYS = (
    *STATUS_KEYS,
    "visited_in_person",
    "visits",
    "visits_in_person",
    "flagged_visits",
    "flagged_pending_review",
)


class CoverageMonth(AreaScoped, Base):
    """One area's figures for one closed month.

    Household figures count the focus households living in ``area_id`` now, with their
    status as of the month's end; visit figures count the visits made in ``area_id`` in the
    month. Read, like every area-scoped row, only through the caller's area subtree.
    """

    __tablename__ = "coverage_months"

    # First local day of the month; first in the key: a report reads one month's rows.
    month: Mapped[date] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    visited: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    never_visited: Mapped[int] = mapped_column(Integer, default=0)
    up_to_date: Mapped[int] = mapped_column(Integer, default=0)
    visited_in_person: Mapped[int] = mapped_column(Integer, default=0)
    visits: Mapped[int] = mapped_column(Integer, default=0)
    visits_in_person: Mapped[int] = mapped_column(Integer, default=0)
    flagged_visits: Mapped[int] = mapped_column(Integer, default=0)
    flagged_pending_review: Mapped[int] = mapped_column(Integer, default=0)


class CoverageClosedMonth(Base):
    """A month the summary holds, with the settings its figures were computed with: the
    summary answers for it only while the county's zone and cadences are still these."""

    __tablename__ = "coverage_closed_months"

    month: Mapped[date] = mapped_column(primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    monitored_days: Mapped[int] = mapped_column(Integer)
    default_days: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)
