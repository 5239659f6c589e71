"""Background work: job functions, the runner that wraps them in a transaction, the queue,
the recurring schedule and the worker entry point (``python -m workers``)."""
