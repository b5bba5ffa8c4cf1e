"""ASB case reviews finished (issue 14): each review's timescales, the victim's account, the
independent chair, recommendations as actions and an appeal; complaints recorded by an agency;
each hub's timescales

Revision ID: casereview2
Revises: lessonshare1
Create Date: 2026-12-06 05:40:00

"""
import sqlalchemy as sa
from alembic import op

from hub.models.base import UTCDateTime

revision = "casereview2"
down_revision = "lessonshare1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("case_review", schema=None) as batch_op:
        for name in (
            "acknowledged_on",
            "held_on",
            "outcome_sent_on",
            "victim_invited_on",
            "victim_account_on",
            "appeal_lodged_on",
            "appeal_decided_on",
        ):
            batch_op.add_column(sa.Column(name, sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("victim_account", sa.String(length=10), nullable=True))
        for name in ("chair_name", "chair_role", "appeal_chair_name", "appeal_chair_role"):
            batch_op.add_column(
                sa.Column(name, sa.String(length=120), nullable=False, server_default="")
            )
        batch_op.add_column(sa.Column("chair_agency_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("appeal_upheld", sa.Boolean(), nullable=True))
        batch_op.create_foreign_key(
            "fk_case_review_chair_agency_id_agency", "agency", ["chair_agency_id"], ["id"]
        )

    op.create_table(
        "case_review_recommendation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_review_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["case_action.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["case_review_id"], ["case_review.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("action_id"),
    )
    op.create_index(
        "ix_case_review_recommendation_case_review_id",
        "case_review_recommendation",
        ["case_review_id"],
    )

    op.create_table(
        "hub_case_review_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("acknowledge_days", sa.Integer(), nullable=False),
        sa.Column("decision_days", sa.Integer(), nullable=False),
        sa.Column("meeting_days", sa.Integer(), nullable=False),
        sa.Column("outcome_days", sa.Integer(), nullable=False),
        sa.Column("appeal_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["hub_id"], ["hub.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hub_id"),
    )

    op.create_table(
        "agency_complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("complainant", sa.String(length=120), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("form_token", sa.String(length=40), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("origin_agency_id", sa.Integer(), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["origin_agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agency_complaint_case_made", "agency_complaint", ["case_id", "made_on"])
    op.create_index(
        "ix_agency_complaint_origin_agency_id", "agency_complaint", ["origin_agency_id"]
    )
    op.create_index(
        "uq_agency_complaint_form_token",
        "agency_complaint",
        ["case_id", "form_token"],
        unique=True,
        postgresql_where=sa.text("form_token IS NOT NULL"),
        sqlite_where=sa.text("form_token IS NOT NULL"),
    )


def downgrade():
    op.drop_table("agency_complaint")
    op.drop_table("hub_case_review_settings")
    op.drop_index(
        "ix_case_review_recommendation_case_review_id", table_name="case_review_recommendation"
    )
    op.drop_table("case_review_recommendation")
    with op.batch_alter_table("case_review", schema=None) as batch_op:
        batch_op.drop_constraint("fk_case_review_chair_agency_id_agency", type_="foreignkey")
        for name in (
            "acknowledged_on",
            "held_on",
            "outcome_sent_on",
            "victim_invited_on",
            "victim_account_on",
            "appeal_lodged_on",
            "appeal_decided_on",
            "victim_account",
            "chair_name",
            "chair_role",
            "appeal_chair_name",
            "appeal_chair_role",
            "chair_agency_id",
            "appeal_upheld",
        ):
            batch_op.drop_column(name)
