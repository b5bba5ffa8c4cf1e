"""evidence uploaded on a case: the record of each file (its content is in the evidence store)

Revision ID: records2
Revises: records1
Create Date: 2026-12-06 02:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = "records2"
down_revision = "records1"
branch_labels = None
depends_on = None

TOKEN = sa.text("form_token IS NOT NULL")


def upgrade():
    op.create_table(
        "case_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("file_type", sa.String(length=8), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("form_token", sa.String(length=40), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("origin_agency_id", sa.Integer(), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["origin_agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("storage_key", name="uq_case_evidence_storage_key"),
    )
    with op.batch_alter_table("case_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_evidence_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_evidence_origin_agency_id"), ["origin_agency_id"], unique=False
        )
        batch_op.create_index(
            "uq_case_evidence_form_token",
            ["case_id", "form_token"],
            unique=True,
            postgresql_where=TOKEN,
            sqlite_where=TOKEN,
        )


def downgrade():
    with op.batch_alter_table("case_evidence", schema=None) as batch_op:
        batch_op.drop_index("uq_case_evidence_form_token")
        batch_op.drop_index(batch_op.f("ix_case_evidence_origin_agency_id"))
        batch_op.drop_index(batch_op.f("ix_case_evidence_case_id"))
    op.drop_table("case_evidence")
