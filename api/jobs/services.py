from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, event, or_, select, update
from sqlalchemy.orm import Session

from api.areas.scope import require_actor, subtree
from api.areas.services import root_area
from api.common.idnumber import mask_personal
from api.db import session, utcnow
from api.jobs.models import OutboxJob

# After this many failed runs the sweep stops retrying; the job stays visible to admins.
MAX_ATTEMPTS = 5
# What /jobs/failed shows of an error: its first line, this long at most.
SHOWN_ERROR_CHARS = 300
_PENDING_KEY = "outbox_pending"


def job_name(func: Callable[..., Any] | str) -> str:
    return func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"


def schedule_job(
    func: Callable[..., Any] | str, *args: Any, area_id: int | None = None
) -> OutboxJob:
    """Record a job to run after the current transaction commits.

    ``args`` must be JSON values (ids, not ORM objects). The job is pushed to the queue
    only once the commit has made its input visible. ``area_id`` (by name) is the area of
    the record the job acts on (for several records, their common ancestor:
    ``api.areas.services.common_ancestor``); it decides who sees the job if it fails.
    None (the default, failing closed): a job over the whole register, seen by
    county-level admins only.
    """
    job = OutboxJob(func=job_name(func), args=list(args), area_id=area_id)
    session.add(job)
    session.flush()
    session().info.setdefault(_PENDING_KEY, []).append(job.id)
    return job


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(db_session: Session) -> None:
    if db_session.in_nested_transaction():
        # SQLAlchemy fires after_commit for a savepoint's release too; the outer transaction
        # is still open and may roll back, and a worker would not see the rows yet.
        return
    pending = db_session.info.pop(_PENDING_KEY, None)
    if pending:
        from api.jobs import queue

        queue.dispatch(pending)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(db_session: Session, _previous: Any) -> None:
    if not db_session.in_transaction():
        db_session.info.pop(_PENDING_KEY, None)


def due_for_retry(retry_after_seconds: int, limit: int = 1000) -> list[int]:
    """Unfinished jobs that were never enqueued or not finished in time; marks them."""
    cutoff = utcnow() - timedelta(seconds=retry_after_seconds)
    ids = list(
        session.scalars(
            select(OutboxJob.id)
            .where(
                OutboxJob.finished_at.is_(None),
                OutboxJob.attempts < MAX_ATTEMPTS,
                or_(OutboxJob.enqueued_at.is_(None), OutboxJob.enqueued_at < cutoff),
                OutboxJob.created_at < cutoff,
            )
            .order_by(OutboxJob.id)
            .limit(limit)
        )
    )
    if ids:
        session.execute(update(OutboxJob).where(OutboxJob.id.in_(ids)).values(enqueued_at=utcnow()))
    return ids


def failed_jobs_query() -> Select:
    """Jobs that failed at least once and have not finished, newest first.

    Jurisdiction filters them like any area-scoped row (a town's admin sees the jobs of
    the town's records). Jobs with no area act on the whole register: only an admin at a
    root area (the county) sees them, added here on purpose past the scope, which would
    hide them (NULL is in no subtree).
    """
    stmt = (
        select(OutboxJob)
        .where(OutboxJob.finished_at.is_(None), OutboxJob.attempts > 0)
        .order_by(OutboxJob.id.desc())
    )
    actor = require_actor()
    root = root_area(actor.area_id)
    if root is not None:
        stmt = stmt.where(
            or_(OutboxJob.area_id.is_(None), OutboxJob.area_id.in_(subtree(root)))
        ).execution_options(skip_scope=True)
    return stmt


def shown_error(text: str | None) -> str | None:
    """A failed job's error as admins see it: the first line only (a database error's SQL
    and parameters follow on later lines), cut at ``[SQL:``, ID numbers masked, at most
    ``SHOWN_ERROR_CHARS``. The full text stays in the worker's log."""
    if not text:
        return text
    line = text.splitlines()[0].split("[SQL:")[0].strip()
    masked = mask_personal(line)
    if len(masked) > SHOWN_ERROR_CHARS:
        masked = masked[: SHOWN_ERROR_CHARS - 1] + "…"
    return masked
