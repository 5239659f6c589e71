"""visits: each household's latest visit time, kept with the household (coverage)

Coverage needs every focus household's last visit. Aggregating it from all visits costs a
scan of the visits table; the write path keeps ``households.last_visited_at`` instead, and
this migration fills it from the visits already stored.

Revision ID: 0009_household_last_visit
Revises: 0008_visits_period_index
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_household_last_visit"
down_revision: str | None = "0008_visits_period_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "households", sa.Column("last_visited_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(
        "UPDATE households SET last_visited_at = "
        "(SELECT max(visits.visited_at) FROM visits WHERE visits.household_id = households.id)"
    )


def downgrade() -> None:
    # SQLite (3.35 and later) drops a plain column in place. A batch copy of the table
    # would not do on SpatiaLite: renaming the copy over households trips the foreign keys
    # that point at it.
    op.execute("ALTER TABLE households DROP COLUMN last_visited_at")
