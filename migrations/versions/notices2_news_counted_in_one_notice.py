"""news counted into one unread notice per person and thing, alerts apart: two updates at once
make one notice and one email, and news never rewrites an unread alert (a reminder, a victim's
worse risk, an urgent conference)

Revision ID: notices2
Revises: retentionui1
Create Date: 2026-12-06 16:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "notices2"
down_revision = "retentionui1"
branch_labels = None
depends_on = None

notification = sa.table(
    "notification",
    sa.column("id", sa.Integer),
    sa.column("activity_id", sa.Integer),
    sa.column("referral_id", sa.Integer),
    sa.column("text", sa.String),
    sa.column("counts_news", sa.Boolean),
)

# What a notice is about; a NULL never clashes with another, hence coalesce.
ABOUT = "user_id, coalesce(case_id, 0), coalesce(referral_id, 0), coalesce(conference_id, 0)"
SAME_THING = (
    "older.user_id = notification.user_id"
    " AND coalesce(older.case_id, 0) = coalesce(notification.case_id, 0)"
    " AND coalesce(older.referral_id, 0) = coalesce(notification.referral_id, 0)"
    " AND coalesce(older.conference_id, 0) = coalesce(notification.conference_id, 0)"
)
UNREAD_NEWS = "read_at IS NULL AND counts_news"


def upgrade():
    with op.batch_alter_table("notification") as batch:
        batch.add_column(
            sa.Column("counts_news", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # News so far: a case's update (it names its activity), a referral's news to its referrer,
    # a conference's invitation. Every other notice was an alert.
    op.execute(
        notification.update()
        .where(
            sa.or_(
                notification.c.activity_id.is_not(None),
                notification.c.referral_id.is_not(None),
                notification.c.text.like("Invitation: %"),
            )
        )
        .values(counts_news=True)
    )
    # Unread news the race made twice: the newest keeps the count of all, the rest go.
    op.execute(
        "UPDATE notification SET updates = ("
        " SELECT sum(older.updates) FROM notification older"
        f" WHERE older.read_at IS NULL AND older.counts_news AND {SAME_THING})"
        f" WHERE {UNREAD_NEWS} AND id IN ("
        f" SELECT max(id) FROM notification WHERE {UNREAD_NEWS} GROUP BY {ABOUT}"
        " HAVING count(*) > 1)"
    )
    op.execute(
        f"DELETE FROM notification WHERE {UNREAD_NEWS} AND id NOT IN ("
        f" SELECT max(id) FROM notification WHERE {UNREAD_NEWS} GROUP BY {ABOUT})"
    )
    op.create_index(
        "uq_notification_unread_news",
        "notification",
        [
            "user_id",
            sa.text("coalesce(case_id, 0)"),
            sa.text("coalesce(referral_id, 0)"),
            sa.text("coalesce(conference_id, 0)"),
        ],
        unique=True,
        postgresql_where=sa.text(UNREAD_NEWS),
        sqlite_where=sa.text(UNREAD_NEWS),
    )


def downgrade():
    op.drop_index("uq_notification_unread_news", table_name="notification")
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("counts_news")
