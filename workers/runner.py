"""RQ's entry points: ``api.jobs.runner``'s functions in this worker process's app.

The API enqueues ``workers.runner.run_outbox_job`` by name (``api.jobs.queue``) and
``rq cron`` registers ``run_recurring`` (``workers/cron.py``); both run the job in the app
of the process (``workers.app.get_app``), or in the one already current (tests).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

from flask import has_app_context

from api.jobs import runner
from workers.app import get_app


def _in_app() -> AbstractContextManager[object]:
    return nullcontext() if has_app_context() else get_app().app_context()


def run_outbox_job(outbox_id: int) -> str:
    with _in_app():
        return runner.run_outbox_job(outbox_id)


def run_recurring(name: str) -> None:
    with _in_app():
        runner.run_recurring(name)
