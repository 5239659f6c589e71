"""matching: data matching and early warning (数据比对预警)

Sources (department list kinds), uploaded lists, their rows, warnings, review decisions
and rejected pairs; leads get a second origin, ``data_matching`` (an unmatched list row).

Revision ID: 0020_matching
Revises: 0015_leads
Create Date: 2026-11-30 01:51:06

Its own branch label, on top of the leads line (it widens ``leads.origin``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020_matching"
down_revision: str | None = "0015_leads"
branch_labels: str | Sequence[str] | None = ("matching",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "matching_rejected_pairs",
        sa.Column("row_key_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "row_key_hash", "member_id", name=op.f("pk_matching_rejected_pairs")
        ),
    )
    op.create_table(
        "matching_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("encoding", sa.String(length=10), nullable=False),
        sa.Column(
            "columns",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "rules",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("unmatched_leads", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "encoding IN ('auto', 'utf-8', 'gbk', 'gb18030')",
            name=op.f("ck_matching_sources_encoding"),
        ),
        sa.CheckConstraint(
            "kind IN ('medical_bills', 'unemployment', 'disability', 'deaths', 'utility_arrears', 'school_aid', 'other')",
            name=op.f("ck_matching_sources_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_matching_sources_area_id_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matching_sources")),
        sa.UniqueConstraint("code", name=op.f("uq_matching_sources_code")),
    )
    op.create_index(
        op.f("ix_matching_sources_area_id"), "matching_sources", ["area_id"], unique=False
    )
    op.create_table(
        "matching_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("file_format", sa.String(length=10), nullable=False),
        sa.Column("encoding", sa.String(length=10), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_bad", sa.Integer(), nullable=False),
        sa.Column("rows_matched", sa.Integer(), nullable=False),
        sa.Column("rows_review", sa.Integer(), nullable=False),
        sa.Column("rows_unmatched", sa.Integer(), nullable=False),
        sa.Column("warnings_raised", sa.Integer(), nullable=False),
        sa.Column("leads_made", sa.Integer(), nullable=False),
        sa.Column("rows_per_second", sa.Double(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')",
            name=op.f("ck_matching_lists_status"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_matching_lists_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["matching_sources.id"],
            name=op.f("fk_matching_lists_source_id_matching_sources"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_matching_lists_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matching_lists")),
        sa.UniqueConstraint("source_id", "file_sha256", name="source_file"),
    )
    op.create_index(op.f("ix_matching_lists_area_id"), "matching_lists", ["area_id"], unique=False)
    op.create_index(
        op.f("ix_matching_lists_source_id"), "matching_lists", ["source_id"], unique=False
    )
    op.create_table(
        "matching_list_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("id_number", sa.String(length=18), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=10), nullable=True),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.Column("place_area_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("row_key_hash", sa.String(length=64), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("unchanged", sa.Boolean(), nullable=False),
        sa.Column("bad_reason", sa.String(length=30), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "bad_reason IS NULL OR bad_reason IN ('missing_name', 'unreadable_id_number', 'unknown_village', 'unreadable_text', 'row_too_long', 'bad_date', 'bad_amount')",
            name=op.f("ck_matching_list_rows_bad"),
        ),
        sa.CheckConstraint(
            "status IN ('bad', 'matched', 'review', 'unmatched')",
            name=op.f("ck_matching_list_rows_status"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_matching_list_rows_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["matching_lists.id"],
            name=op.f("fk_matching_list_rows_list_id_matching_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["place_area_id"], ["areas.id"], name=op.f("fk_matching_list_rows_place_area_id_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matching_list_rows")),
        sa.UniqueConstraint("list_id", "row_no", name="list_row"),
    )
    op.create_index(
        op.f("ix_matching_list_rows_area_id"), "matching_list_rows", ["area_id"], unique=False
    )
    op.create_index(
        op.f("ix_matching_list_rows_household_id"),
        "matching_list_rows",
        ["household_id"],
        unique=False,
    )
    op.create_index(
        "ix_matching_list_rows_list_key",
        "matching_list_rows",
        ["list_id", "row_key_hash"],
        unique=False,
    )
    op.create_index(
        "ix_matching_list_rows_list_status",
        "matching_list_rows",
        ["list_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_matching_list_rows_member_id"), "matching_list_rows", ["member_id"], unique=False
    )
    op.create_table(
        "matching_review_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('accept', 'reject')", name=op.f("ck_matching_review_decisions_decision")
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_matching_review_decisions_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_matching_review_decisions_decided_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["row_id"],
            ["matching_list_rows.id"],
            name=op.f("fk_matching_review_decisions_row_id_matching_list_rows"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matching_review_decisions")),
    )
    op.create_index(
        op.f("ix_matching_review_decisions_area_id"),
        "matching_review_decisions",
        ["area_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_matching_review_decisions_row_id"),
        "matching_review_decisions",
        ["row_id"],
        unique=False,
    )
    op.create_table(
        "matching_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("rule_code", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("subject_name", sa.String(length=100), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('visit', 'review')", name=op.f("ck_matching_warnings_action")
        ),
        sa.CheckConstraint(
            "level IN ('red', 'orange', 'yellow')", name=op.f("ck_matching_warnings_level")
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_matching_warnings_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["matching_lists.id"],
            name=op.f("fk_matching_warnings_list_id_matching_lists"),
        ),
        sa.ForeignKeyConstraint(
            ["row_id"],
            ["matching_list_rows.id"],
            name=op.f("fk_matching_warnings_row_id_matching_list_rows"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["matching_sources.id"],
            name=op.f("fk_matching_warnings_source_id_matching_sources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matching_warnings")),
        sa.UniqueConstraint("row_id", "rule_code", name="row_rule"),
    )
    op.create_index(
        "ix_matching_warnings_area_created",
        "matching_warnings",
        ["area_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_matching_warnings_area_id"), "matching_warnings", ["area_id"], unique=False
    )
    op.create_index(
        op.f("ix_matching_warnings_household_id"),
        "matching_warnings",
        ["household_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_matching_warnings_list_id"), "matching_warnings", ["list_id"], unique=False
    )
    _lead_origins("origin IN ('help_request', 'data_matching')")


def _lead_origins(check: str) -> None:
    # SQLite cannot alter a CHECK: the batch recreates the table (PostgreSQL alters it).
    with op.batch_alter_table("leads") as batch:
        batch.drop_constraint(op.f("ck_leads_origin"), type_="check")
        batch.create_check_constraint("origin", check)


def downgrade() -> None:
    op.execute("DELETE FROM leads WHERE origin = 'data_matching'")
    _lead_origins("origin IN ('help_request')")
    op.drop_index(op.f("ix_matching_warnings_list_id"), table_name="matching_warnings")
    op.drop_index(op.f("ix_matching_warnings_household_id"), table_name="matching_warnings")
    op.drop_index(op.f("ix_matching_warnings_area_id"), table_name="matching_warnings")
    op.drop_index("ix_matching_warnings_area_created", table_name="matching_warnings")
    op.drop_table("matching_warnings")
    op.drop_index(
        op.f("ix_matching_review_decisions_row_id"), table_name="matching_review_decisions"
    )
    op.drop_index(
        op.f("ix_matching_review_decisions_area_id"), table_name="matching_review_decisions"
    )
    op.drop_table("matching_review_decisions")
    op.drop_index(op.f("ix_matching_list_rows_member_id"), table_name="matching_list_rows")
    op.drop_index("ix_matching_list_rows_list_status", table_name="matching_list_rows")
    op.drop_index("ix_matching_list_rows_list_key", table_name="matching_list_rows")
    op.drop_index(op.f("ix_matching_list_rows_household_id"), table_name="matching_list_rows")
    op.drop_index(op.f("ix_matching_list_rows_area_id"), table_name="matching_list_rows")
    op.drop_table("matching_list_rows")
    op.drop_index(op.f("ix_matching_lists_source_id"), table_name="matching_lists")
    op.drop_index(op.f("ix_matching_lists_area_id"), table_name="matching_lists")
    op.drop_table("matching_lists")
    op.drop_index(op.f("ix_matching_sources_area_id"), table_name="matching_sources")
    op.drop_table("matching_sources")
    op.drop_table("matching_rejected_pairs")
