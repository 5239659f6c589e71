from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow
from api.mixins import AreaScoped


class AuditEntry(AreaScoped, Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_record", "table_name", "record_id"),
        # An entry naming several records is found by any of them (migration 0025).
        Index(
            "ix_audit_entries_record_ids",
            "record_ids",
            postgresql_using="gin",
            postgresql_ops={"record_ids": "jsonb_path_ops"},
        ),
    )
    # A report's own audit row does not move its reads off the replica (api.db.RoutedSession).
    reads_unaffected: ClassVar[bool] = True

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    table_name: Mapped[str] = mapped_column(String(64))
    # One record; "" when the entry is about many (a bulk read, or ``record_ids``).
    record_id: Mapped[str] = mapped_column(String(64))
    # The records of an entry about several at once (a sync batch's visits); else NULL.
    record_ids: Mapped[list[str] | None] = mapped_column(
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    )
    # The area of the record (or of the actor), so supervisors see their own subtree.
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))
