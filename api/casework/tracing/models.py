"""Family-tracing cases (大爱寻亲，温暖回家), their status history, actions and leads.

A case belongs to one resident and carries the resident's ``area_id``; all four tables are
``RoleRestricted`` like residents (rescue staff, supervisors, admins only). At most one case
per resident is open at a time: a partial unique index on ``resident_id`` over the open
statuses enforces it on PostgreSQL and SQLite alike (``services.ensure_open_case`` relies on
it). ``last_activity_on`` is the local date of the latest action (or of the opening), kept
up to date by the services, so "no action for N days" is one indexed comparison.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.casework.tracing.rules import OPEN_STATUSES, STATUSES
from api.db import Base, utcnow
from api.mixins import AreaScoped, Audited, RoleRestricted
from api.rescue.centre.models import RESIDENT_ROLES, Resident

ACTION_KINDS = (
    "dna_sample_taken",
    "dna_match_requested",
    "police_database_check",
    "face_comparison",
    "media_appeal",
    "phone_call",
    "field_trip",
    "document_check",
    "other",
)
LEAD_STATUSES = ("new", "checking", "confirmed", "ruled_out")
REUNION_KINDS = ("family_collected", "returned_home")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


_OPEN = _in("status", OPEN_STATUSES)


class TracingCase(AreaScoped, RoleRestricted, Audited, Base):
    """The search for one resident's family, from opening to its outcome."""

    __tablename__ = "tracing_cases"
    visible_to_roles: ClassVar[frozenset[str]] = RESIDENT_ROLES
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(
            f"reunion_kind IS NULL OR {_in('reunion_kind', REUNION_KINDS)}", name="reunion_kind"
        ),
        # At most one open case per resident (ensure_open_case relies on this).
        Index(
            "uq_tracing_cases_open_resident",
            "resident_id",
            unique=True,
            postgresql_where=text(_OPEN),
            sqlite_where=text(_OPEN),
        ),
        Index("ix_tracing_cases_status_last_activity", "status", "last_activity_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Why it was opened: "manual", or "long_stay" when the follow-up job opened it.
    opened_reason: Mapped[str] = mapped_column(String(40), default="manual")
    summary: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_on: Mapped[date] = mapped_column(Date)
    # Outcome (set with a final status)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reunion_kind: Mapped[str | None] = mapped_column(String(20))
    collected_by: Mapped[str | None] = mapped_column(String(200))
    collector_relationship: Mapped[str | None] = mapped_column(String(100))
    destination: Mapped[str | None] = mapped_column(String(255))
    settled_place: Mapped[str | None] = mapped_column(String(255))
    settlement_programme: Mapped[str | None] = mapped_column(String(200))
    outcome_notes: Mapped[str | None] = mapped_column(Text)

    resident: Mapped[Resident] = relationship(lazy="joined", innerjoin=True)
    history: Mapped[list[TracingStatusChange]] = relationship(
        order_by="TracingStatusChange.id", lazy="selectin", viewonly=True
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TracingStatusChange(AreaScoped, RoleRestricted, Base):
    """Who moved a case from which status to which, when and why (the first row opens it)."""

    __tablename__ = "tracing_status_changes"
    visible_to_roles: ClassVar[frozenset[str]] = RESIDENT_ROLES

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("tracing_cases.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class TracingAction(AreaScoped, RoleRestricted, Audited, Base):
    """One step of the search: a DNA sample, a police database check, a media appeal…"""

    __tablename__ = "tracing_actions"
    visible_to_roles: ClassVar[frozenset[str]] = RESIDENT_ROLES
    __table_args__ = (
        CheckConstraint(_in("kind", ACTION_KINDS), name="kind"),
        CheckConstraint(
            "kind <> 'media_appeal' OR published_in IS NOT NULL", name="media_appeal_where"
        ),
        Index("ix_tracing_actions_case_performed_on", "case_id", "performed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("tracing_cases.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    client_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(30))
    performed_on: Mapped[date] = mapped_column(Date)
    performed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    details: Mapped[str] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)
    # Where a media appeal was published (寻亲公告: newspaper, 头条寻亲, TV…).
    published_in: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TracingLead(AreaScoped, RoleRestricted, Audited, Base):
    """A possible home place or family, with contact details and how checking it went."""

    __tablename__ = "tracing_leads"
    visible_to_roles: ClassVar[frozenset[str]] = RESIDENT_ROLES
    __table_args__ = (CheckConstraint(_in("status", LEAD_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("tracing_cases.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(255))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    relation_to_resident: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="new")
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
