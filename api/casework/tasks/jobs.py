"""RQ's failed-job registry, read for admins.

A job that keeps failing runs out of RQ retries and lands in the queue's
``FailedJobRegistry``; its outbox row keeps the last error too (``GET /jobs/failed``).
This reads the registry itself: job id, function, arguments and the exception.

The registry is the county's queue and its entries carry no area, so only admins of a
root area (the county) read it; a town's admin finds the town's failed jobs under
``GET /jobs/failed``. Errors and tracebacks are shown with ID numbers masked.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from redis.exceptions import RedisError
from rq.job import Job
from rq.registry import FailedJobRegistry

from api.areas.scope import require_actor
from api.areas.services import root_area
from api.common.idnumber import mask_text
from api.errors import Forbidden, ServiceUnavailable


def rq_failed_jobs(app: Flask, start: int, count: int) -> tuple[int, list[dict[str, Any]]]:
    """(total, one page of failed jobs, newest first) of the app's queue; none in-process."""
    actor = require_actor()
    if root_area(actor.area_id) is None:
        raise Forbidden(
            "Only county-level admins read the queue's failed registry; "
            "your area's failed jobs are under /api/v1/jobs/failed."
        )
    if app.config["JOBS_IN_PROCESS"]:
        return 0, []
    from api.jobs.queue import queue_for

    queue = queue_for(app)
    try:
        registry = FailedJobRegistry(queue=queue)
        total = registry.count
        ids = registry.get_job_ids(desc=True, start=start, end=start + count - 1)
        jobs = Job.fetch_many(ids, connection=queue.connection)
    except RedisError as exc:
        raise ServiceUnavailable("The job queue is not reachable; retry later.") from exc
    rows = []
    for job_id, job in zip(ids, jobs, strict=True):
        if job is None:
            rows.append({"id": job_id, "args": []})
            continue
        exc_info = _exc_info(job)
        rows.append(
            {
                "id": job.id,
                "func_name": job.func_name,
                "args": list(job.args or ()),
                "origin": job.origin,
                "enqueued_at": job.enqueued_at,
                "ended_at": job.ended_at,
                "error": exc_info.strip().splitlines()[-1] if exc_info else None,
                "traceback": exc_info,
            }
        )
    return total, rows


def _exc_info(job: Job) -> str | None:
    # RQ keeps the traceback as the job raised it; an exception's text may quote the data
    # it failed on, so it is masked on the way out.
    result = job.latest_result()
    if result is not None and result.exc_string:
        return mask_text(result.exc_string)
    exc_info = getattr(job, "exc_info", None)
    return mask_text(exc_info) if exc_info else exc_info
