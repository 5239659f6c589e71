"""RQ cron configuration: ``rq cron workers/cron.py --url $REDIS_URL``.

Registers every entry of ``workers.schedule.RECURRING`` with RQ's cron scheduler, on the
queue named by ``RQ_QUEUE``.
"""

import os

from rq import cron

from workers.runner import run_recurring
from workers.schedule import RECURRING

QUEUE = os.environ.get("RQ_QUEUE") or "doudi"

for name, interval in RECURRING:
    cron.register(run_recurring, queue_name=QUEUE, args=(name,), interval=interval, name=name)
