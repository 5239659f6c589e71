"""Worker entry point: ``python -m workers [QUEUE ...]``.

Creates the app once, then runs an RQ worker with the scheduler (for delayed retries). The
plain ``rq worker --with-scheduler --url $REDIS_URL doudi`` works too; this entry point
just saves each job from creating the app.
"""

import sys

from rq import Worker

from workers.app import get_app
from workers.queue import redis_for


def main() -> None:
    app = get_app()
    queues = sys.argv[1:] or [app.config["RQ_QUEUE"]]
    Worker(queues, connection=redis_for(app)).work(with_scheduler=True)


if __name__ == "__main__":
    main()
