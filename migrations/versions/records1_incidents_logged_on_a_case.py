"""incidents logged on an open case: case_incident, and the matching history's link to it

Revision ID: records1
Revises: escalation1
Create Date: 2026-12-06 02:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "records1"
down_revision = "escalation1"
branch_labels = None
depends_on = None

TOKEN = sa.text("form_token IS NOT NULL")


def upgrade():
    op.create_table(
        "case_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("people", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("reported_to", sa.String(length=200), nullable=False),
        sa.Column("crime_reference", sa.String(length=40), nullable=True),
        sa.Column("hate", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("form_token", sa.String(length=40), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("origin_agency_id", sa.Integer(), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["origin_agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_incident", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_incident_case_occurred", ["case_id", "occurred_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_case_incident_origin_agency_id"), ["origin_agency_id"], unique=False
        )
        batch_op.create_index(
            "uq_case_incident_form_token",
            ["case_id", "form_token"],
            unique=True,
            postgresql_where=TOKEN,
            sqlite_where=TOKEN,
        )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_incident_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_incident_case_incident_id"), ["case_incident_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_incident_case_incident_id_case_incident",
            "case_incident",
            ["case_incident_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_constraint("fk_incident_case_incident_id_case_incident", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_incident_case_incident_id"))
        batch_op.drop_column("case_incident_id")
    with op.batch_alter_table("case_incident", schema=None) as batch_op:
        batch_op.drop_index("uq_case_incident_form_token")
        batch_op.drop_index(batch_op.f("ix_case_incident_origin_agency_id"))
        batch_op.drop_index("ix_case_incident_case_occurred")
    op.drop_table("case_incident")
