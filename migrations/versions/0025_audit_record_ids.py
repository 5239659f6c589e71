"""audit: one entry may name several records (a sync batch's visits)

A phone's sync batch of up to 200 visits is audited by one entry naming every visit it
created (``record_ids``), instead of one entry per visit. Reading the log by record finds
such an entry too; on PostgreSQL through a GIN index on the list.

Revision ID: 0025_audit_record_ids
Revises: 0018_password_reset
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0025_audit_record_ids"
down_revision: str | None = "0018_password_reset"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "audit_entries",
        sa.Column(
            "record_ids",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True), "postgresql"
            ),
            nullable=True,
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_audit_entries_record_ids",
            "audit_entries",
            ["record_ids"],
            postgresql_using="gin",
            postgresql_ops={"record_ids": "jsonb_path_ops"},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_audit_entries_record_ids", table_name="audit_entries")
    # SQLite (3.35 and later) drops a plain column in place; see 0009 for why not a batch copy.
    op.execute("ALTER TABLE audit_entries DROP COLUMN record_ids")
