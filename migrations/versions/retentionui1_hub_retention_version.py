"""a hub's retention periods carry a version, so the retention page refuses a form opened
before someone else's change

Revision ID: retentionui1
Revises: letters1
Create Date: 2026-12-06 06:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "retentionui1"
down_revision = "letters1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("hub_retention") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade():
    with op.batch_alter_table("hub_retention") as batch:
        batch.drop_column("version")
