"""RQ cron configuration: ``rq cron workers/cron.py --url $REDIS_URL``.

Registers every entry of ``api.jobs.schedule.RECURRING`` with RQ's cron scheduler, on the
queue named by ``RQ_QUEUE``.
"""

import os

from rq import cron

from api.jobs.schedule import RECURRING
from workers.runner import run_recurring

QUEUE = os.environ.get("RQ_QUEUE") or "doudi"

for name, interval in RECURRING:
    cron.register(run_recurring, queue_name=QUEUE, args=(name,), interval=interval, name=name)
