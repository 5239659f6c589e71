"""audit: the log partitioned by month on PostgreSQL (issue #17)

The audit log gains a row for every write and every bulk read, and is read rarely (the
admins' audit page, an inquiry). At a province's rate (≈ 400 M rows in two years,
``docs/scaling.md``) its growth has to be handled the way it grows: by month, so that a
month that is past the retention period is dropped as one table, without a ``DELETE`` of
millions of rows and the bloat it leaves.

``audit_entries`` becomes ``PARTITION BY RANGE (at)``:

- the rows already there are not copied: the old table is attached as the partition of
  everything before the first month after this migration (``audit_entries_until_YYYY_MM``),
  expired as a whole once its last month is;
- a month's partition (``audit_entries_YYYY_MM``, UTC months) is made ahead of time by the
  recurring job ``api.audit.partitions.keep_monthly_partitions``;
- ``audit_entries_default`` takes a row no month holds yet (a clock far ahead, a job that
  has not run for months), so that an audit row is never refused; the job moves such rows
  into their month's partition when it makes it;
- the primary key becomes ``(id, at)`` (a partitioned table's unique keys include its
  partition key); ids still come from the one sequence, so each is still unique;
- the indexes and foreign keys are the same, on every partition.

SQLite, the embedded default, keeps the plain table.

Revision ID: 0029_audit_by_month
Revises: 0025_audit_record_ids
Create Date: 2026-11-30
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from alembic import op

revision: str = "0029_audit_by_month"
down_revision: str | None = "0025_audit_record_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_audit_entries_actor_id": "(actor_id)",
    "ix_audit_entries_area_id": "(area_id)",
    "ix_audit_entries_at": "(at)",
    "ix_audit_entries_record": "(table_name, record_id)",
    "ix_audit_entries_record_ids": "USING gin (record_ids jsonb_path_ops)",
}
FOREIGN_KEYS = {
    "fk_audit_entries_actor_id_users": "FOREIGN KEY (actor_id) REFERENCES users (id)",
    "fk_audit_entries_area_id_areas": "FOREIGN KEY (area_id) REFERENCES areas (id)",
}


def _keys_and_indexes(table: str, primary_key: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ADD CONSTRAINT pk_audit_entries PRIMARY KEY {primary_key}",
        *(f"ALTER TABLE {table} ADD CONSTRAINT {n} {d}" for n, d in FOREIGN_KEYS.items()),
        *(f"CREATE INDEX {n} ON {table} {d}" for n, d in INDEXES.items()),
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    now = datetime.now(UTC)
    following = f"{now.year + now.month // 12:04d}-{now.month % 12 + 1:02d}-01"
    legacy = f"audit_entries_until_{following[:7].replace('-', '_')}"
    op.execute(f"ALTER TABLE audit_entries RENAME TO {legacy}")
    # A partition takes its parent's primary key (and the name is the parent's now).
    op.execute(f"ALTER TABLE {legacy} DROP CONSTRAINT pk_audit_entries")
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} RENAME TO {name.replace('audit_entries', legacy)}")
    op.execute(
        f"CREATE TABLE audit_entries (LIKE {legacy} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
        "PARTITION BY RANGE (at)"
    )
    # The sequence was the old table's; it is the log's, whichever tables hold it.
    op.execute("ALTER SEQUENCE audit_entries_id_seq OWNED BY audit_entries.id")
    for statement in _keys_and_indexes("audit_entries", "(id, at)"):
        op.execute(statement)
    # Attaching checks the old rows against the bound (one scan) and builds the (id, at)
    # key on them; the other indexes and keys of the old table are taken over as they are.
    op.execute(
        f"ALTER TABLE audit_entries ATTACH PARTITION {legacy} "
        f"FOR VALUES FROM (MINVALUE) TO ('{following} 00:00+00')"
    )
    # Until the recurring job has made the coming months (at the next start of the app or
    # of the RQ scheduler), their rows wait here; the job moves them.
    op.execute("CREATE TABLE audit_entries_default PARTITION OF audit_entries DEFAULT")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Every partition's rows into one plain table again (a copy: the partitions differ).
    op.execute("ALTER SEQUENCE audit_entries_id_seq OWNED BY NONE")
    op.execute(
        "CREATE TABLE audit_entries_plain (LIKE audit_entries INCLUDING DEFAULTS "
        "INCLUDING CONSTRAINTS)"
    )
    op.execute("INSERT INTO audit_entries_plain SELECT * FROM audit_entries")
    op.execute("DROP TABLE audit_entries")
    op.execute("ALTER TABLE audit_entries_plain RENAME TO audit_entries")
    op.execute("ALTER SEQUENCE audit_entries_id_seq OWNED BY audit_entries.id")
    for statement in _keys_and_indexes("audit_entries", "(id)"):
        op.execute(statement)
