"""Rescue-centre residents (admission, stay, discharge) and open-day events.

The rescue centre (县流浪乞讨人员救助安置中心) is a county-level body: a resident's
``area_id`` is the area of the centre that admitted them, normally the county (see
``api.rescue.centre.services.resident_area``). Residents are among the most vulnerable people
in the system: the table is ``RoleRestricted`` to rescue staff, supervisors and admins, so
no query (of any domain) shows a resident to an outreach worker.

Other domains read these columns:

- ``admitted_at`` / ``discharged_at``: a resident is in the centre from the first until the
  second (``None``: still there).
- ``encounter_id``: the patrol encounter the person was escorted from, if any (at most one
  resident per encounter); ``street_person_id`` the street person that encounter was
  linked to.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow
from api.mixins import AreaScoped, Audited, RoleRestricted
from api.rescue.roles import RESCUE_ROLES

# Who may see residents, their tracing cases and their photos (never outreach workers).
RESIDENT_ROLES = RESCUE_ROLES

ADMISSION_ROUTES = ("patrol_escort", "police", "hospital", "walk_in", "other")
DISCHARGE_REASONS = (
    "returned_home",
    "family_collected",
    "settled_locally",
    "transferred",
    "left",
    "died",
)
SEXES = ("male", "female", "unknown")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Resident(AreaScoped, RoleRestricted, Audited, Base):
    """A person sheltered by the rescue centre (受助人员), from admission to discharge."""

    __tablename__ = "residents"
    visible_to_roles: ClassVar[frozenset[str]] = RESIDENT_ROLES
    __table_args__ = (
        CheckConstraint(_in("admission_route", ADMISSION_ROUTES), name="admission_route"),
        CheckConstraint(
            f"discharge_reason IS NULL OR {_in('discharge_reason', DISCHARGE_REASONS)}",
            name="discharge_reason",
        ),
        CheckConstraint(_in("sex", SEXES), name="sex"),
        # A discharge has a reason, and never precedes the admission.
        CheckConstraint(
            "(discharged_at IS NULL AND discharge_reason IS NULL) OR "
            "(discharged_at IS NOT NULL AND discharge_reason IS NOT NULL)",
            name="discharge_complete",
        ),
        CheckConstraint(
            "discharged_at IS NULL OR discharged_at >= admitted_at",
            name="discharge_after_admission",
        ),
        Index("ix_residents_area_admitted_at", "area_id", "admitted_at"),
        Index("ix_residents_discharged_at", "discharged_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    # Set when created from a phone or tablet; resends replay (api.common.idempotency).
    client_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # Admission
    admitted_at: Mapped[datetime]
    admission_route: Mapped[str] = mapped_column(String(20))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"), unique=True)
    street_person_id: Mapped[int | None] = mapped_column(ForeignKey("street_people.id"), index=True)
    admission_notes: Mapped[str | None] = mapped_column(Text)
    # What the person said of themselves (自述), which may be little or nothing.
    stated_name: Mapped[str | None] = mapped_column(String(100))
    stated_home_place: Mapped[str | None] = mapped_column(String(255))
    dialect: Mapped[str | None] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(String(18), index=True)
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    estimated_birth_year: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    physical_marks: Mapped[str | None] = mapped_column(Text)
    health: Mapped[str | None] = mapped_column(Text)
    belongings: Mapped[list[Any]] = mapped_column(default=list)
    # Stay
    bed: Mapped[str | None] = mapped_column(String(40))
    # Discharge
    discharged_at: Mapped[datetime | None]
    discharge_reason: Mapped[str | None] = mapped_column(String(20))
    discharge_destination: Mapped[str | None] = mapped_column(String(255))
    discharge_notes: Mapped[str | None] = mapped_column(Text)
    discharged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def display_name(self) -> str:
        return self.stated_name or f"无名氏-{self.id}"


class OpenDayEvent(AreaScoped, Audited, Base):
    """An open day of the centre (the 6·19 开放日 by default): what happened, who came."""

    __tablename__ = "open_day_events"
    __table_args__ = (
        CheckConstraint("visitor_count IS NULL OR visitor_count >= 0", name="visitor_count"),
        Index("ix_open_day_events_area_held_on", "area_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    client_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    held_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str | None] = mapped_column(String(200))
    visitor_count: Mapped[int | None] = mapped_column(Integer)
    # [{"name": "县一中志愿者", "size": 30}]
    groups: Mapped[list[Any]] = mapped_column(default=list)
    activities: Mapped[list[Any]] = mapped_column(default=list)
    # [{"outlet": "翁源电视台", "title": "…", "url": "…", "published_on": "2024-06-20"}]
    media_coverage: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
