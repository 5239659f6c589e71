"""Handing outbox jobs to whoever runs them: RQ on Redis, or a thread in this process.

With ``REDIS_URL`` set, jobs go to the RQ queue ``RQ_QUEUE`` with retries and backoff
(the worker must run with ``--with-scheduler`` for the delayed retries). With it empty (the
embedded default), one background thread runs them in order, in this process.

An enqueue that fails (Redis down) is logged and dropped: the outbox row stays unfinished
and the sweep enqueues it again once Redis is back.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry

from api.jobs.runner import run_outbox_job

log = logging.getLogger(__name__)

RETRY_INTERVALS = [10, 60, 300]
JOB_TIMEOUT = 600


@lru_cache(maxsize=4)
def _redis(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def redis_for(app: Flask) -> Redis:
    return _redis(app.config["REDIS_URL"])


def queue_for(app: Flask) -> Queue:
    return Queue(app.config["RQ_QUEUE"], connection=redis_for(app))


_executor: ThreadPoolExecutor | None = None
_submitted = 0


def _in_process_executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="doudi-jobs")
    return _executor


def dispatch(outbox_ids: list[int]) -> None:
    """Hand committed outbox jobs to whoever runs them (inside an app context: the request's,
    the job's or the CLI's)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["JOBS_IN_PROCESS"]:
        global _submitted
        for outbox_id in outbox_ids:
            _submitted += 1
            _in_process_executor().submit(_run_logged, app, run_outbox_job, outbox_id)
        return
    try:
        queue = queue_for(app)
        for outbox_id in outbox_ids:
            queue.enqueue(
                # By name: the worker process's entry point, which makes its own app.
                "workers.runner.run_outbox_job",
                outbox_id,
                # Named per queue: RQ job ids are global to the Redis database, and two
                # deployments (or parallel test runs) with their own outboxes share ids.
                job_id=f"outbox-{queue.name}-{outbox_id}",
                retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                job_timeout=JOB_TIMEOUT,
                failure_ttl=30 * 24 * 3600,
            )
    except RedisError:
        log.warning("queue unreachable; %d job(s) left for the outbox sweep", len(outbox_ids))


def wait_for_in_process_jobs(timeout: float = 60) -> None:
    """Block until every in-process job submitted so far, and any job those scheduled, has
    run (tests; an orderly shutdown)."""
    if _executor is None:
        return
    while True:
        seen = _submitted
        # One worker thread runs jobs in order, so a no-op queued now runs after them.
        _executor.submit(lambda: None).result(timeout=timeout)
        if _submitted == seen:
            return


def _run_logged(app: Flask, func, *args) -> None:
    try:
        with app.app_context():
            func(*args)
    except Exception:
        log.exception("in-process job failed")


def ping(app: Flask) -> str:
    if app.config["JOBS_IN_PROCESS"]:
        return "ok"
    try:
        redis_for(app).ping()
        return "ok"
    except RedisError as exc:
        return f"down ({type(exc).__name__})"
