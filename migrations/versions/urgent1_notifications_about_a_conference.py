"""notifications about a conference: an urgent one proposed for a referral with no case

Revision ID: urgent1notices
Revises: f1conferencework
Create Date: 2026-11-23 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'urgent1notices'
down_revision = 'f1conferencework'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conference_id', sa.Integer(), nullable=True))
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_notification_conference_id'), ['conference_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notification_conference_id_conference'), 'conference', ['conference_id'], ['id'], ondelete='CASCADE')


def downgrade():
    op.execute('DELETE FROM notification WHERE case_id IS NULL')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notification_conference_id_conference'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notification_conference_id'))
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('conference_id')
