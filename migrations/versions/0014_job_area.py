"""platform: outbox jobs carry the area of the record they act on

A failed job's row (``GET /jobs/failed``) is shown only to admins whose area contains the
job's; jobs over the whole register (sweeps, recurring jobs) have no area and are shown to
county-level admins only. Jobs stored before this migration have none either.

Revision ID: 0014_job_area
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_job_area"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite cannot add a foreign key to an existing table in place.
    with op.batch_alter_table("job_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("area_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_job_outbox_area_id_areas"), "areas", ["area_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_job_outbox_area_id"), ["area_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_outbox_area_id"))
        batch_op.drop_constraint(batch_op.f("fk_job_outbox_area_id_areas"), type_="foreignkey")
        batch_op.drop_column("area_id")
