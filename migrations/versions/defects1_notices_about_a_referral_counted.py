"""notices about a referral (its referrer hears back), and unread news counted in one notice

Revision ID: defects1
Revises: i1races
Create Date: 2026-12-06 02:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'defects1'
down_revision = 'i1races'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referral_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('updates', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_index(batch_op.f('ix_notification_referral_id'), ['referral_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notification_referral_id_referral'), 'referral', ['referral_id'], ['id'], ondelete='CASCADE')


def downgrade():
    op.execute('DELETE FROM notification WHERE referral_id IS NOT NULL')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notification_referral_id_referral'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notification_referral_id'))
        batch_op.drop_column('updates')
        batch_op.drop_column('referral_id')
