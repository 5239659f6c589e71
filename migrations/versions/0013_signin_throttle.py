"""auth: trusted devices and per-device login attempts (sign-in throttling)

Sign-in throttling slows untrusted devices only, so it needs to know, for each failed
attempt, which device tried and whether that device was trusted, and for each device
session whether it still earns trust (every sign-in ended withdraws it).

Revision ID: 0013_signin_throttle
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_signin_throttle"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("signin",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Devices signed in before this revision did sign in successfully: they are trusted.
    op.add_column(
        "device_sessions",
        sa.Column("trusted", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column("login_attempts", sa.Column("device_id", sa.String(length=128), nullable=True))
    op.add_column(
        "login_attempts",
        sa.Column("trusted_device", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # SQLite (3.35 and later) drops a plain column in place; see 0009 for why not a batch copy.
    op.execute("ALTER TABLE login_attempts DROP COLUMN trusted_device")
    op.execute("ALTER TABLE login_attempts DROP COLUMN device_id")
    op.execute("ALTER TABLE device_sessions DROP COLUMN trusted")
