"""the end of retention: each hub's retention periods, legal holds on cases, and the review of
each closed case's (or declined referral's) records by data category

Revision ID: retention1
Revises: casereview2
Create Date: 2026-12-06 05:45:00

"""
import sqlalchemy as sa
from alembic import op

from hub.models.base import UTCDateTime

revision = "retention1"
down_revision = "casereview2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hub_retention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("months", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["hub_id"], ["hub.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hub_id"),
    )
    op.create_table(
        "legal_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("placed_at", UTCDateTime(), nullable=False),
        sa.Column("placed_by_id", sa.Integer(), nullable=True),
        sa.Column("lifted_at", UTCDateTime(), nullable=True),
        sa.Column("lifted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["placed_by_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["lifted_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_hold_case_id", "legal_hold", ["case_id"])
    op.create_table(
        "retention_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("refused", sa.String(length=20), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["hub_id"], ["hub.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "category"),
        sa.UniqueConstraint("referral_id", "category"),
    )
    op.create_index("ix_retention_review_hub_id", "retention_review", ["hub_id"])
    op.create_index("ix_retention_review_due_on", "retention_review", ["due_on"])


def downgrade():
    op.drop_table("retention_review")
    op.drop_table("legal_hold")
    op.drop_table("hub_retention")
