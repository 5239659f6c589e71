"""Households, their members, focus groups and programmes; home visits and their reviews;
programme standards; likely-duplicate flags.

Other domains read these tables (follow-up rules, coverage reports), so the columns are
plain and named for what they hold:

- ``Household.area_id`` is the household's current village; ``Visit.area_id`` is the
  household's village at the time of the visit.
- Focus groups and programmes are rows of ``household_focus_groups`` and
  ``household_programmes`` (indexed by value then household), so "households in focus
  group X within an area subtree" is an index lookup on both back ends.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy import text as sql_text
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from api.common.sync_clock import SyncStamped
from api.db import Base, utcnow
from api.mixins import AreaScoped, Audited
from api.visits.people import HEAD, RELATIONS

FOCUS_GROUPS = (
    "unemployed",
    "flexible_employment",
    "low_income_marginal",
    "poverty_return_monitoring",
    "not_yet_eligible_in_difficulty",
    "insufficient_after_aid",
)
PROGRAMMES = (
    "dibao",
    "extreme_poverty",
    "marginal",
    "expenditure_hardship",
    "temporary_assistance",
)
URBAN_RURAL = ("urban", "rural")
CHANNELS = ("in_person", "phone", "video")
REVIEW_STATES = ("pending", "approved", "has_issues", "rejected")
SCREENING_RESULTS = ("likely_dibao", "likely_marginal", "likely_expenditure_hardship", "none")
DUPLICATE_REASONS = ("same_id_number", "same_head_name_in_village")
# What migration 0018 could not carry over as it was (RegisterReconciliation.problem).
RECONCILIATION_PROBLEMS = (
    "head_member_differs",
    "head_member_created",
    "several_heads",
    "unknown_relation",
    "invalid_id_number",
    "sex_disagrees_with_id",
    "birth_year_disagrees_with_id",
)
_ONE_HEAD = sql_text(f"relation = '{HEAD}'")


class HouseholdFocusGroup(Base):
    __tablename__ = "household_focus_groups"
    __table_args__ = (
        Index("ix_household_focus_groups_group_household", "focus_group", "household_id"),
    )

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    focus_group: Mapped[str] = mapped_column(String(40), primary_key=True)


class HouseholdProgramme(Base):
    __tablename__ = "household_programmes"
    __table_args__ = (
        Index("ix_household_programmes_programme_household", "programme", "household_id"),
    )

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    programme: Mapped[str] = mapped_column(String(40), primary_key=True)


# A member's own fields: what a household's members are written from and listed with.
MEMBER_FIELDS = (
    "name",
    "relation",
    "sex",
    "birth_date",
    "birth_year",
    "id_number",
    "health",
    "work_status",
)


class HouseholdMember(Base):
    """A person of a household (reached only through its household).

    ``relation`` is a code of ``api.visits.people.RELATIONS``; the member whose relation is
    ``head`` is the household's head, and a household has at most one (the index below;
    the services require exactly one). With a valid ``id_number``, ``sex`` and
    ``birth_date`` are the number's (``api.visits.people``) and ``birth_year`` is the
    birth date's year; without one they are as typed.
    """

    __tablename__ = "household_members"
    __table_args__ = (
        CheckConstraint(
            "relation IN (" + ", ".join(f"'{code}'" for code in RELATIONS) + ")",
            name="relation",
        ),
        Index(
            "uq_household_members_one_head",
            "household_id",
            unique=True,
            postgresql_where=_ONE_HEAD,
            sqlite_where=_ONE_HEAD,
        ),
        # Search by the start of a name (LIKE 'q%') within the caller's areas; see
        # api/visits/search.py.
        Index(
            "ix_household_members_area_name_prefix",
            "area_id",
            "name",
            postgresql_ops={"name": "varchar_pattern_ops"},
            postgresql_include=["household_id"],
        ),
    )
    # Not audited in the members list: it is the household's area_id, audited there.
    audit_exclude: ClassVar[frozenset[str]] = frozenset({"area_id"})

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    # The household's area, copied so that a name search starts from the caller's areas
    # rather than from every same-named person of the province. Kept on every flush
    # (``_members_follow_their_household``); ``flask households copy-member-areas``
    # rewrites it from the households (bench data loaded by COPY, a repair).
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100))
    relation: Mapped[str] = mapped_column(String(40))
    sex: Mapped[str | None] = mapped_column(String(10))
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_year: Mapped[int | None]
    id_number: Mapped[str | None] = mapped_column(String(18), index=True)
    health: Mapped[str | None] = mapped_column(String(200))
    work_status: Mapped[str | None] = mapped_column(String(100))


class Household(AreaScoped, SyncStamped, Audited, Base):
    """A household on the register (户). Stamped for the phones' delta sync (``api.field``)."""

    __tablename__ = "households"
    audit_exclude: ClassVar[frozenset[str]] = frozenset({"sync_version", "sync_xid"})
    audit_collections: ClassVar[dict[str, str]] = {
        "members": "members",
        "focus_group_rows": "focus_groups",
        "programme_rows": "programmes",
    }
    __table_args__ = (
        CheckConstraint("urban_rural IN ('urban', 'rural')", name="urban_rural"),
        Index("ix_households_area_head_name", "area_id", "head_name"),
        # Search by the start of a name (LIKE 'q%') within the caller's areas; see
        # api/visits/search.py.
        Index(
            "ix_households_area_head_name_prefix",
            "area_id",
            "head_name",
            postgresql_ops={"head_name": "varchar_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    address: Mapped[str] = mapped_column(String(255))
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=True)
    urban_rural: Mapped[str] = mapped_column(String(5))
    # The head member's name and ID number, copied for the indexes that search, flag
    # duplicates and export by them; written only from the head member
    # (``services.copy_head``), never from input. The head is the member (``head``).
    head_name: Mapped[str] = mapped_column(String(100))
    head_id_number: Mapped[str | None] = mapped_column(String(18), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    # Set when the household was created from a phone (a visit's new_household).
    client_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The latest visited_at of its visits, kept by the visit write path
    # (services.note_visits) so that coverage need not aggregate every visit.
    last_visited_at: Mapped[datetime | None]

    members: Mapped[list[HouseholdMember]] = relationship(
        order_by=HouseholdMember.position,
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    focus_group_rows: Mapped[list[HouseholdFocusGroup]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    programme_rows: Mapped[list[HouseholdProgramme]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    duplicate_flags: Mapped[list[DuplicateFlag]] = relationship(
        primaryjoin="Household.id == DuplicateFlag.household_id",
        order_by="DuplicateFlag.id",
        viewonly=True,
        lazy="selectin",
    )
    focus_groups: AssociationProxy[list[str]] = association_proxy(
        "focus_group_rows",
        "focus_group",
        creator=lambda value: HouseholdFocusGroup(focus_group=value),
    )
    programmes: AssociationProxy[list[str]] = association_proxy(
        "programme_rows", "programme", creator=lambda value: HouseholdProgramme(programme=value)
    )

    @property
    def head(self) -> HouseholdMember | None:
        """The member whose relation is ``head`` (read from the loaded members)."""
        return next((m for m in self.members if m.relation == HEAD), None)


# What the map layer and coverage read of a visit besides its location and area: the
# period indexes below include them, so that both are index-only scans.
REPORTED_COLUMNS = (
    "household_id",
    "worker_id",
    "channel",
    "review_state",
    "presence_flagged",
    "presence_distance_m",
    "presence_reasons",
)


@event.listens_for(Session, "before_flush")
def _members_follow_their_household(db_session: Session, _context: Any, _instances: Any) -> None:
    """Each member's ``area_id`` is its household's: set on the members of a household
    that is new or moved, and on members added to a household (its loaded list)."""
    for household in list(db_session.new) + list(db_session.dirty):
        if not isinstance(household, Household):
            continue
        state = inspect(household)
        moved = household.id is None or state.attrs.area_id.history.has_changes()
        if moved or "members" in state.dict:
            for member in household.members:
                if member.area_id != household.area_id:
                    member.area_id = household.area_id


class Visit(AreaScoped, Audited, Base):
    """A home visit (入户走访) recorded by a worker, often from an offline phone."""

    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint("channel IN ('in_person', 'phone', 'video')", name="channel"),
        CheckConstraint(
            "review_state IN ('pending', 'approved', 'has_issues', 'rejected')",
            name="review_state",
        ),
        Index("ix_visits_household_visited_at", "household_id", "visited_at"),
        # An area's visits of a period (map layer, coverage of a county or a town): led by
        # the area so that a county's month stays county-sized on a province, and on
        # PostgreSQL holding the columns those read, as ix_visits_period below.
        Index(
            "ix_visits_area_period",
            "area_id",
            "visited_at",
            "id",
            postgresql_include=["location", *REPORTED_COLUMNS],
        ),
        # A period of visits (map layer, coverage, exports): ordered by time, and on
        # PostgreSQL holding every column the map layer and coverage read, so that both
        # are index-only scans instead of one table page per visit.
        Index(
            "ix_visits_period",
            "visited_at",
            "id",
            postgresql_include=["location", "area_id", *REPORTED_COLUMNS],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    # household_id and area_id: indexed by the (…, visited_at) indexes above.
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    visited_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=True)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    # The coordinate system the phone sent (wgs84, gcj02, bd09); location is always WGS-84.
    source_crs: Mapped[str] = mapped_column(String(8), default="wgs84")
    findings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    needs: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    # True when this visit brought its household into the register (new_household).
    created_household: Mapped[bool] = mapped_column(Boolean, default=False)
    # Screening: a suggestion for follow-up, never a decision.
    screening_result: Mapped[str | None] = mapped_column(String(40), index=True)
    screening: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # Presence check (in-person visits only).
    presence_flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    presence_distance_m: Mapped[float | None] = mapped_column(Float)
    presence_reasons: Mapped[list[Any]] = mapped_column(default=list)
    review_state: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]

    household: Mapped[Household] = relationship()
    reviews: Mapped[list[VisitReview]] = relationship(
        order_by="VisitReview.id", cascade="all, delete-orphan", lazy="selectin"
    )


class VisitReview(Base):
    """One supervisor review of a visit; the visit keeps the latest, this the history."""

    __tablename__ = "visit_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(12))
    comment: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ProgrammeStandard(AreaScoped, Audited, Base):
    """A programme's monthly per-person figure for an area, valid over a date range.

    Screening takes the standard in force on the visit's date for the nearest ancestor
    area (the household's village, then its town, then the county) that has one.
    """

    __tablename__ = "programme_standards"
    __table_args__ = (
        CheckConstraint("urban_rural IN ('urban', 'rural')", name="urban_rural"),
        Index("ix_programme_standards_lookup", "programme", "urban_rural", "area_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    programme: Mapped[str] = mapped_column(String(40))
    urban_rural: Mapped[str] = mapped_column(String(5))
    monthly_amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    valid_from: Mapped[date] = mapped_column(Date)
    # Inclusive last day; None while in force.
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DuplicateFlag(AreaScoped, Base):
    """Two households that look like the same one; flagged for a person to decide.

    ``area_id`` is the flagged household's; the other household may lie anywhere (a
    person on two towns' rolls), so a flag is shown in full only to a caller who sees
    both households (``api.visits.services.mark_visible``).
    """

    __tablename__ = "household_duplicate_flags"
    __table_args__ = (UniqueConstraint("household_id", "other_household_id", "reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    other_household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Not a column: which of the two households the caller may see, set by
    # ``services.mark_visible`` before the flag is shown. Empty until then, so a flag shown
    # unmarked names neither household.
    visible_ids: frozenset[int] = frozenset()


class RegisterReconciliation(AreaScoped, Base):
    """Something migration 0018 (the register's people) could not carry over as it was:
    a household whose head fields and 户主 member disagreed, a relation word of no known
    meaning, an ID number that disagrees with the typed sex or birth year… One row per
    finding, for a person to check (``flask households reconcile-report``)."""

    __tablename__ = "register_reconciliations"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("household_members.id", ondelete="SET NULL")
    )
    problem: Mapped[str] = mapped_column(String(40))
    # What was found and what was done, ID numbers masked.
    detail: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
