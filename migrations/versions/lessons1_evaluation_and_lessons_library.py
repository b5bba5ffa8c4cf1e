"""the formal evaluation (drafted, signed, corrected by a new version) and the lessons-learned
library (lessons, their use on cases, full-text search)

Existing evaluations were the record a case needed to close, so they count as signed by
whoever recorded them; their outcomes move to the new categories.

Revision ID: lessons1
Revises: records4
Create Date: 2026-12-06 02:40:00

"""
import sqlalchemy as sa
from alembic import op

from hub.models.base import UTCDateTime

revision = "lessons1"
down_revision = "records4"
branch_labels = None
depends_on = None

OUTCOMES = {"resolved": "ceased", "improved": "reduced", "unchanged": "not_achieved",
            "worse": "not_achieved"}


def upgrade():
    with op.batch_alter_table("case_evaluation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("objective", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("objective_result", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("measures", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("worked", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("victim_satisfaction", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("victim_words", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("victim_not_asked", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("agency_views", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("officer_hours", sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column("window_days", sa.Integer(), nullable=False, server_default="90")
        )
        batch_op.add_column(sa.Column("measured", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("signed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("signed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_foreign_key(
            "fk_case_evaluation_supersedes_id_case_evaluation", "case_evaluation", ["supersedes_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_case_evaluation_signed_by_id_user_account", "user_account", ["signed_by_id"], ["id"]
        )
        batch_op.create_unique_constraint("uq_case_evaluation_case_id_number", ["case_id", "number"])
    conn = op.get_bind()
    # A case's earlier evaluations become its versions 1, 2, ... in the order recorded.
    rows = conn.execute(
        sa.text("SELECT id, case_id FROM case_evaluation ORDER BY case_id, recorded_at, id")
    ).all()
    seen: dict[int, int] = {}
    for row_id, case_id in rows:
        seen[case_id] = seen.get(case_id, 0) + 1
        conn.execute(
            sa.text("UPDATE case_evaluation SET number = :n WHERE id = :id"),
            {"n": seen[case_id], "id": row_id},
        )
    conn.execute(
        sa.text(
            "UPDATE case_evaluation SET signed_at = recorded_at, signed_by_id = recorded_by_id"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE case_evaluation SET measures = '[]', worked = '{}', agency_views = '{}'"
        )
    )
    with op.batch_alter_table("case_evaluation", schema=None) as batch_op:
        for name in ("measures", "worked", "agency_views"):
            batch_op.alter_column(name, existing_type=sa.JSON(), nullable=False)
    for old, new in OUTCOMES.items():
        conn.execute(
            sa.text("UPDATE case_evaluation SET outcome = :new WHERE outcome = :old"),
            {"old": old, "new": new},
        )

    op.create_table(
        "lesson",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("source_case_id", sa.Integer(), nullable=True),
        sa.Column("source_record_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("people_roles", sa.Text(), nullable=False),
        sa.Column("tried", sa.Text(), nullable=False),
        sa.Column("worked", sa.Text(), nullable=False),
        sa.Column("not_worked", sa.Text(), nullable=False),
        sa.Column("asb_category", sa.String(length=15), nullable=True),
        sa.Column("place_type", sa.String(length=20), nullable=True),
        sa.Column("interventions", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("confirmed", sa.JSON(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("cases_helped", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_agency_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["author_agency_id"], ["agency.id"], name=op.f("fk_lesson_author_agency_id_agency")),
        sa.ForeignKeyConstraint(["author_id"], ["user_account.id"], name=op.f("fk_lesson_author_id_user_account")),
        sa.ForeignKeyConstraint(["hub_id"], ["hub.id"], name=op.f("fk_lesson_hub_id_hub"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["user_account.id"], name=op.f("fk_lesson_reviewed_by_id_user_account")),
        sa.ForeignKeyConstraint(["source_case_id"], ["case.id"], name=op.f("fk_lesson_source_case_id_case"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson")),
    )
    with op.batch_alter_table("lesson", schema=None) as batch_op:
        batch_op.create_index("ix_lesson_hub_status", ["hub_id", "status", "published_at"])
        batch_op.create_index(batch_op.f("ix_lesson_source_case_id"), ["source_case_id"])
    op.create_table(
        "lesson_use",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", UTCDateTime(), nullable=False),
        sa.Column("helped", sa.String(length=8), nullable=True),
        sa.Column("evaluation_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_lesson_use_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["evaluation_id"], ["case_evaluation.id"], name=op.f("fk_lesson_use_evaluation_id_case_evaluation")),
        sa.ForeignKeyConstraint(["lesson_id"], ["lesson.id"], name=op.f("fk_lesson_use_lesson_id_lesson"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["marked_by_id"], ["user_account.id"], name=op.f("fk_lesson_use_marked_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_use")),
        sa.UniqueConstraint("lesson_id", "case_id", name=op.f("uq_lesson_use_lesson_id_case_id")),
    )
    with op.batch_alter_table("lesson_use", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lesson_use_case_id"), ["case_id"])

    # Full-text search over published lessons (hub.lessons.search): an FTS5 table on SQLite,
    # whose rowid is the lesson's id; a GIN index on the same words on PostgreSQL. Both are
    # outside the models (tests/test_migrations.py and env.py skip names "lesson_fts...").
    if conn.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE lesson_fts USING fts5(search_text, "
            "tokenize = 'porter unicode61')"
        )
    else:
        op.execute(
            "CREATE INDEX lesson_fts_pg ON lesson "
            "USING gin (to_tsvector('english', search_text))"
        )


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS lesson_fts")
    else:
        op.execute("DROP INDEX IF EXISTS lesson_fts_pg")
    with op.batch_alter_table("lesson_use", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_use_case_id"))
    op.drop_table("lesson_use")
    with op.batch_alter_table("lesson", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_source_case_id"))
        batch_op.drop_index("ix_lesson_hub_status")
    op.drop_table("lesson")
    for old, new in (("resolved", "ceased"), ("improved", "reduced")):
        conn.execute(
            sa.text("UPDATE case_evaluation SET outcome = :old WHERE outcome = :new"),
            {"old": old, "new": new},
        )
    conn.execute(
        sa.text(
            "UPDATE case_evaluation SET outcome = 'unchanged' "
            "WHERE outcome NOT IN ('resolved', 'improved')"
        )
    )
    with op.batch_alter_table("case_evaluation", schema=None) as batch_op:
        batch_op.drop_constraint("uq_case_evaluation_case_id_number", type_="unique")
        batch_op.drop_constraint("fk_case_evaluation_signed_by_id_user_account", type_="foreignkey")
        batch_op.drop_constraint("fk_case_evaluation_supersedes_id_case_evaluation", type_="foreignkey")
        for name in (
            "version", "signed_by_id", "signed_at", "updated_at", "measured", "window_days",
            "officer_hours", "agency_views", "victim_not_asked", "victim_words",
            "victim_satisfaction", "worked", "measures", "objective_result", "objective",
            "supersedes_id", "number",
        ):
            batch_op.drop_column(name)
