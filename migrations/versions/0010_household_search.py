"""visits: indexes for household search by the start of a name

``GET /households?q=`` matches the start of the head's or a member's name
(``LIKE 'q%'``). The database's collation is not ``C``, so a plain btree index on the
name cannot answer ``LIKE``; on PostgreSQL these indexes use ``varchar_pattern_ops``
(byte order), which can. (SQLite: ordinary indexes.)

Revision ID: 0010_household_search
Revises: 0009_household_last_visit
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_household_search"
down_revision: str | None = "0009_household_last_visit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_households_head_name_prefix",
        "households",
        ["head_name"],
        unique=False,
        postgresql_ops={"head_name": "varchar_pattern_ops"},
    )
    op.create_index(
        "ix_household_members_name_prefix",
        "household_members",
        ["name"],
        unique=False,
        postgresql_ops={"name": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_household_members_name_prefix", table_name="household_members")
    op.drop_index("ix_households_head_name_prefix", table_name="households")
