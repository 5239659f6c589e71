"""sync: the change stamps and tombstones of the field app's delta sync

Households and tasks get ``sync_version`` (a change counter: the sequence
``sync_version_seq`` on PostgreSQL, the largest stamp plus one on SQLite) and
``sync_xid`` (PostgreSQL: the writing transaction), stamped on every insert and update by
the models (``api.common.sync_clock``). Existing rows are stamped 0, older than any cursor:
a phone's first download reads them all. ``sync_tombstones`` records a household that left
its area and a task that left its assignee.

Revision ID: 0017_sync
Revises: 0016_task_one_open
Create Date: 2026-11-29 23:55:00

Its own branch label, on top of the tasks line (``0016_task_one_open``) and depending on the
visits line (``0011_name_statistics``): it stamps both lines' tables. (Branching from 0001
with both as ``depends_on`` makes Alembic lose track of its heads when a database stands at
one of them.)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_sync"
down_revision: str | None = "0016_task_one_open"
branch_labels: str | Sequence[str] | None = ("sync",)
depends_on: str | Sequence[str] | None = ("0011_name_statistics",)

STAMPED = ("households", "tasks")


def _stamp_columns() -> list[sa.Column]:
    return [
        sa.Column("sync_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("sync_xid", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE sync_version_seq")
    for table in STAMPED:
        for column in _stamp_columns():
            op.add_column(table, column)
        op.create_index(f"ix_{table}_sync_version", table, ["sync_version"])
        op.create_index(f"ix_{table}_sync_xid", table, ["sync_xid"])
    op.create_table(
        "sync_tombstones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *_stamp_columns(),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_sync_tombstones_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sync_tombstones_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_tombstones")),
    )
    for column in ("area_id", "user_id", "sync_version", "sync_xid"):
        op.create_index(f"ix_sync_tombstones_{column}", "sync_tombstones", [column])
    op.create_index("ix_sync_tombstones_stream_record", "sync_tombstones", ["stream", "record_id"])


def downgrade() -> None:
    op.drop_table("sync_tombstones")
    for table in STAMPED:
        op.drop_index(f"ix_{table}_sync_xid", table_name=table)
        op.drop_index(f"ix_{table}_sync_version", table_name=table)
        # As in 0009: SQLite (3.35 and later) drops a plain column in place.
        op.execute(f"ALTER TABLE {table} DROP COLUMN sync_xid")
        op.execute(f"ALTER TABLE {table} DROP COLUMN sync_version")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE sync_version_seq")
