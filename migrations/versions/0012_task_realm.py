"""tasks: each task's realm (who reads it), filled from what it is about

A task is read by the roles that read its subject (``api.auth.realms``): households and
visits are the outreach workers' realm, encounters, street people, residents and tracing
cases the rescue centre's, and what only supervisors read is ``supervision``. The column
is filled here from ``subject_kind`` (a photo's task by whether it has a household: only a
visit's photo has one), else from the kind, else from the role of who made it; an
escalation takes its parent's.

Revision ID: 0012_task_realm
Revises: 0005_tasks
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_task_realm"
down_revision: str | None = "0005_tasks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite adds a NOT NULL column only with a default; 'supervision' is also the
    # fail-closed realm of a row the statements below do not place.
    op.add_column(
        "tasks",
        sa.Column("realm", sa.String(length=20), nullable=False, server_default="supervision"),
    )
    op.execute(
        "UPDATE tasks SET realm = CASE "
        "WHEN subject_kind IN ('household', 'visit') THEN 'households' "
        "WHEN subject_kind IN ('encounter', 'person', 'resident', 'tracing_case') "
        "THEN 'rescue' "
        "WHEN subject_kind = 'photo' AND household_id IS NOT NULL THEN 'households' "
        "WHEN subject_kind = 'photo' THEN 'rescue' "
        "WHEN household_id IS NOT NULL "
        "OR kind IN ('assist_application', 'temporary_assistance', 'revisit') "
        "THEN 'households' "
        "WHEN kind IN ('return_visit', 'hospital_checkup', 'tracing_start', 'tracing_review') "
        "THEN 'rescue' "
        # About no record: the realm of the role of who made it (or holds it).
        "ELSE CASE (SELECT users.role FROM users "
        "WHERE users.id = COALESCE(tasks.created_by_id, tasks.assignee_id)) "
        "WHEN 'outreach_worker' THEN 'households' WHEN 'rescue_staff' THEN 'rescue' "
        "ELSE 'supervision' END END "
        "WHERE subject_kind IS NULL OR subject_kind <> 'task'"
    )
    op.execute(
        "UPDATE tasks SET realm = COALESCE("
        "(SELECT parent.realm FROM tasks AS parent WHERE parent.id = tasks.parent_id), "
        "'supervision') "
        "WHERE subject_kind = 'task'"
    )
    if op.get_bind().dialect.name == "postgresql":
        # Every path that makes a task names its realm; one that forgets fails.
        op.alter_column("tasks", "realm", server_default=None)


def downgrade() -> None:
    # As in 0009: SQLite (3.35 and later) drops a plain column in place.
    op.execute("ALTER TABLE tasks DROP COLUMN realm")
