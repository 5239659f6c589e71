"""auth: a temporary password set by an admin must be changed by its user

An admin's password reset (a lost phone, a forgotten password) gives the user a temporary
password; until they choose their own, their sign-in may only change it.

Revision ID: 0018_password_reset
Revises: 0013_signin_throttle
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_password_reset"
down_revision: str | None = "0013_signin_throttle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # SQLite (3.35 and later) drops a plain column in place; see 0009 for why not a batch copy.
    op.execute("ALTER TABLE users DROP COLUMN must_change_password")
