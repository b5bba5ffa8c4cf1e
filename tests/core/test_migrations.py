"""The migrations build the whole schema from empty, on SQLite and PostgreSQL alike."""

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
                diff = compare_metadata(context, db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            downgrade(revision="base")
            upgrade()
            db.engine.dispose()
    finally:
        cleanup()


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
