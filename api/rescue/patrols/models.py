"""Campaigns, patrols and their GPS tracks, encounters with people on the street, and the
street people those encounters are linked to.

Other domains read these tables (the supervisors' map, follow-up tasks, centre admissions),
so the columns are plain and named for what they hold:

- ``Patrol.route`` is the drawn route (a LineString of the plausible track points in time
  order, NULL with fewer than two), ``Patrol.route_length_m`` its length in metres.
- ``TrackPoint.used_in_route`` says whether the point is part of the drawn route;
  ``excluded_reason`` says why not (``poor_accuracy``, ``implausible_speed``).
- ``Encounter.aid`` is a list of ``{"kind": ..., "quantity": ...}``; ``vulnerable`` is true
  when ``vulnerability_kinds`` is not empty (or staff said so).
- ``Encounter.street_person_id`` links sightings of one person, so campaigns count people.
"""

from __future__ import annotations

from datetime import date, datetime
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
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.auth.models import User
from api.db import Base, utcnow
from api.mixins import AreaScoped, Audited, RoleRestricted
from api.rescue.roles import RESCUE_ROLES

CAMPAIGN_KINDS = ("summer_cooling", "winter_warmth", "other")
PATROL_MODES = ("vehicle", "on_foot")
AID_KINDS = (
    "water",
    "food",
    "hot_meal",
    "quilt",
    "clothing",
    "medicine",
    "heat_relief",
    "cash",
    "other",
)
OUTCOMES = (
    "accepted_aid",
    "refused_aid",
    "escorted_to_centre",
    "sent_to_hospital",
    "handed_to_police",
    "returned_home",
    "referred_to_town",
)
VULNERABILITY_KINDS = (
    "minor",
    "elderly",
    "disabled",
    "mentally_ill",
    "heat_danger",
    "cold_danger",
)
SEXES = ("male", "female", "unknown")
EXCLUSION_REASONS = ("poor_accuracy", "implausible_speed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Campaign(AreaScoped, Audited, Base):
    """夏季送清凉 / 寒冬送温暖 (or another drive): dates, the area covered, supplies planned."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(_in("kind", CAMPAIGN_KINDS), name="kind"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
        Index("ix_campaigns_kind_starts_on", "kind", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    # {"water": 2000, "quilt": 300, ...}: aid kind -> planned quantity
    supplies_planned: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PatrolMember(Base):
    __tablename__ = "patrol_members"

    patrol_id: Mapped[int] = mapped_column(
        ForeignKey("patrols.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)

    user: Mapped[User] = relationship(lazy="joined")


class Patrol(AreaScoped, Audited, Base):
    """One team's outing: who, how, when, and the route drawn from its track."""

    __tablename__ = "patrols"
    __table_args__ = (
        CheckConstraint(_in("mode", PATROL_MODES), name="mode"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="times"),
        Index("ix_patrols_campaign_started", "campaign_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    mode: Mapped[str] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    summary: Mapped[str | None] = mapped_column(Text)
    # Rewritten whole by each batch of points: stored uncompressed on PostgreSQL (migration
    # 0028), where an attempt to compress it cost more than the rest of its update.
    route = mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=True), nullable=True)
    route_length_m: Mapped[float] = mapped_column(Float, default=0.0)
    point_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign | None] = relationship()
    members: Mapped[list[PatrolMember]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=PatrolMember.user_id
    )

    @property
    def team_members(self) -> list[User]:
        return [member.user for member in self.members]

    @property
    def team_ids(self) -> list[int]:
        return [member.user_id for member in self.members]

    # Audit entries stay small: the route is derived from the track.
    audit_exclude = frozenset({"route"})


class TrackPoint(Base):
    """A GPS fix of a patrol's phone. Reached only through its (scoped) patrol."""

    __tablename__ = "track_points"
    __table_args__ = (
        UniqueConstraint("patrol_id", "recorded_at"),
        CheckConstraint(
            "excluded_reason IS NULL OR " + _in("excluded_reason", EXCLUSION_REASONS),
            name="excluded_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Must name a patrol; deleting the patrol deletes its points. A foreign key on SQLite;
    # on PostgreSQL triggers checking each statement's patrols at once (migration 0028: a
    # key checks each of a batch's thousand points on its own).
    patrol_id: Mapped[int]
    recorded_at: Mapped[datetime]
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    used_in_route: Mapped[bool] = mapped_column(Boolean, default=True)
    excluded_reason: Mapped[str | None] = mapped_column(String(20))


class StreetPerson(AreaScoped, RoleRestricted, Audited, Base):
    """Someone met on the street, known by an alias until they give a name. Hidden from
    roles outside ``RESCUE_ROLES`` in every query (``api.rescue.roles``)."""

    __tablename__ = "street_people"
    visible_to_roles: ClassVar[frozenset[str]] = RESCUE_ROLES
    __table_args__ = (CheckConstraint(_in("sex", SEXES), name="sex"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alias: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(100))
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    approximate_age: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    first_seen_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Encounter(AreaScoped, RoleRestricted, Audited, Base):
    """A person met on a patrol: where, when, what they looked like, help given, outcome.
    Hidden from roles outside ``RESCUE_ROLES`` in every query (``api.rescue.roles``): an
    encounter may name the person, and leads to a resident."""

    __tablename__ = "encounters"
    visible_to_roles: ClassVar[frozenset[str]] = RESCUE_ROLES
    __table_args__ = (
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),
        CheckConstraint(_in("sex", SEXES), name="sex"),
        Index("ix_encounters_patrol_occurred", "patrol_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrols.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    approximate_age: Mapped[int | None] = mapped_column(Integer)
    clothing: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(100))
    condition: Mapped[str | None] = mapped_column(Text)
    gave_name: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str | None] = mapped_column(String(100))
    vulnerable: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    vulnerability_kinds: Mapped[list[str]] = mapped_column(default=list)
    # [{"kind": "water", "quantity": 2}, ...]
    aid: Mapped[list[Any]] = mapped_column(default=list)
    outcome: Mapped[str] = mapped_column(String(30), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    street_person_id: Mapped[int | None] = mapped_column(ForeignKey("street_people.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    patrol: Mapped[Patrol] = relationship()
    street_person: Mapped[StreetPerson | None] = relationship()
