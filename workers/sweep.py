"""The outbox sweep: re-enqueue jobs that were never delivered or never finished."""

from __future__ import annotations

from api.db import session
from workers.app import get_app


def sweep_outbox() -> int:
    from api.jobs.queue import dispatch
    from api.jobs.services import due_for_retry

    ids = due_for_retry(get_app().config["OUTBOX_RETRY_AFTER_SECONDS"])
    # Commit the enqueued_at marks first, so that a job the queue hands out at once finds
    # its row committed.
    session.commit()
    if ids:
        dispatch(ids)
    return len(ids)
