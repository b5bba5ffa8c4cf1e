"""victims and their SPoCs: each victim's contact needs, the SPoC's contact log, call-backs,
the milestones a victim was told of, and the hub's call-back cadence

Revision ID: victims1
Revises: defects1
Create Date: 2026-12-06 02:22:34.236980

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "victims1"
down_revision = "defects1"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")  # one open call-back per victim


def upgrade():
    op.create_table(
        "hub_victim_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("critical_days", sa.Integer(), nullable=False),
        sa.Column("high_days", sa.Integer(), nullable=False),
        sa.Column("medium_days", sa.Integer(), nullable=False),
        sa.Column("standard_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hub_id"],
            ["hub.id"],
            name=op.f("fk_hub_victim_settings_hub_id_hub"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_victim_settings")),
        sa.UniqueConstraint("hub_id", name=op.f("uq_hub_victim_settings_hub_id")),
    )
    op.create_table(
        "victim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("referral_person_id", sa.Integer(), nullable=True),
        sa.Column("spoc_user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("preferred_channel", sa.String(length=12), nullable=False),
        sa.Column("contact_times", sa.String(length=200), nullable=False),
        sa.Column("safe_to_leave_message", sa.Boolean(), nullable=True),
        sa.Column("safe_to_send_letter", sa.Boolean(), nullable=True),
        sa.Column("safety_notes", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=60), nullable=False),
        sa.Column("interpreter_needed", sa.Boolean(), nullable=False),
        sa.Column("access_needs", sa.Text(), nullable=False),
        sa.Column("support_in_place", sa.Text(), nullable=False),
        sa.Column("support_consent", sa.String(length=10), nullable=False),
        sa.Column("support_referred_to", sa.String(length=200), nullable=False),
        sa.Column("support_referred_on", sa.Date(), nullable=True),
        sa.Column("wants_updates", sa.Boolean(), nullable=False),
        sa.Column("satisfaction", sa.String(length=20), nullable=True),
        sa.Column("satisfaction_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("origin_agency_id", sa.Integer(), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_victim_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_victim_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["origin_agency_id"], ["agency.id"], name=op.f("fk_victim_origin_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["referral_person_id"],
            ["referral_person.id"],
            name=op.f("fk_victim_referral_person_id_referral_person"),
        ),
        sa.ForeignKeyConstraint(
            ["spoc_user_id"], ["user_account.id"], name=op.f("fk_victim_spoc_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victim")),
    )
    with op.batch_alter_table("victim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_victim_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_victim_origin_agency_id"), ["origin_agency_id"], unique=False
        )
        batch_op.create_index("ix_victim_spoc", ["spoc_user_id"], unique=False)

    op.create_table(
        "victim_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("victim_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("outcome", sa.String(length=14), nullable=False),
        sa.Column("made_by_id", sa.Integer(), nullable=False),
        sa.Column("reported", sa.Text(), nullable=False),
        sa.Column("told", sa.Text(), nullable=False),
        sa.Column("risk_now", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("form_token", sa.String(length=40), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("origin_agency_id", sa.Integer(), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
            name=op.f("fk_victim_contact_case_id_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["made_by_id"],
            ["user_account.id"],
            name=op.f("fk_victim_contact_made_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["origin_agency_id"],
            ["agency.id"],
            name=op.f("fk_victim_contact_origin_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["victim_id"],
            ["victim.id"],
            name=op.f("fk_victim_contact_victim_id_victim"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victim_contact")),
    )
    with op.batch_alter_table("victim_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_victim_contact_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_victim_contact_origin_agency_id"), ["origin_agency_id"], unique=False
        )
        batch_op.create_index("ix_victim_contact_victim_at", ["victim_id", "at"], unique=False)
        batch_op.create_index(
            "uq_victim_contact_form_token",
            ["case_id", "form_token"],
            unique=True,
            postgresql_where=sa.text("form_token IS NOT NULL"),
            sqlite_where=sa.text("form_token IS NOT NULL"),
        )

    op.create_table(
        "victim_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("victim_id", sa.Integer(), nullable=False),
        sa.Column("milestone", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("told_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("told_by_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("origin_agency_id", sa.Integer(), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_victim_update_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["origin_agency_id"],
            ["agency.id"],
            name=op.f("fk_victim_update_origin_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["told_by_id"],
            ["user_account.id"],
            name=op.f("fk_victim_update_told_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["victim_id"],
            ["victim.id"],
            name=op.f("fk_victim_update_victim_id_victim"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victim_update")),
        sa.UniqueConstraint(
            "victim_id", "milestone", name=op.f("uq_victim_update_victim_id_milestone")
        ),
    )
    with op.batch_alter_table("victim_update", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_victim_update_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_victim_update_origin_agency_id"), ["origin_agency_id"], unique=False
        )

    op.create_table(
        "victim_call_back",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("victim_id", sa.Integer(), nullable=False),
        sa.Column("spoc_user_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("scheduled_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("origin_agency_id", sa.Integer(), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
            name=op.f("fk_victim_call_back_case_id_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["victim_contact.id"],
            name=op.f("fk_victim_call_back_contact_id_victim_contact"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["origin_agency_id"],
            ["agency.id"],
            name=op.f("fk_victim_call_back_origin_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["scheduled_by_id"],
            ["user_account.id"],
            name=op.f("fk_victim_call_back_scheduled_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["spoc_user_id"],
            ["user_account.id"],
            name=op.f("fk_victim_call_back_spoc_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["victim_id"],
            ["victim.id"],
            name=op.f("fk_victim_call_back_victim_id_victim"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victim_call_back")),
    )
    with op.batch_alter_table("victim_call_back", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_victim_call_back_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_victim_call_back_origin_agency_id"), ["origin_agency_id"], unique=False
        )
        batch_op.create_index(
            "ix_victim_call_back_spoc_due", ["spoc_user_id", "status", "due_at"], unique=False
        )
        batch_op.create_index("ix_victim_call_back_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_victim_call_back_victim", ["victim_id", "status"], unique=False)
        batch_op.create_index(
            "uq_victim_call_back_open",
            ["victim_id"],
            unique=True,
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        )


def downgrade():
    with op.batch_alter_table("victim_call_back", schema=None) as batch_op:
        batch_op.drop_index("uq_victim_call_back_open", postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.drop_index("ix_victim_call_back_victim")
        batch_op.drop_index("ix_victim_call_back_status_due")
        batch_op.drop_index("ix_victim_call_back_spoc_due")
        batch_op.drop_index(batch_op.f("ix_victim_call_back_origin_agency_id"))
        batch_op.drop_index(batch_op.f("ix_victim_call_back_case_id"))

    op.drop_table("victim_call_back")
    with op.batch_alter_table("victim_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_victim_update_origin_agency_id"))
        batch_op.drop_index(batch_op.f("ix_victim_update_case_id"))

    op.drop_table("victim_update")
    with op.batch_alter_table("victim_contact", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_victim_contact_form_token",
            postgresql_where=sa.text("form_token IS NOT NULL"),
            sqlite_where=sa.text("form_token IS NOT NULL"),
        )
        batch_op.drop_index("ix_victim_contact_victim_at")
        batch_op.drop_index(batch_op.f("ix_victim_contact_origin_agency_id"))
        batch_op.drop_index(batch_op.f("ix_victim_contact_case_id"))

    op.drop_table("victim_contact")
    with op.batch_alter_table("victim", schema=None) as batch_op:
        batch_op.drop_index("ix_victim_spoc")
        batch_op.drop_index(batch_op.f("ix_victim_origin_agency_id"))
        batch_op.drop_index(batch_op.f("ix_victim_case_id"))

    op.drop_table("victim")
    op.drop_table("hub_victim_settings")
