"""tasks: one open help-to-apply / temporary-assistance task per household and kind

The rules ``visit_screening`` and ``urgent_need`` opened a task for every visit; they now
note a later visit on the household's open task instead. Existing duplicates are merged
first: of the active tasks of one rule's kind for one household, the oldest stays open
and the others are cancelled with an outcome note naming it, and a ``merged`` entry in
their history (nothing is deleted). Then a partial UNIQUE index over the active tasks of
those rules keeps it so when two workers race.

Revision ID: 0016_task_one_open
Revises: 0012_task_realm
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_task_one_open"
down_revision: str | None = "0012_task_realm"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As api.casework.tasks.models.ONE_OPEN_WHERE (a migration does not import the models).
ONE_OPEN_WHERE = "status IN ('open', 'in_progress') AND rule IN ('visit_screening', 'urgent_need')"
# The task each merged one is merged into: the oldest active one of its kind and household.
KEPT = (
    "(SELECT MIN(kept.id) FROM tasks AS kept "
    "WHERE kept.kind = tasks.kind AND kept.household_id = tasks.household_id "
    "AND kept.status IN ('open', 'in_progress') "
    "AND kept.rule IN ('visit_screening', 'urgent_need'))"
)
MERGED = f"{ONE_OPEN_WHERE} AND household_id IS NOT NULL AND id <> {KEPT}"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    changes = '\'{"status": {"old": "\' || status || \'", "new": "cancelled"}}\''
    if postgresql:
        changes = f"CAST({changes} AS JSONB)"
    # The statements are built from this file's constants only (no input).
    op.execute(
        "INSERT INTO task_history (task_id, at, action, changes, note) "  # noqa: S608
        f"SELECT id, CURRENT_TIMESTAMP, 'merged', {changes}, "
        f"'merged into task #' || CAST({KEPT} AS VARCHAR) "
        f"FROM tasks WHERE {MERGED}"
    )
    op.execute(
        "UPDATE tasks SET status = 'cancelled', closed_at = CURRENT_TIMESTAMP, "  # noqa: S608
        "updated_at = CURRENT_TIMESTAMP, "
        "outcome_note = 'Merged into task #' || CAST("
        f"{KEPT} AS VARCHAR) || ': one open task per household for this rule.' "
        f"WHERE {MERGED}"
    )
    op.create_index(
        "uq_tasks_one_open_per_household",
        "tasks",
        ["kind", "household_id"],
        unique=True,
        postgresql_where=sa.text(ONE_OPEN_WHERE),
        sqlite_where=sa.text(ONE_OPEN_WHERE),
    )


def downgrade() -> None:
    # The merged tasks stay cancelled: their history says so.
    op.drop_index("uq_tasks_one_open_per_household", table_name="tasks")
