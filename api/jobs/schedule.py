"""The recurring jobs, one list for both ways of running them.

With Redis, ``rq cron workers/cron.py`` registers these with RQ's cron scheduler; on the
embedded default, ``start_in_process_scheduler`` (started by the app factory) runs them on
a thread. Each entry is (dotted function name, interval in seconds); the function takes no
arguments and runs in its own transaction through ``api.jobs.runner.run_recurring``. Each
is safe to run twice or concurrently (the tasks it makes have UNIQUE dedup keys), so an
extra run from a restarted scheduler does no harm. The functions live in ``workers`` and
are named, not imported: ``workers`` imports the API, never the reverse.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from api.jobs.runner import run_recurring

RECURRING: list[tuple[str, int]] = [
    ("workers.sweep.sweep_outbox", 60),
    # Follow-up rules over the whole register (workers.followup).
    ("workers.followup.revisit_cadence", 3600),
    ("workers.followup.long_stay_without_case", 3600),
    ("workers.followup.stale_tracing_cases", 3600),
    ("workers.followup.escalate_overdue", 3600),
    # Help requests answer in hours, not days: looked at every ten minutes.
    ("workers.followup.help_requests_breached", 600),
    # Failed help-form lookups, once past the window they count in.
    ("api.casework.leads.services.purge_lookup_attempts", 3600),
    # The coverage summary: months that have ended are added (api.visits.coverage.summary).
    ("api.visits.coverage.summary.close_months", 3600),
    # Department lists' raw rows past MATCHING_ROW_RETENTION_DAYS.
    ("api.matching.services.purge_expired", 3600),
    # The audit log's coming months, and its months past AUDIT_RETENTION_MONTHS.
    ("api.audit.partitions.keep_monthly_partitions", 3600),
]

log = logging.getLogger(__name__)


def start_in_process_scheduler(app: Flask, stop: threading.Event | None = None) -> threading.Thread:
    stop = stop or threading.Event()
    last_run: dict[str, float] = {}

    def loop() -> None:
        while not stop.is_set():
            now = time.monotonic()
            for name, interval in RECURRING:
                if now - last_run.get(name, -interval) >= interval:
                    last_run[name] = now
                    try:
                        with app.app_context():
                            run_recurring(name)
                    except Exception:
                        log.exception("recurring job %s failed", name)
            stop.wait(5)

    thread = threading.Thread(target=loop, name="doudi-scheduler", daemon=True)
    thread.start()
    return thread
