"""visits: finer planner statistics on the names household search matches

With the default statistics target (100 histogram buckets) PostgreSQL estimates any name
prefix at about 1 % of the rows: ten times the real count for a common two-character name
on a county. The estimate decides the plan: expecting thousands of matches, it read every
household of the town and hashed them instead of fetching the few hundred matches by
primary key (50 ms instead of 10 on the county data set, bench/README.md). A target of
1000 brings the estimate within a few percent. PostgreSQL only: SQLite has no such setting.

Revision ID: 0011_name_statistics
Revises: 0010_household_search
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_name_statistics"
down_revision: str | None = "0010_household_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_COLUMNS = (("households", "head_name"), ("household_members", "name"))


def _set_statistics(target: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in NAME_COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS {target}")
        # The new target counts from the next ANALYZE; take it now rather than whenever
        # autovacuum next gets to the table.
        op.execute(f"ANALYZE {table} ({column})")


def upgrade() -> None:
    _set_statistics(1000)


def downgrade() -> None:
    _set_statistics(-1)  # back to default_statistics_target
