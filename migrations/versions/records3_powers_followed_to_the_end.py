"""powers followed to the end: an intervention's lifecycle status, court and hearing, each step
taken, a structured breach log

Revision ID: records3
Revises: records2
Create Date: 2026-12-06 03:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "records3"
down_revision = "records2"
branch_labels = None
depends_on = None

TOKEN = sa.text("form_token IS NOT NULL")


def upgrade():
    with op.batch_alter_table("intervention", schema=None) as batch_op:
        # Every intervention recorded before the lifecycle was a power in use.
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), server_default="served", nullable=False)
        )
        batch_op.add_column(
            sa.Column("court", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("hearing_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("order_kind", sa.String(length=8), nullable=True))
    op.create_table(
        "power_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intervention_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("court", sa.String(length=200), nullable=False),
        sa.Column("hearing_on", sa.Date(), nullable=True),
        sa.Column("order_kind", sa.String(length=8), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["intervention_id"], ["intervention.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("power_step", schema=None) as batch_op:
        batch_op.create_index("ix_power_step_intervention", ["intervention_id", "id"])
    op.create_table(
        "power_breach",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intervention_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("action_taken", sa.Text(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("form_token", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["intervention_id"], ["intervention.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("power_breach", schema=None) as batch_op:
        batch_op.create_index(
            "ix_power_breach_intervention", ["intervention_id", "occurred_on"]
        )
        batch_op.create_index(
            "uq_power_breach_form_token",
            ["case_id", "form_token"],
            unique=True,
            postgresql_where=TOKEN,
            sqlite_where=TOKEN,
        )


def downgrade():
    with op.batch_alter_table("power_breach", schema=None) as batch_op:
        batch_op.drop_index("uq_power_breach_form_token")
        batch_op.drop_index("ix_power_breach_intervention")
    op.drop_table("power_breach")
    with op.batch_alter_table("power_step", schema=None) as batch_op:
        batch_op.drop_index("ix_power_step_intervention")
    op.drop_table("power_step")
    with op.batch_alter_table("intervention", schema=None) as batch_op:
        batch_op.drop_column("order_kind")
        batch_op.drop_column("hearing_on")
        batch_op.drop_column("court")
        batch_op.drop_column("status")
