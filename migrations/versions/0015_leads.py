"""leads: help requests (畅通求助渠道), their contacts and the public lookups

Revision ID: 0015_leads
Revises: 0001
Create Date: 2026-11-29 23:00:00

Leads name their household and follow-up task as plain columns, so this branch depends
only on the platform's areas and users.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015_leads"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("leads",)
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


CHANNELS = ("hotline", "town_office", "village_cadre", "grid_worker", "online_form")
OUTCOMES = (
    "assistance_applied",
    "temporary_assistance_given",
    "referred",
    "not_eligible",
    "unreachable",
)


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("requester_name", sa.String(length=50), nullable=True),
        sa.Column("requester_phone", sa.String(length=20), nullable=True),
        sa.Column("about", sa.String(length=10), nullable=False),
        sa.Column("subject_name", sa.String(length=50), nullable=True),
        sa.Column("about_street_person", sa.Boolean(), nullable=False),
        sa.Column("reported_area_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("urgent_reasons", JSON, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("respond_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("at_risk_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_contact_kind", sa.String(length=10), nullable=True),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("outcome_detail", sa.String(length=500), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("tracking_code_hash", sa.String(length=64), nullable=True),
        sa.Column("submitter_hash", sa.String(length=64), nullable=True),
        sa.CheckConstraint("origin IN ('help_request')", name=op.f("ck_leads_origin")),
        sa.CheckConstraint(
            f"channel IS NULL OR {_in('channel', CHANNELS)}", name=op.f("ck_leads_channel")
        ),
        sa.CheckConstraint("urgency IN ('urgent', 'normal')", name=op.f("ck_leads_urgency")),
        sa.CheckConstraint(
            "queue IN ('town', 'county', 'rescue_centre')", name=op.f("ck_leads_queue")
        ),
        sa.CheckConstraint(
            "status IN ('received', 'assigned', 'visited', 'closed')", name=op.f("ck_leads_status")
        ),
        sa.CheckConstraint(
            f"outcome IS NULL OR {_in('outcome', OUTCOMES)}", name=op.f("ck_leads_outcome")
        ),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_leads_area_id_areas")),
        sa.ForeignKeyConstraint(
            ["reported_area_id"], ["areas.id"], name=op.f("fk_leads_reported_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_leads_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_leads_closed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("tracking_code_hash", name=op.f("uq_leads_tracking_code_hash")),
    )
    op.create_index(op.f("ix_leads_area_id"), "leads", ["area_id"], unique=False)
    op.create_index(op.f("ix_leads_household_id"), "leads", ["household_id"], unique=False)
    op.create_index("ix_leads_area_status", "leads", ["area_id", "status"], unique=False)
    op.create_index(
        "ix_leads_open_respond_by", "leads", ["first_contact_at", "respond_by"], unique=False
    )
    op.create_index(
        "ix_leads_phone_created", "leads", ["requester_phone", "created_at"], unique=False
    )
    op.create_index(
        "ix_leads_submitter_created", "leads", ["submitter_hash", "created_at"], unique=False
    )
    op.create_table(
        "lead_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('phone', 'visit')", name=op.f("ck_lead_contacts_kind")),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_lead_contacts_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_lead_contacts_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_contacts")),
    )
    op.create_index(op.f("ix_lead_contacts_lead_id"), "lead_contacts", ["lead_id"], unique=False)
    op.create_table(
        "lead_lookup_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitter_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_lookup_attempts")),
    )
    op.create_index(
        "ix_lead_lookup_attempts_submitter_at",
        "lead_lookup_attempts",
        ["submitter_hash", "at"],
        unique=False,
    )
    op.create_index(
        "ix_lead_lookup_attempts_code_at", "lead_lookup_attempts", ["code_hash", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("lead_lookup_attempts")
    op.drop_table("lead_contacts")
    op.drop_table("leads")
