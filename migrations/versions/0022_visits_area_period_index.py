"""visits: an area-led index for a period of an area's visits, read without the table

The map layer and coverage ask for the visits of one area's subtree (a county, a town) in
a period. ``ix_visits_period`` (0008) is ordered by time alone: on a province it holds
every county's visits of the month, and a county's map read ten times the index entries
it read on a county data set (bench/README.md, benchmark 10). This index leads with the
visit's area (a village), then the time, and includes the columns the map layer and
coverage read: a county's month is its villages' ranges, whatever else the table holds.

It replaces ``ix_visits_area_visited_at``, whose columns it leads with, so a visit costs
no more indexes than before. (SQLite has no INCLUDE: there it is an ordinary index.)
On PostgreSQL the build of a large table gets more sorting memory than the default.

Revision ID: 0022_visits_area_period_index
Revises: 0019_register_people
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_visits_area_period_index"
down_revision: str | None = "0019_register_people"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As ix_visits_period's (0008): what the map layer and coverage read of a visit.
INCLUDED = [
    "location",
    "household_id",
    "worker_id",
    "channel",
    "review_state",
    "presence_flagged",
    "presence_distance_m",
    "presence_reasons",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # For this transaction only: sorting 20 M entries in memory, not in temporary files.
        op.execute("SET LOCAL maintenance_work_mem = '1GB'")
    op.create_index(
        "ix_visits_area_period",
        "visits",
        ["area_id", "visited_at", "id"],
        unique=False,
        postgresql_include=INCLUDED,
    )
    op.drop_index("ix_visits_area_visited_at", table_name="visits")


def downgrade() -> None:
    op.create_index("ix_visits_area_visited_at", "visits", ["area_id", "visited_at"], unique=False)
    op.drop_index("ix_visits_area_period", table_name="visits")
