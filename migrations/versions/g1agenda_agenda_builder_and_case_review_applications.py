"""agenda builder and case review applications: the open cases of a hub indexed for the
builder, agenda items indexed by position and only where a column is set, and what an
application says

Revision ID: g1agenda
Revises: urgent1notices
Create Date: 2026-12-02 03:53:53.059731

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'g1agenda'
down_revision = 'urgent1notices'
branch_labels = None
depends_on = None


def _set(column):
    where = sa.text(f"{column} IS NOT NULL")
    return {"postgresql_where": where, "sqlite_where": where}


def upgrade():
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_item_conference_id'))
        batch_op.create_index('ix_agenda_item_conference_position', ['conference_id', 'position'], unique=False)
        batch_op.drop_index(batch_op.f('ix_agenda_item_case_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_item_case_review_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_item_referral_id'))
        batch_op.drop_constraint(batch_op.f('uq_agenda_item_conference_id_case_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_agenda_item_conference_id_referral_id'), type_='unique')
        batch_op.create_index('ix_agenda_item_case', ['case_id'], unique=False, **_set('case_id'))
        batch_op.create_index('ix_agenda_item_case_review', ['case_review_id'], unique=False, **_set('case_review_id'))
        batch_op.create_index('ix_agenda_item_referral', ['referral_id'], unique=False, **_set('referral_id'))
        batch_op.create_index('uq_agenda_item_conference_case', ['conference_id', 'case_id'], unique=True, **_set('case_id'))
        batch_op.create_index('uq_agenda_item_conference_referral', ['conference_id', 'referral_id'], unique=True, **_set('referral_id'))

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('ix_case_hub_open', ['hub_id'], unique=False, postgresql_where=sa.text("stage <> 'closed'"), sqlite_where=sa.text("stage <> 'closed'"))

    with op.batch_alter_table('case_review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('applicant', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('complaints_reported', sa.Integer(), nullable=True))
        batch_op.create_index('uq_case_review_awaiting', ['case_id'], unique=True, postgresql_where=sa.text("status = 'received'"), sqlite_where=sa.text("status = 'received'"))


def downgrade():
    with op.batch_alter_table('case_review', schema=None) as batch_op:
        batch_op.drop_index('uq_case_review_awaiting', postgresql_where=sa.text("status = 'received'"), sqlite_where=sa.text("status = 'received'"))
        batch_op.drop_column('complaints_reported')
        batch_op.drop_column('applicant')

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_hub_open', postgresql_where=sa.text("stage <> 'closed'"), sqlite_where=sa.text("stage <> 'closed'"))

    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.drop_index('uq_agenda_item_conference_referral', **_set('referral_id'))
        batch_op.drop_index('uq_agenda_item_conference_case', **_set('case_id'))
        batch_op.drop_index('ix_agenda_item_referral', **_set('referral_id'))
        batch_op.drop_index('ix_agenda_item_case_review', **_set('case_review_id'))
        batch_op.drop_index('ix_agenda_item_case', **_set('case_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_agenda_item_conference_id_referral_id'), ['conference_id', 'referral_id'])
        batch_op.create_unique_constraint(batch_op.f('uq_agenda_item_conference_id_case_id'), ['conference_id', 'case_id'])
        batch_op.create_index(batch_op.f('ix_agenda_item_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_item_case_review_id'), ['case_review_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_item_case_id'), ['case_id'], unique=False)
        batch_op.drop_index('ix_agenda_item_conference_position')
        batch_op.create_index(batch_op.f('ix_agenda_item_conference_id'), ['conference_id'], unique=False)
