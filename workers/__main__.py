"""Worker entry point: ``python -m workers [--burst] [QUEUE ...]``.

Creates the app once, then runs an RQ worker with the scheduler (for delayed retries). The
plain ``rq worker --with-scheduler --url $REDIS_URL doudi`` works too; this entry point
just saves each job from creating the app.
"""

import sys

from rq import Worker

from workers.app import get_app
from workers.queue import redis_for


def main() -> None:
    args = sys.argv[1:]
    # --burst: drain the queues and exit (tests, one-off catch-up runs).
    burst = "--burst" in args
    app = get_app()
    queues = [a for a in args if a != "--burst"] or [app.config["RQ_QUEUE"]]
    Worker(queues, connection=redis_for(app)).work(with_scheduler=True, burst=burst)


if __name__ == "__main__":
    main()
