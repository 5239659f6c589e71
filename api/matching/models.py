"""Sources, uploaded lists and their rows, warnings, review decisions.

- ``Source``: another department's list kind — its column mapping (``columns``: field ->
  header as the department writes it; ``attributes``: headers kept as they are), its
  encoding, and its warning rules (``rules``: data, see ``api.matching.rules``). Defined by
  admins; read by supervisors and admins.
- ``ListUpload``: one uploaded file of a source (``file_sha256`` unique per source: the
  same file is not imported twice), its job's status and progress.
- ``ListRow``: one row as it came (``raw``, purged after ``MATCHING_ROW_RETENTION_DAYS``)
  with what was read from it, why it is bad (``bad_reason``), and the match outcome,
  which outlives the purge. ``row_key_hash``/``content_hash`` tell a row seen unchanged in
  the source's previous list (no new warning); they are hashes, so a purged row keeps no
  ID number.
- ``EarlyWarning`` (预警): a rule fired on a row: level, reason, the household (matched
  rows) or the lead (unmatched rows) it is about, and the follow-up task (a lead's is the
  lead's own); it is handled when that task is done. Outreach workers of its area
  read it (``area_id``: the household's or the lead's routed area).
- ``ReviewDecision``: a supervisor's accept or reject of a proposed pair;
  ``RejectedPair``: (row key, member) never proposed again.

Lists, rows and sources are the supervisors' and admins' only (``RoleRestricted``): rows
describe people who may never have asked for help.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow
from api.mixins import AreaScoped, Audited, RoleRestricted

SOURCE_KINDS = (
    "medical_bills",  # 医保大额自付
    "unemployment",  # 失业登记
    "disability",  # 残疾人证
    "deaths",  # 死亡（殡葬、公安）
    "utility_arrears",  # 水电欠费
    "school_aid",  # 教育资助
    "other",
)
ENCODINGS = ("auto", "utf-8", "gbk", "gb18030")
# The fields a column mapping may name (``Source.columns`` keys).
MAPPED_FIELDS = (
    "name",
    "id_number",
    "birth_date",
    "sex",
    "address",
    "village_code",
    "village",
    "amount",
    "event_date",
)
LIST_STATUSES = ("queued", "running", "done", "failed")
ROW_STATUSES = ("bad", "matched", "review", "unmatched")
BAD_REASONS = (
    "missing_name",
    "unreadable_id_number",
    "unknown_village",
    "unreadable_text",
    "row_too_long",
    "bad_date",
    "bad_amount",
)
LEVELS = ("red", "orange", "yellow")
ACTIONS = ("visit", "review")
DECISIONS = ("accept", "reject")
SUPERVISORS = frozenset({"supervisor", "admin"})


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Source(AreaScoped, RoleRestricted, Audited, Base):
    """A department's list kind: mapping, encoding, warning rules."""

    __tablename__ = "matching_sources"
    visible_to_roles: ClassVar[frozenset[str]] = SUPERVISORS
    __table_args__ = (
        CheckConstraint(_in("kind", SOURCE_KINDS), name="kind"),
        CheckConstraint(_in("encoding", ENCODINGS), name="encoding"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    encoding: Mapped[str] = mapped_column(String(10), default="auto")
    # {field: header}; name is required.
    columns: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Headers kept as row attributes (a certificate's grade, a bill's hospital).
    attributes: Mapped[list[Any]] = mapped_column(default=list)
    rules: Mapped[list[Any]] = mapped_column(default=list)
    # Whether an unmatched row on which a rule fires becomes a lead (a death does not).
    unmatched_leads: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ListUpload(AreaScoped, RoleRestricted, Audited, Base):
    """One uploaded list of a source and its import's progress."""

    __tablename__ = "matching_lists"
    visible_to_roles: ClassVar[frozenset[str]] = SUPERVISORS
    audit_exclude: ClassVar[frozenset[str]] = frozenset(
        {"rows_done", "rows_bad", "rows_matched", "rows_review", "rows_unmatched"}
        | {"warnings_raised", "leads_made", "rows_per_second", "updated_at"}
    )
    __table_args__ = (
        CheckConstraint(_in("status", LIST_STATUSES), name="status"),
        UniqueConstraint("source_id", "file_sha256", name="source_file"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("matching_sources.id"), index=True)
    # The area the list covers: matched against the register of its subtree.
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(10))  # csv, xlsx
    encoding: Mapped[str | None] = mapped_column(String(10))
    file_sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_bad: Mapped[int] = mapped_column(default=0)
    rows_matched: Mapped[int] = mapped_column(default=0)
    rows_review: Mapped[int] = mapped_column(default=0)
    rows_unmatched: Mapped[int] = mapped_column(default=0)
    warnings_raised: Mapped[int] = mapped_column(default=0)
    leads_made: Mapped[int] = mapped_column(default=0)
    rows_per_second: Mapped[float | None]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Raw rows and the stored file removed (retention).
    purged_at: Mapped[datetime | None]


class ListRow(AreaScoped, RoleRestricted, Base):
    """One row of a list: what came, what was read, and its match outcome (``area_id``:
    its list's)."""

    __tablename__ = "matching_list_rows"
    visible_to_roles: ClassVar[frozenset[str]] = SUPERVISORS
    __table_args__ = (
        CheckConstraint(_in("status", ROW_STATUSES), name="status"),
        CheckConstraint(f"bad_reason IS NULL OR {_in('bad_reason', BAD_REASONS)}", name="bad"),
        UniqueConstraint("list_id", "row_no", name="list_row"),
        Index("ix_matching_list_rows_list_key", "list_id", "row_key_hash"),
        Index("ix_matching_list_rows_list_status", "list_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("matching_lists.id", ondelete="CASCADE"))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    # 1 = the first row under the header.
    row_no: Mapped[int]
    # Raw and read fields: personal data, purged after the retention period.
    raw: Mapped[dict[str, Any] | None] = mapped_column()
    name: Mapped[str | None] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(String(18))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(255))
    # The village or town the row's village code, village name or address resolved to.
    place_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    event_date: Mapped[date | None] = mapped_column(Date)
    attributes: Mapped[dict[str, Any] | None] = mapped_column()
    # Identity across the source's monthly lists, and the row's content (hashes).
    row_key_hash: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    unchanged: Mapped[bool] = mapped_column(default=False)
    bad_reason: Mapped[str | None] = mapped_column(String(30))
    # The outcome (kept after the purge).
    status: Mapped[str] = mapped_column(String(10))
    method: Mapped[str | None] = mapped_column(String(20))
    member_id: Mapped[int | None] = mapped_column(index=True)
    household_id: Mapped[int | None] = mapped_column(index=True)
    score: Mapped[float | None]
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    lead_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EarlyWarning(AreaScoped, RoleRestricted, Audited, Base):
    """A warning a source's rule raised on a row, and its follow-up."""

    __tablename__ = "matching_warnings"
    # The outreach workers go; supervisors see how it went. Rescue staff do not.
    visible_to_roles: ClassVar[frozenset[str]] = frozenset(
        {"outreach_worker", "supervisor", "admin"}
    )
    __table_args__ = (
        CheckConstraint(_in("level", LEVELS), name="level"),
        CheckConstraint(_in("action", ACTIONS), name="action"),
        UniqueConstraint("row_id", "rule_code", name="row_rule"),
        Index("ix_matching_warnings_area_created", "area_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("matching_lists.id"), index=True)
    row_id: Mapped[int] = mapped_column(ForeignKey("matching_list_rows.id"))
    source_id: Mapped[int] = mapped_column(ForeignKey("matching_sources.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    rule_code: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(10), default="visit")
    reason: Mapped[str] = mapped_column(Text)
    # Whom: a register person (matched) or a lead (unmatched); the name for the visit.
    subject_name: Mapped[str | None] = mapped_column(String(100))
    household_id: Mapped[int | None] = mapped_column(index=True)
    member_id: Mapped[int | None]
    lead_id: Mapped[int | None]
    task_id: Mapped[int | None]
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewDecision(AreaScoped, RoleRestricted, Audited, Base):
    """A supervisor's decision on a proposed pair (row, register member)."""

    __tablename__ = "matching_review_decisions"
    visible_to_roles: ClassVar[frozenset[str]] = SUPERVISORS
    __table_args__ = (CheckConstraint(_in("decision", DECISIONS), name="decision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    row_id: Mapped[int] = mapped_column(ForeignKey("matching_list_rows.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    member_id: Mapped[int]
    decision: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class RejectedPair(Base):
    """A (row key, member) pair a supervisor rejected: never proposed again."""

    __tablename__ = "matching_rejected_pairs"

    row_key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
