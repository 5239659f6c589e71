"""Worker entry point: ``python -m workers [--burst] [QUEUE ...]``.

Creates the app once, then runs an RQ ``SimpleWorker`` with the scheduler (for delayed
retries). It runs jobs in its own process instead of forking a work horse per job: a fork,
a new database connection and a new app per job cost about 0.3 s here, many times the job
itself. A job that kills the process (out of memory, SIGKILL) is redone by the outbox sweep,
as is one a forking worker loses; run several workers under a supervisor that restarts them.
The plain ``rq worker --with-scheduler --url $REDIS_URL doudi`` works too, forking per job.
"""

import sys

from rq import SimpleWorker

from api.common.process import settle_after_start_up
from api.jobs.queue import redis_for
from workers.app import get_app


def main() -> None:
    args = sys.argv[1:]
    # --burst: drain the queues and exit (tests, one-off catch-up runs).
    burst = "--burst" in args
    app = get_app()
    settle_after_start_up()
    queues = [a for a in args if a != "--burst"] or [app.config["RQ_QUEUE"]]
    SimpleWorker(queues, connection=redis_for(app)).work(with_scheduler=True, burst=burst)


if __name__ == "__main__":
    main()
