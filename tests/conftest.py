"""Test fixtures.

The suite runs against the database named by TEST_DATABASE_URL: SQLite by default, PostgreSQL
when `make test` finds one. The schema is built once per run by the real migrations, in a
PostgreSQL schema of its own so parallel runs never meet. Each test then runs inside one
transaction that is rolled back at the end; the application's commits become savepoints
(SQLAlchemy 2's "join a session into an external transaction").
"""

import os
import re
import tempfile
import uuid
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from flask import has_app_context
from flask.globals import app_ctx
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import scoped_session, sessionmaker

from hub import create_app
from hub.extensions import db
from tests.support import audit_content
from tests.support.factories import PASSWORD, build_world

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite")


def _database(label: str):
    """(url, engine options, cleanup) for a fresh, empty database of the configured kind."""
    if TEST_DATABASE_URL.startswith("postgres"):
        from hub.config import normalise_database_url

        url = normalise_database_url(TEST_DATABASE_URL)
        schema = f"fh_{label}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))

        def cleanup():
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
        return url, options, cleanup
    folder = tempfile.mkdtemp(prefix=f"focus-hub-{label}-")
    return f"sqlite:///{folder}/hub.sqlite3", {}, lambda: None


def make_app(url: str, engine_options: dict, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, **engine_options},
        "SECRET_KEY": "test-secret-key",
        # Limits stay on (so they are tested) but high enough not to trip the suite.
        "SIGN_IN_RATE_LIMIT": "10000 per minute",
        "API_RATE_LIMIT": "10000 per minute",
        "SESSION_COOKIE_SECURE": False,
        "SCHEDULER_IN_PROCESS": False,
        "BASE_URL": "http://hub.test",
        "MAIL_BACKEND": "memory",
        # Never the repository's instance/ (each test then gets its own: _audit_checkpoints).
        "AUDIT_CHECKPOINT_FILE": os.path.join(tempfile.mkdtemp(prefix="fh-audit-"), "cp.jsonl"),
        "EVIDENCE_DIR": tempfile.mkdtemp(prefix="fh-evidence-"),
    }
    config.update(overrides)
    return create_app(config)


@contextmanager
def own_database_app(label: str):
    """An app on a database of its own, migrated, with the standard world (app.world) committed:
    for tests whose connections must see each other's commits, as separate requests do."""
    url, options, cleanup = _database(label)
    app = make_app(url, options)
    try:
        with app.app_context():
            upgrade()
            app.world = build_world()
            db.session.commit()
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        cleanup()


@pytest.fixture(scope="session")
def database():
    url, options, cleanup = _database("test")
    yield SimpleNamespace(url=url, engine_options=options)
    cleanup()


@pytest.fixture(scope="session")
def app(database):
    app = make_app(database.url, database.engine_options)
    with app.app_context():
        upgrade()  # the real migrations build the schema the tests use
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Every test in a transaction that is rolled back. Browser tests, and tests marked
    own_database, use a database of their own and must see it as other processes do."""
    if request.node.get_closest_marker("browser") or request.node.get_closest_marker(
        "own_database"
    ):
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    original = db.session
    # One session per application context, as Flask-SQLAlchemy does; 0 outside any context.
    db.session = scoped_session(
        factory, scopefunc=lambda: id(app_ctx._get_current_object()) if has_app_context() else 0
    )
    first = audit_content.last_id(connection)
    try:
        yield connection
        # Issue 19: whatever this test did, the audit log must hold no personal value.
        leaks = audit_content.violations(connection, first)
        if leaks:
            pytest.fail("Personal data in the audit log:\n" + "\n".join(leaks[:20]))
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def _audit_checkpoints(app, tmp_path):
    """Each test its own checkpoint file: the database rolls back, and so must they."""
    app.config["AUDIT_CHECKPOINT_FILE"] = str(tmp_path / "audit-checkpoints.jsonl")
    # Evidence files too: each test its own store, gone with the test's files.
    app.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")


@pytest.fixture
def outbox(app):
    """Emails the hub sent during the test."""
    box = app.extensions.setdefault("mail_outbox", [])
    box.clear()
    yield box
    box.clear()


@pytest.fixture
def ctx(app):
    """An application context, for tests that call services directly (not through a client)."""
    with app.test_request_context():
        yield


class HubClient(FlaskClient):
    """A test client that fills in the CSRF token the way a browser form would."""

    def csrf_token(self, path: str = "/sign-in") -> str:
        html = self.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def submit(self, path: str, data: dict | None = None, token_from: str | None = None, **kw):
        data = dict(data or {})
        data["csrf_token"] = self.csrf_token(token_from or "/account/")
        return self.post(path, data=data, **kw)

    def sign_in(self, email: str, password: str = PASSWORD):
        response = self.post(
            "/sign-in/password",
            data={"email": email, "password": password, "csrf_token": self.csrf_token()},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response


@pytest.fixture
def client(app):
    app.test_client_class = HubClient
    return app.test_client()


_SIGNED_TOKEN = re.compile(r"[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{10,}")


def page_text(response) -> str:
    """A page's HTML without its CSRF tokens (in forms and in hx-headers). They are signed with
    the second they were made, so two requests a second apart differ there and only there."""
    return _SIGNED_TOKEN.sub("TOKEN", response.get_data(as_text=True))


@contextmanager
def count_queries(connection_or_engine):
    """Count the SQL statements run inside the block (Indico's idea): pins query counts."""
    statements = []

    def _count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            statements.append(statement)

    target = connection_or_engine
    event.listen(target, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", _count)


@pytest.fixture
def world(app):
    """A small hub world: the Copeland hub with three partner agencies, another hub with its
    own agency, and a person in each role. Returns plain values (emails, ids, slugs)."""
    from tests.support.factories import build_world

    with app.app_context():
        w = build_world()
        db.session.commit()
    return w
