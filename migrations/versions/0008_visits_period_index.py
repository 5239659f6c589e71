"""visits: one index for a period of visits, read without the table

The map layer (located visits of a period, newest first, in a bounding box) and coverage
(every visit of a period, counted by area and by household) both read a period of visits.
With only ``ix_visits_visited_at`` PostgreSQL visits one table page per row (a month's
visits lie all over the table). This index is ordered by (visited_at, id) and includes
every column those two read, so both are index-only scans; it replaces
``ix_visits_visited_at``, whose order it leads with, so a visit still costs one index
more than before, not two. (SQLite has no INCLUDE: there it is an ordinary index.)

The single-column indexes on ``household_id`` and ``area_id`` go too: the
(household_id, visited_at) and (area_id, visited_at) indexes answer everything they did,
and each index is paid for on every visit stored.

Revision ID: 0008_visits_period_index
Revises: 0007_visits_time_index
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_visits_period_index"
down_revision: str | None = "0007_visits_time_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_visits_period",
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
    )
    op.drop_index("ix_visits_visited_at", table_name="visits")
    op.drop_index("ix_visits_household_id", table_name="visits")
    op.drop_index("ix_visits_area_id", table_name="visits")


def downgrade() -> None:
    op.create_index("ix_visits_area_id", "visits", ["area_id"], unique=False)
    op.create_index("ix_visits_household_id", "visits", ["household_id"], unique=False)
    op.create_index("ix_visits_visited_at", "visits", ["visited_at"], unique=False)
    op.drop_index("ix_visits_period", table_name="visits")
