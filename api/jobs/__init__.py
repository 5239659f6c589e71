"""The job outbox: work to do after a commit, recorded in the same transaction.

Why an outbox: a job enqueued straight to Redis can be lost (Redis down, process killed
between commit and enqueue) or can run before its input is committed. Instead a service
calls ``schedule_job`` inside the request's transaction; the row commits with the data it
needs, is pushed to RQ right after the commit (``api.jobs.queue``), and is marked finished
by the job in the job's own transaction. A periodic sweep re-enqueues rows that are not
finished after ``OUTBOX_RETRY_AFTER_SECONDS`` (Redis was down, a worker was SIGKILLed), so
nothing recorded is left without its follow-up. Jobs must therefore be safe to run twice;
database constraints make them so.
"""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.jobs import services  # noqa: F401  (installs the after-commit dispatch)
    from api.jobs.routes import blp

    api.register_blueprint(blp)
