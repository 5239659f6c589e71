"""visits: name search led by the area (members carry their household's area)

``GET /households?q=`` matches the start of the head's or a member's name. Its indexes
were on the name alone, so a common name was fetched everywhere it occurs (every county
of a province) before the caller's jurisdiction, a few villages, was applied. The
jurisdiction filters by area id (``area_id IN`` the ids of the caller's subtree,
``api.areas.scope``), so the indexes now lead with the area id and the name follows
(``varchar_pattern_ops`` on PostgreSQL, for ``LIKE 'q%'`` under a non-C collation):
one short index range per area of the caller.

Members had no area: ``household_members.area_id`` is added, the household's area,
copied here and kept by the write path (``api.visits.models``). On SQLite the column
stays nullable and without its foreign key (adding either there means rebuilding the
table); the write path fills it all the same.

Revision ID: 0024_area_led_name_search
Revises: 0023_coverage_summary
Create Date: 2026-11-30 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_area_led_name_search"
down_revision: str | None = "0023_coverage_summary"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEMBER_AREA_FK = "fk_household_members_area_id_areas"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.add_column("household_members", sa.Column("area_id", sa.Integer(), nullable=True))
    # The indexes before the copy: built after an UPDATE of every row in the same
    # transaction, PostgreSQL would not let a query use the members' index until every
    # transaction older than this one has ended (pg_index.indcheckxmin).
    op.drop_index("ix_household_members_name_prefix", table_name="household_members")
    op.drop_index("ix_households_head_name_prefix", table_name="households")
    op.create_index(
        "ix_household_members_area_name_prefix",
        "household_members",
        ["area_id", "name"],
        postgresql_ops={"name": "varchar_pattern_ops"},
        postgresql_include=["household_id"],
    )
    op.create_index(
        "ix_households_area_head_name_prefix",
        "households",
        ["area_id", "head_name"],
        postgresql_ops={"head_name": "varchar_pattern_ops"},
    )
    if _postgresql():
        op.execute(
            "UPDATE household_members m SET area_id = h.area_id"
            " FROM households h WHERE h.id = m.household_id"
        )
        op.alter_column("household_members", "area_id", nullable=False)
        op.create_foreign_key(MEMBER_AREA_FK, "household_members", "areas", ["area_id"], ["id"])
        op.execute("ANALYZE household_members")
    else:
        op.execute(
            "UPDATE household_members SET area_id ="
            " (SELECT area_id FROM households WHERE households.id = household_members.household_id)"
        )


def downgrade() -> None:
    op.drop_index("ix_households_area_head_name_prefix", table_name="households")
    op.drop_index("ix_household_members_area_name_prefix", table_name="household_members")
    op.create_index(
        "ix_households_head_name_prefix",
        "households",
        ["head_name"],
        postgresql_ops={"head_name": "varchar_pattern_ops"},
    )
    op.create_index(
        "ix_household_members_name_prefix",
        "household_members",
        ["name"],
        postgresql_ops={"name": "varchar_pattern_ops"},
    )
    if _postgresql():
        op.drop_constraint(MEMBER_AREA_FK, "household_members", type_="foreignkey")
    with op.batch_alter_table("household_members") as batch_op:
        batch_op.drop_column("area_id")
