"""Reports read from a streaming replica when one is set (``REPLICA_DATABASE_URL``).

What goes to the replica: the SELECTs of a view marked ``@reads_from_replica`` (coverage,
maps, exports, report figures) — big reads whose answer may be a few seconds old. What stays
on the primary: every write, everything after the request's first write (read-after-write:
a bulk read's audit row, then anything the view reads), ``SELECT … FOR UPDATE``, and every
unmarked view, so a phone that just sent a visit reads it back from the primary.

A replica that lags more than ``REPLICA_MAX_LAG_SECONDS`` or does not answer is left aside
for ``REPLICA_RECHECK_SECONDS``: reports then read from the primary (slower, never wrong),
and a warning is logged once per change of state. The answer says where it read from in
``X-Read-Source`` (``replica`` / ``primary``), for operators and the tests.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import current_app, g
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from api.db import create_db_engine, session

log = logging.getLogger(__name__)

EXTENSION = "doudi.replica"

# Seconds the replica is behind: 0 when it has replayed all it received (an idle primary
# sends nothing, and the last replay's age would then look like lag), else the age of the
# last transaction it replayed.
LAG_SQL = text(
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
)


class Replica:
    """The replica's engine and whether it may be used now (checked at most every
    ``recheck_seconds``, under a lock: one check at a time per process)."""

    def __init__(self, engine: Engine, max_lag_seconds: float, recheck_seconds: float) -> None:
        self.engine = engine
        self.max_lag_seconds = max_lag_seconds
        self.recheck_seconds = recheck_seconds
        self._usable = False
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def usable(self) -> bool:
        with self._lock:
            if time.monotonic() - self._checked_at >= self.recheck_seconds:
                was = self._usable
                self._usable = self._check()
                self._checked_at = time.monotonic()
                if was and not self._usable:
                    log.warning("replica left aside: reports read from the primary")
                elif self._usable and not was:
                    log.info("replica in use for reports")
            return self._usable

    def _check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                lag = connection.execute(LAG_SQL).scalar()
        except SQLAlchemyError as exc:
            log.warning("replica unreachable: %s", type(exc).__name__)
            return False
        if lag is None:  # not a standby (replay functions answer NULL on a primary)
            log.warning("REPLICA_DATABASE_URL is not a standby server")
            return False
        if float(lag) > self.max_lag_seconds:
            log.warning("replica lags %.1f s (limit %s s)", float(lag), self.max_lag_seconds)
            return False
        return True


def init_replica(app: Any) -> None:
    url = app.config["REPLICA_DATABASE_URL"]
    if not url:
        return
    # A short connect timeout: a replica that is down must not hold a report for long.
    engine = create_db_engine(url, connect_args={"connect_timeout": 2})
    app.extensions[EXTENSION] = Replica(
        engine, app.config["REPLICA_MAX_LAG_SECONDS"], app.config["REPLICA_RECHECK_SECONDS"]
    )

    # The choice is the request's: a session that outlives it (one app context serving
    # several requests, as in tests and CLI) must not carry it to the next one.
    @app.teardown_request
    def _forget_replica(_error: BaseException | None) -> None:
        session().info.pop("replica", None)


def route_reads_to_replica() -> bool:
    """Send this request's plain reads to the replica if it is usable; True if so."""
    replica: Replica | None = current_app.extensions.get(EXTENSION)
    use = replica is not None and replica.usable()
    if use:
        session().info["replica"] = replica.engine  # type: ignore[union-attr]
    g.read_source = "replica" if use else "primary"
    return use


def reads_from_replica(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a report view: its reads may come from the replica (module docstring)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        route_reads_to_replica()
        return view(*args, **kwargs)

    return wrapper
