"""a hub may share its published lessons with the other hubs on the installation that share
theirs (off by default)

Revision ID: lessonshare1
Revises: lessons1
Create Date: 2026-12-06 05:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = "lessonshare1"
down_revision = "lessons1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("hub", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shares_lessons", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("hub", schema=None) as batch_op:
        batch_op.drop_column("shares_lessons")
