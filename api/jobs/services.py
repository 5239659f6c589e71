from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from api.db import session, utcnow
from api.jobs.models import OutboxJob

# After this many failed runs the sweep stops retrying; the job stays visible to admins.
MAX_ATTEMPTS = 5
_PENDING_KEY = "outbox_pending"


def job_name(func: Callable[..., Any] | str) -> str:
    return func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"


def schedule_job(func: Callable[..., Any] | str, *args: Any) -> OutboxJob:
    """Record a job to run after the current transaction commits.

    ``args`` must be JSON values (ids, not ORM objects). The job is pushed to the queue
    only once the commit has made its input visible.
    """
    job = OutboxJob(func=job_name(func), args=list(args))
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


def failed_jobs_query():
    return (
        select(OutboxJob)
        .where(OutboxJob.finished_at.is_(None), OutboxJob.attempts > 0)
        .order_by(OutboxJob.id.desc())
    )
