"""Leads: people the county must reach, and what came of reaching them.

A lead is a person in possible hardship whom the county has not yet reached: where they
are, whom it is about, how urgent, its status and outcome, and the register household it
turned out to be (``household_id``, a plain column like the tasks', so this branch does
not depend on the visits' tables). ``origin`` says where it came from: ``help_request``
(畅通求助渠道: the hotline, a town office, a village cadre, a grid worker, the public form
— ``channel``); ``data_matching`` (数据比对): a row of another department's list that
matched nobody in the register (``api.matching``), with ``channel`` empty.

``area_id`` is the routed area — the town of the reported village, else the county — and
``reported_area_id`` what the requester named. ``queue`` is whose queue it is in:
``town``, ``county`` (no town found) or ``rescue_centre`` (a person on the street; seen by
rescue staff, hidden from outreach workers). A lead's realm (``api.auth.realms``) follows
its queue — the rescue centre's queue is the rescue side's, every other the households'
— and the jurisdiction hook applies it (``RowRoleRestricted``), like a task's.

The public form's tracking code is stored only as a keyed hash (``tracking_code_hash``),
as is the submitting address (``submitter_hash``, for rate limits): neither can be read
back, and neither goes to the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, Index, String, Text, case
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.auth.realms import HOUSEHOLDS, RESCUE, realms_readable_by
from api.casework.leads.rules import response_status
from api.db import Base, utcnow
from api.mixins import AreaScoped, Audited, RowRoleRestricted

# data_matching: an unmatched row of another department's list (api.matching).
ORIGINS = ("help_request", "data_matching")
CHANNELS = ("hotline", "town_office", "village_cadre", "grid_worker", "online_form")
STAFF_CHANNELS = CHANNELS[:-1]
URGENCIES = ("urgent", "normal")
# What makes a request urgent (急难): the form offers these; any one of them is urgent.
URGENT_REASONS = ("no_food", "no_shelter", "sudden_illness", "violence", "other")
ABOUT = ("self", "other")
QUEUES = ("town", "county", "rescue_centre")
STATUSES = ("received", "assigned", "visited", "closed")
OUTCOMES = (
    "assistance_applied",  # helped to apply for dibao, marginal or hardship recognition
    "temporary_assistance_given",  # 临时救助 given
    "referred",  # to another department (outcome_detail names it)
    "not_eligible",  # outcome_detail says why
    "unreachable",  # could not be reached
)
# Outcomes that must say more in outcome_detail.
OUTCOMES_NEEDING_DETAIL = ("referred", "not_eligible")
CONTACT_KINDS = ("phone", "visit")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def realm_of_queue(queue: str) -> str:
    return RESCUE if queue == "rescue_centre" else HOUSEHOLDS


class Lead(AreaScoped, RowRoleRestricted, Audited, Base):
    """A person the county must reach (a help request, for now)."""

    __tablename__ = "leads"
    audit_exclude: ClassVar[frozenset[str]] = frozenset({"tracking_code_hash", "submitter_hash"})
    __table_args__ = (
        CheckConstraint(_in("origin", ORIGINS), name="origin"),
        CheckConstraint(f"channel IS NULL OR {_in('channel', CHANNELS)}", name="channel"),
        CheckConstraint(_in("urgency", URGENCIES), name="urgency"),
        CheckConstraint(_in("queue", QUEUES), name="queue"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', OUTCOMES)}", name="outcome"),
        Index("ix_leads_area_status", "area_id", "status"),
        Index("ix_leads_open_respond_by", "first_contact_at", "respond_by"),
        Index("ix_leads_phone_created", "requester_phone", "created_at"),
        Index("ix_leads_submitter_created", "submitter_hash", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(20), default="help_request")
    channel: Mapped[str | None] = mapped_column(String(20))
    # Who asked (personal data: masked in lists, see schemas).
    requester_name: Mapped[str | None] = mapped_column(String(50))
    requester_phone: Mapped[str | None] = mapped_column(String(20))
    # Whom it is about: the requester ("self") or another person (named if known).
    about: Mapped[str] = mapped_column(String(10), default="self")
    subject_name: Mapped[str | None] = mapped_column(String(50))
    about_street_person: Mapped[bool] = mapped_column(default=False)
    # Where: what was named, the free address, and the routed area.
    reported_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    queue: Mapped[str] = mapped_column(String(20), default="town")
    description: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    urgent_reasons: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="received")
    household_id: Mapped[int | None] = mapped_column(index=True)
    # The follow-up task the rules made for it.
    task_id: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # First contact is due by respond_by (urgent: 24 hours, normal: 5 days; settings).
    respond_by: Mapped[datetime]
    # When AT_RISK_SHARE of the time is gone (stored, so lists filter by status in SQL).
    at_risk_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    first_contact_at: Mapped[datetime | None]
    first_contact_kind: Mapped[str | None] = mapped_column(String(10))
    visited_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(30))
    # The department referred to, or why not eligible.
    outcome_detail: Mapped[str | None] = mapped_column(String(500))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    # Public form only: keyed hashes (services.keyed_hash), never readable back.
    tracking_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    submitter_hash: Mapped[str | None] = mapped_column(String(64))

    contacts: Mapped[list[LeadContact]] = relationship(
        order_by="LeadContact.id", cascade="all, delete-orphan", lazy="select"
    )

    @classmethod
    def rows_readable_by(cls, role: str | None) -> ColumnElement[bool]:
        realm = case((cls.queue == "rescue_centre", RESCUE), else_=HOUSEHOLDS)
        return realm.in_(realms_readable_by(role))

    @property
    def response_status(self) -> str:
        """on_track / at_risk / breached now (``rules.response_status``)."""
        return response_status(self.created_at, self.respond_by, self.first_contact_at, utcnow())


class LeadContact(Base):
    """A contact with the person (a call or a visit), reached only through its lead."""

    __tablename__ = "lead_contacts"
    __table_args__ = (CheckConstraint(_in("kind", CONTACT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    # A visit recorded in the visits domain, if the worker names it.
    visit_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeadLookupAttempt(Base):
    """A status lookup on the public form, kept to rate-limit guessing (keyed hashes only)."""

    __tablename__ = "lead_lookup_attempts"
    __table_args__ = (
        Index("ix_lead_lookup_attempts_submitter_at", "submitter_hash", "at"),
        Index("ix_lead_lookup_attempts_code_at", "code_hash", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    submitter_hash: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(default=False)
