"""letters on a case, made from the hub's templates and kept as issued

Revision ID: records4
Revises: records3
Create Date: 2026-12-06 03:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = "records4"
down_revision = "records3"
branch_labels = None
depends_on = None

TOKEN = sa.text("form_token IS NOT NULL")


def upgrade():
    op.create_table(
        "case_letter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("recipient_address", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("signed_by", sa.String(length=200), nullable=False),
        sa.Column("intervention_id", sa.Integer(), nullable=True),
        sa.Column("letter_date", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("form_token", sa.String(length=40), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("origin_agency_id", sa.Integer(), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["intervention_id"], ["intervention.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["origin_agency_id"], ["agency.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_letter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_letter_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_letter_origin_agency_id"), ["origin_agency_id"], unique=False
        )
        batch_op.create_index(
            "uq_case_letter_form_token",
            ["case_id", "form_token"],
            unique=True,
            postgresql_where=TOKEN,
            sqlite_where=TOKEN,
        )


def downgrade():
    with op.batch_alter_table("case_letter", schema=None) as batch_op:
        batch_op.drop_index("uq_case_letter_form_token")
        batch_op.drop_index(batch_op.f("ix_case_letter_origin_agency_id"))
        batch_op.drop_index(batch_op.f("ix_case_letter_case_id"))
    op.drop_table("case_letter")
