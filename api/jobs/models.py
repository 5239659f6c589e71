from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, utcnow
from api.mixins import AreaScoped


class OutboxJob(AreaScoped, Base):
    """A job to run after the commit that scheduled it (``api.jobs.services``).

    ``area_id`` is the area of the record the job acts on, so that jurisdiction shows a
    town's admin only the town's jobs; None for jobs over the whole register (shown to
    county-level admins only, ``failed_jobs_query``). Jobs run as the SYSTEM actor, which
    the scope does not filter.
    """

    __tablename__ = "job_outbox"
    __table_args__ = (Index("ix_job_outbox_unfinished", "finished_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    func: Mapped[str] = mapped_column(String(200))
    args: Mapped[list[Any]] = mapped_column(default=list)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
