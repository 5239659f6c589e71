"""visits: the coverage summary, each ended month's coverage figures per area

A county's coverage of a month read every focus household and the month's visits (≈ 0.5 s,
≈ 3 s on a province). ``coverage_months`` keeps those figures per area for every month that
has ended, and ``coverage_closed_months`` says which months it holds and with which zone
and cadences (``api.visits.coverage.summary`` says what keeps it right). This migration
fills it from the visits already stored, with the code that the write path and
``flask coverage rebuild`` use, so the three cannot disagree.

The report's other figures are the open tasks per area; a supervisor reads only some task
realms, and ``ix_tasks_area_status_due`` did not hold ``realm``, so counting a county's
open tasks fetched each one from the table (≈ 25,000 rows, 50–75 ms on a loaded machine).
On PostgreSQL the index now carries it (``INCLUDE``): an index-only count.

Revision ID: 0023_coverage_summary
Revises: 0022_visits_area_period_index
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_coverage_summary"
down_revision: str | None = "0022_visits_area_period_index"
branch_labels: str | Sequence[str] | None = None
# The tasks index below reads tasks.realm.
depends_on: str | Sequence[str] | None = "0012_task_realm"

FIGURES = (
    "visited",
    "overdue",
    "never_visited",
    "up_to_date",
    "visited_in_person",
    "visits",
    "visits_in_person",
    "flagged_visits",
    "flagged_pending_review",
)


def upgrade() -> None:
    op.create_table(
        "coverage_months",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in FIGURES],
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_coverage_months_area_id_areas")
        ),
        sa.PrimaryKeyConstraint("month", "area_id", name=op.f("pk_coverage_months")),
    )
    op.create_table(
        "coverage_closed_months",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("monitored_days", sa.Integer(), nullable=False),
        sa.Column("default_days", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_coverage_closed_months")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_tasks_area_status_due", table_name="tasks")
        op.create_index(
            "ix_tasks_area_status_due",
            "tasks",
            ["area_id", "status", "due_on"],
            postgresql_include=["realm"],
        )
    # The application's own code (the same statements as the write path's), reading only
    # columns that exist at this revision.
    from api.visits.coverage import summary

    summary.close_months(db=op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_tasks_area_status_due", table_name="tasks")
        op.create_index("ix_tasks_area_status_due", "tasks", ["area_id", "status", "due_on"])
    op.drop_table("coverage_closed_months")
    op.drop_table("coverage_months")
