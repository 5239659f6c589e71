"""desksup: rule-made task titles in Chinese only

Until now the rules titled their tasks in Chinese and English ("定期回访 Revisit a household
under monitoring"); supervisors read them, and export them, in Chinese only. The stored
titles of rule-made tasks lose their English part (made-by-hand titles are left as typed),
each change stamped for the phones' delta sync as the models would stamp it.

Revision ID: 0021_task_titles
Revises: 0017_sync
Create Date: 2026-11-30 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_task_titles"
down_revision: str | None = "0017_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (old text, new text), in this order: a help request's titles first (their English part
# sits in the middle), an escalation's "Overdue: " last (it wraps another task's title).
REPLACEMENTS = (
    (" Help request not answered in time: #", "：#"),
    ("急难求助 Urgent help request #", "急难求助 #"),
    ("求助 Help request #", "求助 #"),
    (": 联系求助人 contact the person", "：联系求助人"),
    (" Temporary assistance", ""),
    (" Review a visit flagged by the presence check", ""),
    (" Review a photo flagged by the presence check", ""),
    (" Revisit a household under monitoring", ""),
    (" Return to a vulnerable person who refused aid", ""),
    (" Check on a person sent to hospital", ""),
    (" Start family tracing for a long-stay resident", ""),
    (" Review a tracing case with no recent action", ""),
    (" Help the household apply for dibao", ""),
    (" Help apply for marginal recognition", ""),
    (" Help apply for expenditure_hardship recognition", ""),
    (" Review a possible duplicate registered in two areas", ""),
    (" Overdue: ", "："),
)
# The tables stamped by the sync clock (api.common.sync_clock), as of 0017.
STAMPED = ("households", "tasks", "sync_tombstones")


def _stamps(dialect: str) -> tuple[str, str]:
    """SQL for the next sync stamp and the writing transaction, as the models write them."""
    if dialect == "postgresql":
        return "nextval('sync_version_seq')", "CAST(CAST(pg_current_xact_id() AS TEXT) AS BIGINT)"
    highest = " UNION ALL ".join(f"SELECT max(sync_version) AS v FROM {t}" for t in STAMPED)  # noqa: S608
    return f"((SELECT coalesce(max(v), 0) FROM ({highest})) + 1)", "0"  # noqa: S608


def upgrade() -> None:
    version, xid = _stamps(op.get_bind().dialect.name)
    for old, new in REPLACEMENTS:
        op.get_bind().execute(
            sa.text(
                f"UPDATE tasks SET title = REPLACE(title, :old, :new), "  # noqa: S608
                f"sync_version = {version}, sync_xid = {xid} "
                "WHERE rule <> 'manual' AND REPLACE(title, :old, :new) <> title"
            ),
            {"old": old, "new": new},
        )


def downgrade() -> None:
    # The English parts are not kept anywhere: the titles stay Chinese.
    pass
