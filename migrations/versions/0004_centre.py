"""centre: residents, open-day events, family tracing

Revision ID: 0004_centre
Revises: 0001
Depends on: 0003_patrols (encounters, street_people)
Create Date: 2026-11-29 08:59:13.354080
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_centre"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("centre",)
# residents.encounter_id / street_person_id reference the patrols branch's tables.
depends_on: str | Sequence[str] | None = ("0003_patrols",)


def upgrade() -> None:
    op.create_table(
        "open_day_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("client_uuid", sa.String(length=36), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=True),
        sa.Column("visitor_count", sa.Integer(), nullable=True),
        sa.Column(
            "groups",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "activities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "media_coverage",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "visitor_count IS NULL OR visitor_count >= 0",
            name=op.f("ck_open_day_events_visitor_count"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_open_day_events_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_open_day_events_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_day_events")),
        sa.UniqueConstraint("client_uuid", name=op.f("uq_open_day_events_client_uuid")),
    )
    with op.batch_alter_table("open_day_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_open_day_events_area_held_on", ["area_id", "held_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_open_day_events_area_id"), ["area_id"], unique=False)

    op.create_table(
        "residents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("client_uuid", sa.String(length=36), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("admission_route", sa.String(length=20), nullable=False),
        sa.Column("encounter_id", sa.Integer(), nullable=True),
        sa.Column("street_person_id", sa.Integer(), nullable=True),
        sa.Column("admission_notes", sa.Text(), nullable=True),
        sa.Column("stated_name", sa.String(length=100), nullable=True),
        sa.Column("stated_home_place", sa.String(length=255), nullable=True),
        sa.Column("dialect", sa.String(length=100), nullable=True),
        sa.Column("id_number", sa.String(length=18), nullable=True),
        sa.Column("sex", sa.String(length=10), nullable=False),
        sa.Column("estimated_birth_year", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("physical_marks", sa.Text(), nullable=True),
        sa.Column("health", sa.Text(), nullable=True),
        sa.Column(
            "belongings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("bed", sa.String(length=40), nullable=True),
        sa.Column("discharged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discharge_reason", sa.String(length=20), nullable=True),
        sa.Column("discharge_destination", sa.String(length=255), nullable=True),
        sa.Column("discharge_notes", sa.Text(), nullable=True),
        sa.Column("discharged_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "admission_route IN ('patrol_escort', 'police', 'hospital', 'walk_in', 'other')",
            name=op.f("ck_residents_admission_route"),
        ),
        sa.CheckConstraint(
            "discharge_reason IS NULL OR discharge_reason IN ('returned_home', 'family_collected', 'settled_locally', 'transferred', 'left', 'died')",
            name=op.f("ck_residents_discharge_reason"),
        ),
        sa.CheckConstraint("sex IN ('male', 'female', 'unknown')", name=op.f("ck_residents_sex")),
        sa.CheckConstraint(
            "(discharged_at IS NULL AND discharge_reason IS NULL) OR (discharged_at IS NOT NULL AND discharge_reason IS NOT NULL)",
            name=op.f("ck_residents_discharge_complete"),
        ),
        sa.CheckConstraint(
            "discharged_at IS NULL OR discharged_at >= admitted_at",
            name=op.f("ck_residents_discharge_after_admission"),
        ),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_residents_area_id_areas")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_residents_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["discharged_by_id"], ["users.id"], name=op.f("fk_residents_discharged_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"], ["encounters.id"], name=op.f("fk_residents_encounter_id_encounters")
        ),
        sa.ForeignKeyConstraint(
            ["street_person_id"],
            ["street_people.id"],
            name=op.f("fk_residents_street_person_id_street_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residents")),
        sa.UniqueConstraint("client_uuid", name=op.f("uq_residents_client_uuid")),
        sa.UniqueConstraint("encounter_id", name=op.f("uq_residents_encounter_id")),
    )
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_residents_area_admitted_at", ["area_id", "admitted_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_residents_area_id"), ["area_id"], unique=False)
        batch_op.create_index("ix_residents_discharged_at", ["discharged_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_residents_id_number"), ["id_number"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_residents_street_person_id"), ["street_person_id"], unique=False
        )

    op.create_table(
        "tracing_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_reason", sa.String(length=40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_on", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("reunion_kind", sa.String(length=20), nullable=True),
        sa.Column("collected_by", sa.String(length=200), nullable=True),
        sa.Column("collector_relationship", sa.String(length=100), nullable=True),
        sa.Column("destination", sa.String(length=255), nullable=True),
        sa.Column("settled_place", sa.String(length=255), nullable=True),
        sa.Column("settlement_programme", sa.String(length=200), nullable=True),
        sa.Column("outcome_notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "reunion_kind IS NULL OR reunion_kind IN ('family_collected', 'returned_home')",
            name=op.f("ck_tracing_cases_reunion_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'searching', 'lead_found', 'verifying', 'reunited', 'settled_locally', 'closed_other')",
            name=op.f("ck_tracing_cases_status"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_tracing_cases_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_tracing_cases_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["users.id"], name=op.f("fk_tracing_cases_opened_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_tracing_cases_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracing_cases")),
    )
    with op.batch_alter_table("tracing_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracing_cases_area_id"), ["area_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_tracing_cases_resident_id"), ["resident_id"], unique=False
        )
        batch_op.create_index(
            "ix_tracing_cases_status_last_activity", ["status", "last_activity_on"], unique=False
        )
        batch_op.create_index(
            "uq_tracing_cases_open_resident",
            ["resident_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('open', 'searching', 'lead_found', 'verifying')"),
            sqlite_where=sa.text("status IN ('open', 'searching', 'lead_found', 'verifying')"),
        )

    op.create_table(
        "tracing_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("client_uuid", sa.String(length=36), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column("performed_by_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("published_in", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind <> 'media_appeal' OR published_in IS NOT NULL",
            name=op.f("ck_tracing_actions_media_appeal_where"),
        ),
        sa.CheckConstraint(
            "kind IN ('dna_sample_taken', 'dna_match_requested', 'police_database_check', 'face_comparison', 'media_appeal', 'phone_call', 'field_trip', 'document_check', 'other')",
            name=op.f("ck_tracing_actions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_tracing_actions_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["tracing_cases.id"], name=op.f("fk_tracing_actions_case_id_tracing_cases")
        ),
        sa.ForeignKeyConstraint(
            ["performed_by_id"], ["users.id"], name=op.f("fk_tracing_actions_performed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracing_actions")),
        sa.UniqueConstraint("client_uuid", name=op.f("uq_tracing_actions_client_uuid")),
    )
    with op.batch_alter_table("tracing_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracing_actions_area_id"), ["area_id"], unique=False)
        batch_op.create_index(
            "ix_tracing_actions_case_performed_on", ["case_id", "performed_on"], unique=False
        )

    op.create_table(
        "tracing_leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=255), nullable=True),
        sa.Column("contact_name", sa.String(length=100), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("relation_to_resident", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('new', 'checking', 'confirmed', 'ruled_out')",
            name=op.f("ck_tracing_leads_status"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_tracing_leads_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["tracing_cases.id"], name=op.f("fk_tracing_leads_case_id_tracing_cases")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_tracing_leads_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracing_leads")),
    )
    with op.batch_alter_table("tracing_leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracing_leads_area_id"), ["area_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tracing_leads_case_id"), ["case_id"], unique=False)

    op.create_table(
        "tracing_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_tracing_status_changes_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["tracing_cases.id"],
            name=op.f("fk_tracing_status_changes_case_id_tracing_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_tracing_status_changes_changed_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracing_status_changes")),
    )
    with op.batch_alter_table("tracing_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tracing_status_changes_area_id"), ["area_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_tracing_status_changes_case_id"), ["case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tracing_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracing_status_changes_case_id"))
        batch_op.drop_index(batch_op.f("ix_tracing_status_changes_area_id"))

    op.drop_table("tracing_status_changes")
    with op.batch_alter_table("tracing_leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracing_leads_case_id"))
        batch_op.drop_index(batch_op.f("ix_tracing_leads_area_id"))

    op.drop_table("tracing_leads")
    with op.batch_alter_table("tracing_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_tracing_actions_case_performed_on")
        batch_op.drop_index(batch_op.f("ix_tracing_actions_area_id"))

    op.drop_table("tracing_actions")
    with op.batch_alter_table("tracing_cases", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_tracing_cases_open_resident",
            postgresql_where=sa.text("status IN ('open', 'searching', 'lead_found', 'verifying')"),
            sqlite_where=sa.text("status IN ('open', 'searching', 'lead_found', 'verifying')"),
        )
        batch_op.drop_index("ix_tracing_cases_status_last_activity")
        batch_op.drop_index(batch_op.f("ix_tracing_cases_resident_id"))
        batch_op.drop_index(batch_op.f("ix_tracing_cases_area_id"))

    op.drop_table("tracing_cases")
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_residents_street_person_id"))
        batch_op.drop_index(batch_op.f("ix_residents_id_number"))
        batch_op.drop_index("ix_residents_discharged_at")
        batch_op.drop_index(batch_op.f("ix_residents_area_id"))
        batch_op.drop_index("ix_residents_area_admitted_at")

    op.drop_table("residents")
    with op.batch_alter_table("open_day_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open_day_events_area_id"))
        batch_op.drop_index("ix_open_day_events_area_held_on")

    op.drop_table("open_day_events")
