"""Follow-up tasks and their history.

A task names what it is about as ``(subject_kind, subject_id)`` (a household, a visit, a
photo, an encounter, a tracing case, a resident, another task), plus ``household_id``
where one is known, and what caused it as ``(source_kind, source_id)`` with the ``rule``
that fired. These are plain columns, not foreign keys, so tasks do not depend on the
other domains' tables (their branches migrate independently).

``realm`` (``api.auth.realms``) says who reads the task: the realm of its subject (a
household's or visit's task is the outreach workers', an encounter's, resident's or tracing
case's the rescue centre's; supervisors and admins read both), an escalation's that of the
task it escalates. Every path that makes a task sets it; the jurisdiction hook filters on it
(``RowRoleRestricted``), so lists, counts and exports follow it as ids do.

``dedup_key`` (rule + subject + occurrence, e.g. ``revisit:household:42:2026-03-15``) is
UNIQUE: a job that runs twice, or two workers racing, cannot create a task twice. Tasks
made by hand have no key.

The rules in ``ONE_OPEN_PER_HOUSEHOLD_RULES`` are about a household's need, not about one
visit: while such a task is open (or in progress) for a household, a later visit is noted
on it (``services.create_all``) instead of opening another. A partial UNIQUE index on
``(kind, household_id)`` over the active tasks of those rules keeps that true when two
workers race on visits of the same household.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.auth.realms import realms_readable_by
from api.common.sync_clock import SyncStamped
from api.db import Base, utcnow
from api.mixins import AreaScoped, Audited, RowRoleRestricted

TASK_KINDS = (
    "assist_application",  # help apply for dibao / marginal / expenditure-hardship recognition
    "temporary_assistance",  # 临时救助 for an urgent need
    "revisit",  # revisit a household under monitoring
    "presence_review",  # supervisor reviews a visit or photo flagged by presence checks
    "return_visit",  # go back to a vulnerable person who refused aid
    "hospital_checkup",  # check on a person sent to hospital
    "tracing_start",  # a long-stay resident's tracing case was opened: work it
    "tracing_review",  # a tracing case with no action for too long
    "help_request",  # contact a person who asked for help (api.casework.leads)
    "escalation",  # an overdue task, raised to the assignee's supervisor
    "duplicate_review",  # a possible duplicate across areas, for whoever sees both (rule-made)
    "warning_visit",  # visit a household a department's list warned about (api.matching)
    "warning_review",  # review a household's programme after a warning (a death on a list)
    "review_followup",  # a supervisor found issues with a visit or sent it back: its worker
    "other",  # made by hand
)
# The kinds a person decides on (what a rule would also make, when it sees the need).
_HUMAN_KINDS = frozenset(
    {
        "other",
        "revisit",
        "assist_application",
        "temporary_assistance",
        "return_visit",
        "hospital_checkup",
    }
)
# Which kinds each role may create by hand (POST /tasks). Every kind not listed for any
# role is made only by the rules: ``escalation``, ``presence_review``, ``tracing_start``,
# ``tracing_review`` (and any rule-made kind added later, which needs no entry here).
MANUAL_KINDS_BY_ROLE: dict[str, frozenset[str]] = {
    "outreach_worker": frozenset({"other", "revisit"}),
    "rescue_staff": frozenset({"other", "return_visit", "hospital_checkup"}),
    "supervisor": _HUMAN_KINDS,
    "admin": _HUMAN_KINDS,
}
# What a hand-made task of these kinds is about (its ``subject_kind``, or a
# ``household_id`` alone for a household): a revisit is of a household, a return visit or
# a check-up of a person the centre met. ``other`` may be about any record the creator
# sees, or about none.
MANUAL_KIND_SUBJECTS: dict[str, frozenset[str]] = {
    "revisit": frozenset({"household"}),
    "assist_application": frozenset({"household", "visit"}),
    "temporary_assistance": frozenset({"household", "visit"}),
    "return_visit": frozenset({"encounter", "person"}),
    "hospital_checkup": frozenset({"encounter", "person", "resident"}),
}
TASK_STATUSES = ("open", "in_progress", "done", "cancelled")
ACTIVE_STATUSES = ("open", "in_progress")
# Rules whose task stands for a household's need (help to apply, temporary assistance):
# one active task per household and kind, which later visits are noted on. A presence
# review stays one per flagged visit (each visit is judged on its own); a revisit is one
# per cadence period by its key and is closed by the visit it asked for.
ONE_OPEN_PER_HOUSEHOLD_RULES = ("visit_screening", "urgent_need")
# The rows the partial UNIQUE index covers (the same text in migration 0016).
ONE_OPEN_WHERE = "status IN ('open', 'in_progress') AND rule IN ('visit_screening', 'urgent_need')"
PRIORITIES = ("low", "normal", "high")
SUBJECT_KINDS = (
    "household",
    "visit",
    "photo",
    "encounter",
    "resident",
    "tracing_case",
    "task",
    "person",
    "lead",
    "warning",
)


class Task(AreaScoped, RowRoleRestricted, SyncStamped, Audited, Base):
    """A follow-up task: the next step after something was recorded. Stamped for the
    phones' delta sync (``api.field``)."""

    __tablename__ = "tasks"
    audit_exclude: ClassVar[frozenset[str]] = frozenset({"sync_version", "sync_xid"})
    __table_args__ = (
        CheckConstraint("status IN ('open', 'in_progress', 'done', 'cancelled')", name="status"),
        CheckConstraint("priority IN ('low', 'normal', 'high')", name="priority"),
        Index("ix_tasks_assignee_status_due", "assignee_id", "status", "due_on"),
        # realm: a reader's realms filter the open tasks of an area (coverage) index-only.
        Index(
            "ix_tasks_area_status_due", "area_id", "status", "due_on", postgresql_include=["realm"]
        ),
        Index("ix_tasks_subject", "subject_kind", "subject_id"),
        Index(
            "uq_tasks_one_open_per_household",
            "kind",
            "household_id",
            unique=True,
            postgresql_where=text(ONE_OPEN_WHERE),
            sqlite_where=text(ONE_OPEN_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # Why the task exists, in words a worker reads.
    reason: Mapped[str | None] = mapped_column(Text)
    # The rule that made it ("manual" for tasks made by hand) and the record that caused it.
    rule: Mapped[str] = mapped_column(String(40), default="manual")
    source_kind: Mapped[str | None] = mapped_column(String(20))
    source_id: Mapped[int | None]
    subject_kind: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[int | None]
    household_id: Mapped[int | None] = mapped_column(index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    # Who reads the task (api.auth.realms). No default: a path that forgot it fails.
    realm: Mapped[str] = mapped_column(String(20))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # An escalation names the task it escalates.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    status: Mapped[str] = mapped_column(String(12), default="open")
    outcome_note: Mapped[str | None] = mapped_column(Text)
    # Rule-specific facts (the last visit a revisit counts from, the screening result...).
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]

    history: Mapped[list[TaskHistory]] = relationship(
        order_by="TaskHistory.id", cascade="all, delete-orphan", lazy="select"
    )

    @classmethod
    def rows_readable_by(cls, role: str | None) -> ColumnElement[bool]:
        return cls.realm.in_(realms_readable_by(role))

    @property
    def source(self) -> dict[str, Any]:
        return {"rule": self.rule, "kind": self.source_kind, "id": self.source_id}

    @property
    def subject(self) -> dict[str, Any]:
        return {"kind": self.subject_kind, "id": self.subject_id}


class TaskHistory(Base):
    """One change of a task (reached only through its task)."""

    __tablename__ = "task_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # None: the system (a rule, a job).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    # {field: {"old": ..., "new": ...}}
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)
