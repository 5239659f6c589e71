"""Tombstones of delta sync: a record that left a phone's view.

A household that moves to another area (or is deleted) leaves the phones of its old area;
a task reassigned away (or moved to another area or realm) leaves its old assignee's phone.
The rows themselves no longer say so, so a flush listener writes a tombstone then: the
record's id, the area it left (``AreaScoped``: only callers whose subtree holds that area
read it) and, for a task, the user it left. A tombstone names only an id its reader could
see before; it says nothing of where the record went.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from api.casework.tasks.models import Task
from api.common.sync_clock import SyncStamped
from api.db import Base, utcnow
from api.mixins import AreaScoped
from api.visits.models import Household


class SyncTombstone(AreaScoped, SyncStamped, Base):
    __tablename__ = "sync_tombstones"
    __table_args__ = (Index("ix_sync_tombstones_stream_record", "stream", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stream: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int]
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    # A task's tombstone is for the user it left; a household's for its old area.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _old(obj: Any, key: str) -> Any:
    """The value ``key`` had before this flush's change, or the current one."""
    history = inspect(obj).attrs[key].history
    if history.deleted:
        return history.deleted[0]
    return getattr(obj, key)


def _household_left(household: Household, deleted: bool) -> SyncTombstone | None:
    old_area = _old(household, "area_id")
    if household.id is None or (not deleted and old_area == household.area_id):
        return None
    return SyncTombstone(stream="households", record_id=household.id, area_id=old_area)


def _task_left(task: Task, deleted: bool) -> SyncTombstone | None:
    old_assignee = _old(task, "assignee_id")
    moved = any(_old(task, key) != getattr(task, key) for key in ("area_id", "realm"))
    if task.id is None or old_assignee is None:
        return None
    if not (deleted or moved or old_assignee != task.assignee_id):
        return None
    return SyncTombstone(
        stream="tasks",
        record_id=task.id,
        area_id=_old(task, "area_id"),
        user_id=old_assignee,
    )


@event.listens_for(Session, "before_flush")
def _write_tombstones(db_session: Session, _context: Any, _instances: Any) -> None:
    tombstones = []
    for obj in list(db_session.dirty) + list(db_session.deleted):
        deleted = obj in db_session.deleted
        if isinstance(obj, Household):
            tombstones.append(_household_left(obj, deleted))
        elif isinstance(obj, Task):
            tombstones.append(_task_left(obj, deleted))
    db_session.add_all([tombstone for tombstone in tombstones if tombstone is not None])
