"""The migrations build the whole schema from empty, on SQLite and PostgreSQL alike."""

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from hub.extensions import db
from tests.conftest import _database, make_app


@pytest.mark.own_database
def test_migrations_from_empty_match_the_models():
    url, options, cleanup = _database("migrate")
    try:
        app = make_app(url, options)
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(
                    conn,
                    opts={
                        "compare_type": True,
                        "render_as_batch": True,
                        # the lessons' full-text index lives outside the models
                        "include_name": lambda name, *_: not (name or "").startswith("lesson_fts"),
                    },
                )
                with warnings.catch_warnings():
                    # SQLite cannot reflect uq_notification_unread_news's coalesce() columns, and
                    # alembic compares no expression index: checked below, on PostgreSQL.
                    warnings.filterwarnings("ignore", ".*expression-based index")
                    diff = compare_metadata(context, db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            _expression_indexes_match_the_models()
            downgrade(revision="base")
            upgrade()
            db.engine.dispose()
    finally:
        cleanup()


def _expression_indexes_match_the_models() -> None:
    """The expression indexes alembic cannot compare: the database's own definition and the
    model's, alike but for spelling (quotes, spaces, brackets, the table's name, case)."""
    import re

    from sqlalchemy import text
    from sqlalchemy.schema import CreateIndex

    def spelling(ddl: str) -> str:
        # PostgreSQL names the schema, the type of a constant and the index method.
        ddl = re.sub(r"\b\w+\.notification\b", "notification", ddl.lower())
        ddl = re.sub(r"notification\.|['\"()\s]|::\w+|using btree", "", ddl)
        return ddl.replace("true", "").replace("=1", "")

    index = next(i for i in db.metadata.tables["notification"].indexes if i.name.startswith("uq_"))
    model = str(CreateIndex(index).compile(dialect=db.engine.dialect))
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            query = (
                "SELECT indexdef FROM pg_indexes"
                " WHERE indexname = :name AND schemaname = current_schema()"
            )
        else:
            query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
        stored = conn.execute(text(query), {"name": index.name}).scalar_one()
    assert spelling(stored) == spelling(model), (stored, model)


@pytest.mark.own_database
def test_upgrading_a_hub_with_conferences_keeps_every_row():
    """Rebuilding agenda_item (SQLite's batch mode drops and recreates a table) must not
    cascade into the decisions and notes that refer to its rows."""
    from sqlalchemy import column, func, insert, select, table

    from hub.core.timeutil import utcnow
    from hub.models import Agency, AgendaItem, Conference, ConferenceDecision, Hub
    from hub.models.base import UTCDateTime

    url, options, cleanup = _database("migrate_data")
    try:
        app = make_app(url, options)
        with app.app_context():
            upgrade(revision="urgent1notices")
            now = utcnow()
            with db.engine.begin() as conn:
                hub = conn.execute(
                    insert(Hub).values(slug="m", name="M", area="", created_at=now)
                ).inserted_primary_key[0]
                agency = conn.execute(
                    insert(Agency).values(name="A", kind="council", created_at=now)
                ).inserted_primary_key[0]
                # The user table as it stood at that revision (later ones add columns).
                users = table(
                    "user_account",
                    column("id"),
                    column("email"),
                    column("name"),
                    column("agency_id"),
                    column("is_active_account"),
                    column("session_version"),
                    column("created_at", UTCDateTime),
                )
                person = conn.execute(
                    insert(users)
                    .values(
                        email="m@example.org",
                        name="M",
                        agency_id=agency,
                        is_active_account=True,
                        session_version=1,
                        created_at=now,
                    )
                    .returning(users.c.id)
                ).scalar_one()
                conference = conn.execute(
                    insert(Conference).values(
                        hub_id=hub,
                        kind="weekly",
                        starts_at=now,
                        place="",
                        online_link="",
                        status="held",
                        created_at=now,
                        reason="",
                        minutes_remarks="",
                        edit_version=1,
                    )
                ).inserted_primary_key[0]
                item = conn.execute(
                    insert(AgendaItem.__table__).values(
                        conference_id=conference,
                        reason="added_by_coordinator",
                        position=1,
                        removed=False,
                        created_at=now,
                    )
                ).inserted_primary_key[0]
                conn.execute(
                    insert(ConferenceDecision).values(
                        conference_id=conference,
                        item_id=item,
                        kind="band",
                        summary="Band set",
                        reason="",
                        details={},
                        decided_by_id=person,
                        decided_at=now,
                    )
                )

            def decisions() -> int:
                with db.engine.connect() as conn:
                    return conn.execute(
                        select(func.count()).select_from(ConferenceDecision)
                    ).scalar()

            upgrade()
            assert decisions() == 1
            downgrade(revision="urgent1notices")
            assert decisions() == 1
            db.engine.dispose()
    finally:
        cleanup()


@pytest.mark.own_database
def test_unread_news_made_twice_becomes_one_notice_and_alerts_stay_apart():
    """notices2 marks the news notices, keeps one unread per person and thing (the newest,
    counting the others' news), and leaves alerts, read notices and other people's alone."""
    from datetime import timedelta

    from sqlalchemy import column, insert, select
    from sqlalchemy import table as sa_table

    from hub.casework import activity
    from hub.core.timeutil import utcnow
    from hub.models import Agency, Hub, Notification, User
    from hub.models.base import UTCDateTime
    from tests.support.factories import build_world, make_case

    url, options, cleanup = _database("migrate_notices")
    try:
        app = make_app(url, options)
        with app.app_context():
            upgrade(revision="retentionui1")
            world = build_world()
            council = db.session.get(Agency, world.agency_ids["council"])
            case = make_case(db.session.get(Hub, world.hub_id), "CPL-MIG-1", council)
            spoc, other = world.user_id["spoc"], world.user_id["coordinator"]
            news = activity.log(case, db.session.get(User, other), "note_added", "Note added").id
            case_id = case.id
            db.session.commit()
            db.session.close()
            # The table as it stood then (the model's default for counts_news would name it).
            table = sa_table(
                "notification",
                *(column(name) for name in ("user_id", "case_id", "activity_id", "text")),
                column("updates"),
                column("created_at", UTCDateTime),
                column("read_at", UTCDateTime),
            )
            rows = [  # user, news (its activity) or an alert, updates, minutes on, read
                (spoc, news, 2, 9, False),  # the latest unread news, though not the last made
                (spoc, news, 3, 0, False),
                (spoc, None, 1, 5, False),  # an alert: "a victim reports things are worse"
                (spoc, news, 1, 1, False),
                (spoc, news, 4, 2, True),
                (other, news, 1, 3, False),
            ]
            start = utcnow()
            with db.engine.begin() as conn:
                for user_id, activity_id, updates, minutes, read in rows:
                    conn.execute(
                        insert(table).values(
                            user_id=user_id,
                            case_id=case_id,
                            activity_id=activity_id,
                            text="Note added" if activity_id else "Worse",
                            updates=updates,
                            created_at=start + timedelta(minutes=minutes),
                            read_at=start if read else None,
                        )
                    )
            upgrade()
            kept = db.session.execute(
                select(
                    Notification.user_id,
                    Notification.counts_news,
                    Notification.updates,
                    Notification.read_at.is_(None),
                ).order_by(Notification.id)
            ).all()
            assert [tuple(k) for k in kept] == [
                (spoc, True, 6, True),
                (spoc, False, 1, True),
                (spoc, True, 4, False),
                (other, True, 1, True),
            ]
            db.engine.dispose()
    finally:
        cleanup()
