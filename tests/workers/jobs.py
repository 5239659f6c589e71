"""Job functions that only the worker tests schedule (real outbox, real RQ workers)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from api.db import session
from workers import followup


def visit_then_hang(visit_id: int, marker: str) -> None:
    """The real visit follow-up, then (the first time only) a long pause before the
    runner's commit: a worker killed during the pause dies mid-job."""
    followup.visit_recorded(visit_id)
    session.flush()
    if not os.path.exists(marker):
        partial = Path(marker + ".tmp")
        partial.write_text(str(os.getpid()))
        partial.rename(marker)  # the test reads a whole pid or nothing
        time.sleep(120)


def always_fails(reason: str) -> None:
    raise RuntimeError(f"boom: {reason}")
