"""Photos attached to records of any domain (visits, patrol encounters, rescue-centre
residents, open-day events): one table, one pipeline.

The upload stores the original privately and answers at once with ``status = pending``;
the ``workers.photos.clean_photo`` job turns it upright, strips every metadata block,
shrinks it and makes a thumbnail, then sets ``ready`` (or ``failed`` with a reason). Files
are named by their SHA-256 under ``PHOTO_STORAGE_DIR``.

A photo is read by the roles that read its owner (``api.auth.realms.RECORD_REALMS`` by
``owner_kind``): the jurisdiction hook filters on it (``RowRoleRestricted``), so an
outreach worker never gets an encounter's or a resident's photo, by id or in a list, and
rescue staff never a visit's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.auth.realms import record_kinds_readable_by
from api.db import Base, utcnow
from api.mixins import AreaScoped, Audited, RowRoleRestricted

PHOTO_STATUSES = ("pending", "ready", "failed")
# The records photos are attached to; each has its realm in api.auth.realms.RECORD_REALMS.
OWNER_KINDS = ("visit", "encounter", "resident", "open_day_event")


class Photo(AreaScoped, RowRoleRestricted, Audited, Base):
    """A photo of a record. Audited: the upload (create), the cleaning job's outcome
    (update to ``ready`` or ``failed`` with the reason) and a deletion each leave an entry."""

    __tablename__ = "photos"
    # The upload's fingerprint and the thumbnail's hash say nothing a reader needs.
    audit_exclude: ClassVar[frozenset[str]] = frozenset({"content_hash", "thumbnail_sha256"})
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'ready', 'failed')", name="status"),
        Index("ix_photos_owner", "owner_kind", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int]
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    # Fingerprint of (owner, original bytes): a resend with other bytes is a conflict.
    content_hash: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    processed_at: Mapped[datetime | None]
    media_type: Mapped[str] = mapped_column(String(40))
    original_bytes: Mapped[int] = mapped_column(BigInteger)
    original_sha256: Mapped[str] = mapped_column(String(64))
    original_width: Mapped[int | None]
    original_height: Mapped[int | None]
    cleaned_sha256: Mapped[str | None] = mapped_column(String(64))
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None]
    height: Mapped[int | None]
    # Read from EXIF before it is stripped.
    exif_taken_at: Mapped[datetime | None]
    exif_location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=True)
    # What the photo is compared against (the visit's point and time).
    reference_location = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=False), nullable=True
    )
    reference_time: Mapped[datetime | None]
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    flags: Mapped[list[Any]] = mapped_column(default=list)
    distance_m: Mapped[float | None] = mapped_column(Float)
    age_hours: Mapped[float | None] = mapped_column(Float)

    @classmethod
    def rows_readable_by(cls, role: str | None) -> ColumnElement[bool]:
        return cls.owner_kind.in_(record_kinds_readable_by(role))
