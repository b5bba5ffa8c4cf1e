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
                    conn, opts={"compare_type": True, "render_as_batch": True}
                )
                diff = compare_metadata(context, db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            downgrade(revision="base")
            upgrade()
            db.engine.dispose()
    finally:
        cleanup()
