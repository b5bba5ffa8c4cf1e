"""case deadlines: a case's conference deadline, set when it opens or its band is raised,
drives conferences and the timeliness record as a referral's does; a breach reason may be a
case deadline's; a coordinator's band at triage with its reason; "don't know" risk answers;
a referral's incident category, ASB type, hate strands and crime reference, by its hub's lists;
every ruleset version a hub has used

Revision ID: escalation1
Revises: victims1
Create Date: 2026-12-06 02:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "escalation1"
down_revision = "victims1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_deadline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(length=10), nullable=False),
        sa.Column("due_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_deadline_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["hub_id"], ["hub.id"], name=op.f("fk_case_deadline_hub_id_hub")),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referral.id"],
            name=op.f("fk_case_deadline_referral_id_referral"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["user_account.id"], name=op.f("fk_case_deadline_set_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_deadline")),
    )
    with op.batch_alter_table("case_deadline", schema=None) as batch_op:
        batch_op.create_index(op.f("ix_case_deadline_case_id"), ["case_id"], unique=False)
        batch_op.create_index(op.f("ix_case_deadline_referral_id"), ["referral_id"], unique=False)
        batch_op.create_index("ix_case_deadline_hub_due", ["hub_id", "due_by"], unique=False)
    # Open cases carry the deadline they were opened with, so one already raised or still
    # awaiting its first conference is convened for like any other.
    op.execute(
        sa.text(
            "INSERT INTO case_deadline (case_id, hub_id, band, due_by, set_at, source) "
            "SELECT id, hub_id, band, conference_due_by, opened_at, 'intake' FROM \"case\" "
            "WHERE stage <> 'closed' AND conference_due_by IS NOT NULL"
        )
    )
    with op.batch_alter_table("conference_deadline_breach", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_deadline_id", sa.Integer(), nullable=True))
        batch_op.alter_column("referral_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            op.f("fk_conference_deadline_breach_case_deadline_id_case_deadline"),
            "case_deadline",
            ["case_deadline_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(
            op.f("uq_conference_deadline_breach_case_deadline_id"), ["case_deadline_id"]
        )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("triage_band", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("triage_band_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("risk_unknown", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("incident_category", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("asb_type", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("hate_strands", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("crime_reference", sa.String(length=40), nullable=True))
    with op.batch_alter_table("hub_scoring_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("classification", sa.JSON(), nullable=True))
    op.create_table(
        "hub_ruleset_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("ruleset", sa.JSON(), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hub_id"],
            ["hub.id"],
            name=op.f("fk_hub_ruleset_version_hub_id_hub"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["saved_by_id"],
            ["user_account.id"],
            name=op.f("fk_hub_ruleset_version_saved_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_ruleset_version")),
        sa.UniqueConstraint("hub_id", "version", name=op.f("uq_hub_ruleset_version_hub_id_version")),
    )
    with op.batch_alter_table("hub_ruleset_version", schema=None) as batch_op:
        batch_op.create_index(op.f("ix_hub_ruleset_version_hub_id"), ["hub_id"], unique=False)


def downgrade():
    with op.batch_alter_table("hub_ruleset_version", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_hub_ruleset_version_hub_id"))
    op.drop_table("hub_ruleset_version")
    with op.batch_alter_table("hub_scoring_settings", schema=None) as batch_op:
        batch_op.drop_column("classification")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("crime_reference")
        batch_op.drop_column("hate_strands")
        batch_op.drop_column("asb_type")
        batch_op.drop_column("incident_category")
        batch_op.drop_column("risk_unknown")
        batch_op.drop_column("triage_band_reason")
        batch_op.drop_column("triage_band")
    op.execute(sa.text("DELETE FROM conference_deadline_breach WHERE referral_id IS NULL"))
    with op.batch_alter_table("conference_deadline_breach", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_conference_deadline_breach_case_deadline_id"), type_="unique")
        batch_op.drop_constraint(op.f("fk_conference_deadline_breach_case_deadline_id_case_deadline"), type_="foreignkey")
        batch_op.alter_column("referral_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("case_deadline_id")
    with op.batch_alter_table("case_deadline", schema=None) as batch_op:
        batch_op.drop_index("ix_case_deadline_hub_due")
        batch_op.drop_index(op.f("ix_case_deadline_referral_id"))
        batch_op.drop_index(op.f("ix_case_deadline_case_id"))
    op.drop_table("case_deadline")
