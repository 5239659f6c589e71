"""The audit log's monthly partitions on PostgreSQL (migration 0029): made ahead, expired.

``audit_entries`` is partitioned by ``at``, one partition per UTC month
(``audit_entries_YYYY_MM``), plus the rows from before the migration in one partition
(``audit_entries_until_YYYY_MM``) and a default partition for a row no month holds yet.
``keep_monthly_partitions`` runs hourly (``api.jobs.schedule``) and:

- makes this month's and the next ``MONTHS_AHEAD`` months' partitions that are missing,
  moving into each the rows the default partition holds for it (so the default stays
  empty, and attaching a month never has to scan a large default);
- with ``AUDIT_RETENTION_MONTHS`` set (0, the default, keeps everything), drops each
  partition whose every row is older than that many whole months before this one:
  one ``DROP TABLE``, not a ``DELETE`` of its rows. The drop is itself audited (an entry
  naming the partition, its months and its row count, in the root area's log). The
  default partition is never dropped.

Two runs at once (a restarted scheduler, two hosts) take turns on an advisory lock.
SQLite keeps a plain table: there the job does nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import insert, select, text

from api.areas.models import Area
from api.audit.models import AuditEntry
from api.db import session, utcnow

log = logging.getLogger(__name__)

TABLE = "audit_entries"
DEFAULT = f"{TABLE}_default"
MONTHS_AHEAD = 3
# Taken by every run, so that two runs do not make or drop the same partition at once.
LOCK_KEY = 20261129
_MONTH = re.compile(rf"^{TABLE}_(?:(?P<until>until)_)?(?P<year>\d{{4}})_(?P<month>\d\d)$")


def is_partition(name: str) -> bool:
    """Whether a table is one of the log's partitions, by the names given here and in
    migration 0029."""
    return name == DEFAULT or _MONTH.match(name) is not None


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime | None  # None: from the beginning (the rows from before 0029)
    end: datetime  # exclusive


def month_start(moment: datetime, months: int = 0) -> datetime:
    """The first instant (UTC) of the month ``months`` after the one of ``moment``."""
    moment = moment.astimezone(UTC)
    years, month = divmod(moment.month - 1 + months, 12)
    return datetime(moment.year + years, month + 1, 1, tzinfo=UTC)


def partitions() -> list[Partition]:
    """The log's partitions named as this module names them, oldest first (the default
    partition is not among them)."""
    names = session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = CAST(:table AS regclass)"
        ),
        {"table": TABLE},
    )
    found = []
    for name in names:
        match = _MONTH.match(name)
        if match is None:
            continue
        first = datetime(int(match["year"]), int(match["month"]), 1, tzinfo=UTC)
        if match["until"]:
            found.append(Partition(name, None, first))
        else:
            found.append(Partition(name, first, month_start(first, 1)))
    return sorted(found, key=lambda p: p.end)


def keep_monthly_partitions(now: datetime | None = None) -> dict[str, list[str]]:
    """Make the coming months' partitions and drop expired ones (see the module's
    docstring). Returns the partitions made and dropped, by name."""
    if session.get_bind().dialect.name != "postgresql":
        return {"made": [], "dropped": []}
    now = now or utcnow()
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    existing = partitions()
    made = []
    for offset in range(MONTHS_AHEAD + 1):
        start, end = month_start(now, offset), month_start(now, offset + 1)
        if any(p.end > start and (p.start is None or p.start < end) for p in existing):
            continue
        made.append(_make_month(start, end))
    dropped = []
    months = current_app.config["AUDIT_RETENTION_MONTHS"]
    if months > 0:
        cutoff = month_start(now, -months)
        for partition in existing:
            if partition.end <= cutoff:
                _drop(partition)
                dropped.append(partition.name)
    if made or dropped:
        log.info("audit partitions: made %s, dropped %s", made, dropped)
    return {"made": made, "dropped": dropped}


def _make_month(start: datetime, end: datetime) -> str:
    """A month's partition, made apart and then attached, with the default partition's
    rows of that month moved into it first (attaching checks the default holds none)."""
    name = f"{TABLE}_{start:%Y_%m}"
    bounds = {"start": start, "end": end}
    session.execute(
        text(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    )
    session.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE at >= :start AND at < :end "  # noqa: S608 (our names)
            f"RETURNING *) INSERT INTO {name} SELECT * FROM moved"
        ),
        bounds,
    )
    # DDL takes no bind parameters: the bounds are written out (datetimes made here).
    session.execute(
        text(
            f"ALTER TABLE {TABLE} ATTACH PARTITION {name} "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    )
    return name


def _drop(partition: Partition) -> None:
    rows = session.scalar(text(f"SELECT count(*) FROM {partition.name}"))  # noqa: S608 (ours)
    session.execute(text(f"DROP TABLE {partition.name}"))  # a partition is detached with it
    # Written after the drop, so that it lands in a partition that stays. A month of the
    # log is every area's: the entry belongs to the top of the tree (the county's admins
    # and supervisors read it), not to no area, which nobody's jurisdiction holds.
    roots = session.scalars(
        select(Area.id).where(Area.parent_id.is_(None)).execution_options(skip_scope=True)
    ).all()
    session.execute(
        insert(AuditEntry.__table__),
        [
            {
                "at": utcnow(),
                "action": "delete",
                "table_name": TABLE,
                "record_id": partition.name,
                "area_id": root,
                "changes": {
                    "partition": partition.name,
                    "from": partition.start.isoformat() if partition.start else None,
                    "to": partition.end.isoformat(),
                    "rows": rows,
                    "retention_months": current_app.config["AUDIT_RETENTION_MONTHS"],
                },
            }
            for root in roots or [None]
        ],
    )
