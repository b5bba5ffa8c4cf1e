"""letters to an ASB case review's applicant: how the acknowledgement and the outcome letter
were sent, and the appeal's outcome letter

Revision ID: letters1
Revises: retention1
Create Date: 2026-12-06 06:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = "letters1"
down_revision = "retention1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("case_review") as batch:
        batch.add_column(sa.Column("acknowledged_by", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("outcome_sent_by", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("appeal_letter_sent_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("appeal_letter_sent_by", sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table("case_review") as batch:
        batch.drop_column("appeal_letter_sent_by")
        batch.drop_column("appeal_letter_sent_on")
        batch.drop_column("outcome_sent_by")
        batch.drop_column("acknowledged_by")
