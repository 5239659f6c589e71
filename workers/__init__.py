"""Background work: the job functions, the RQ worker's entry points (``python -m workers``,
``workers.runner``, ``rq cron workers/cron.py``).

``workers`` imports the API; the API never imports ``workers``. It records jobs in its
outbox and runs them (in-process, or hands them to RQ) through ``api.jobs``, naming the
functions here by their dotted path."""
