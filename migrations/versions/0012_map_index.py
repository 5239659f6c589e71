"""visits: an index that answers the visits map layer by itself

The layer asks for the located visits of a period, newest first, in a bounding box. With
only ``ix_visits_visited_at`` and the GiST index, PostgreSQL visits one table page per
matching row (rows of a month lie all over the table); this index is ordered like the
layer and includes every column it sends, so an index-only scan reads the newest rows
until the limit is reached. (SQLite has no INCLUDE: there it is an ordinary index.)

Revision ID: 0012_map_index
Revises: 0007_visits_time_index
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_map_index"
down_revision: str | None = "0007_visits_time_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_visits_map",
        "visits",
        ["visited_at", "id"],
        unique=False,
        postgresql_include=[
            "location",
            "area_id",
            "household_id",
            "worker_id",
            "channel",
            "review_state",
            "presence_flagged",
            "presence_distance_m",
            "presence_reasons",
        ],
        postgresql_where=sa.text("location IS NOT NULL"),
        sqlite_where=sa.text("location IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_visits_map", table_name="visits")
