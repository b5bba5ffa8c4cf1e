"""one row however requests interleave: one active membership per agency and case, one
attendance row per agency and person, one note or action per form sent

Existing duplicates (left by the races this revision closes) are merged first: a second
active membership of the same agency is ended, keeping the earliest; of two attendance rows
for the same person the latest is kept.

Revision ID: i1races
Revises: analytics1
Create Date: 2026-12-06 01:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "i1races"
down_revision = "analytics1"
branch_labels = None
depends_on = None

ACTIVE = sa.text("removed_at IS NULL")
TOKEN = sa.text("form_token IS NOT NULL")


def upgrade():
    conn = op.get_bind()
    # Memberships: end every active duplicate but the earliest.
    conn.execute(
        sa.text(
            "UPDATE case_membership SET removed_at = added_at, "
            "removal_reason = 'A duplicate of an earlier membership' "
            "WHERE removed_at IS NULL AND EXISTS (SELECT 1 FROM case_membership earlier "
            "WHERE earlier.case_id = case_membership.case_id "
            "AND earlier.agency_id = case_membership.agency_id "
            "AND earlier.removed_at IS NULL AND earlier.id < case_membership.id)"
        )
    )
    with op.batch_alter_table("case_membership", schema=None) as batch_op:
        batch_op.create_index(
            "uq_case_membership_active",
            ["case_id", "agency_id"],
            unique=True,
            postgresql_where=ACTIVE,
            sqlite_where=ACTIVE,
        )

    # Attendance: a key per person, duplicates merged (the latest kept), then unique.
    with op.batch_alter_table("conference_attendance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_key", sa.String(length=130), nullable=True))
    attendance = sa.table(
        "conference_attendance",
        sa.column("id", sa.Integer),
        sa.column("conference_id", sa.Integer),
        sa.column("agency_id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("person_key", sa.String),
    )
    seen = {}
    for row in conn.execute(sa.select(attendance).order_by(attendance.c.id.desc())).mappings():
        key = (
            f"u{row['user_id']}"
            if row["user_id"] is not None
            else "n:" + " ".join((row["name"] or "").lower().split())
        )
        if (row["conference_id"], row["agency_id"], key) in seen:
            conn.execute(attendance.delete().where(attendance.c.id == row["id"]))
            continue
        seen[(row["conference_id"], row["agency_id"], key)] = row["id"]
        conn.execute(
            attendance.update().where(attendance.c.id == row["id"]).values(person_key=key)
        )
    with op.batch_alter_table("conference_attendance", schema=None) as batch_op:
        batch_op.alter_column("person_key", existing_type=sa.String(length=130), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_conference_attendance_conference_id_agency_id_person_key"),
            ["conference_id", "agency_id", "person_key"],
        )

    # Notes and actions: the one-time token of the form that made them.
    for table in ("case_note", "case_action"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("form_token", sa.String(length=40), nullable=True))
            batch_op.create_index(
                f"uq_{table}_form_token",
                ["case_id", "form_token"],
                unique=True,
                postgresql_where=TOKEN,
                sqlite_where=TOKEN,
            )


def downgrade():
    for table in ("case_action", "case_note"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"uq_{table}_form_token")
            batch_op.drop_column("form_token")
    with op.batch_alter_table("conference_attendance", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_conference_attendance_conference_id_agency_id_person_key"),
            type_="unique",
        )
        batch_op.drop_column("person_key")
    with op.batch_alter_table("case_membership", schema=None) as batch_op:
        batch_op.drop_index("uq_case_membership_active")
