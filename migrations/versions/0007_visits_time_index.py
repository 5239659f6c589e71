"""visits: an index on the visit time alone (map layers and exports over a period)

Revision ID: 0007_visits_time_index
Revises: 0002_visits
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_visits_time_index"
down_revision: str | None = "0002_visits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_visits_visited_at", "visits", ["visited_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_visits_visited_at", table_name="visits")
