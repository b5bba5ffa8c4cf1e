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

UNREAD_NEWS = "read_at IS NULL AND counts_news"


def same_thing(alias: str) -> str:
    """`alias` is unread news about what the notification row being changed is about (a NULL
    never equals another, hence coalesce)."""
    return (
        f"{alias}.read_at IS NULL AND {alias}.counts_news"
        f" AND {alias}.user_id = notification.user_id"
        + "".join(
            f" AND coalesce({alias}.{key}, 0) = coalesce(notification.{key}, 0)"
            for key in ("case_id", "referral_id", "conference_id")
        )
    )


# A later notice about the same thing: the latest news (then the highest id) is the one kept.
LATER = (
    f"EXISTS (SELECT 1 FROM notification later WHERE {same_thing('later')}"
    " AND (later.created_at > notification.created_at"
    " OR (later.created_at = notification.created_at AND later.id > notification.id)))"
)


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
    # Unread news the race made twice: the latest keeps the count of all, the rest go.
    op.execute(
        "UPDATE notification SET updates = ("
        f" SELECT sum(alike.updates) FROM notification alike WHERE {same_thing('alike')})"
        f" WHERE {UNREAD_NEWS} AND NOT {LATER}"
    )
    op.execute(f"DELETE FROM notification WHERE {UNREAD_NEWS} AND {LATER}")
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
