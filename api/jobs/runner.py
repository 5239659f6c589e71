"""Runs one outbox job, or one recurring job, in its own transaction, in the current app.

The job's writes and the outbox row's ``finished_at`` commit together: a job killed
mid-way (even by SIGKILL) commits nothing and is redone by the sweep; a job that already
finished is skipped. On PostgreSQL the row is locked with SKIP LOCKED, so two workers
handed the same job do not run it side by side.

Jobs are named by dotted path (``workers.followup.visit_recorded``) and resolved when they
run: the API records and dispatches jobs without importing the code that does them. Both
functions need an app context: the in-process thread (``api.jobs.queue``) and scheduler
(``api.jobs.schedule``) push the app's, an RQ worker's entry points (``workers.runner``)
the worker process's.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update

from api.areas.scope import SYSTEM, set_actor
from api.common.idnumber import mask_text
from api.db import session, utcnow
from api.jobs.models import OutboxJob

log = logging.getLogger(__name__)


def resolve(name: str) -> Callable[..., Any]:
    module_name, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def run_outbox_job(outbox_id: int) -> str:
    set_actor(None, SYSTEM)
    stmt = select(OutboxJob).where(OutboxJob.id == outbox_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    job = session.scalar(stmt)
    if job is None or job.finished_at is not None:
        # Nothing to do; closing the session (below) ends the read-only transaction.
        session.remove()
        return "skipped"
    func, args = job.func, list(job.args)
    try:
        resolve(func)(*args)
        job.finished_at = utcnow()
        session.commit()
    except Exception as exc:
        session.rollback()
        _record_failure(outbox_id, exc)
        raise
    finally:
        session.remove()
    return "done"


def _record_failure(outbox_id: int, exc: Exception) -> None:
    log.exception("job %s failed", outbox_id)
    set_actor(None, SYSTEM)
    # An exception's text may quote the data it failed on (a database error names the row).
    error = mask_text(f"{type(exc).__name__}: {exc}")[:2000]
    session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == outbox_id)
        .values(attempts=OutboxJob.attempts + 1, last_error=error)
    )
    session.commit()


def run_recurring(name: str) -> None:
    """Run a recurring job function (it takes no arguments) in its own transaction."""
    set_actor(None, SYSTEM)
    try:
        resolve(name)()
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.remove()
