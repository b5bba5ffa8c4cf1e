"""Focus Hub: the application factory."""

import logging
import sys

from flask import Flask, has_request_context, request
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from hub.config import ConfigError, load_config


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    _configure_logging(app)

    from hub import errors, sessions, templating
    from hub.extensions import csrf, db, htmx, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_project_dir(app) / "migrations"))
    login_manager.init_app(app)
    limiter.init_app(app)  # before CSRF, so rate limits count every attempt
    csrf.init_app(app)
    htmx.init_app(app)
    with app.app_context():
        _tune_sqlite(db.engine)

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(app.root_path + "/templates"),
            # The GOV.UK macros import each other as "govuk_frontend_jinja/components/…".
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    templating.init_app(app)
    errors.init_app(app)
    sessions.init_app(app)

    from hub import security

    security.init_app(app)

    from hub.blueprints import register_blueprints

    register_blueprints(app)

    from hub.cli import hub_cli

    app.cli.add_command(hub_cli)

    if app.config.get("CHECK_DATABASE_ON_START", True):
        _check_database(app)
    return app


def _project_dir(app: Flask):
    from pathlib import Path

    return Path(app.root_path).parent


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger("hub").handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logging.getLogger("hub").addHandler(handler)
        logging.getLogger("hub").setLevel(logging.INFO)
        logging.getLogger("hub").propagate = False


def _tune_sqlite(engine) -> None:
    """SQLite: enforce foreign keys, wait rather than fail on a busy file, and let SQLAlchemy
    own transactions so savepoints work (the pysqlite driver's own handling breaks them)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        # Readers never block the writer: the web and the scheduler share one file.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A request that reads (GET) begins a deferred transaction and takes no lock, so a long
        # read such as an export never holds up a writer. Everything else (forms, the API's
        # writes, the scheduler) takes the write lock up front: writers queue for it
        # (busy_timeout) instead of failing when a read turns into a write.
        if has_request_context() and request.method in _READ_METHODS:
            conn.exec_driver_sql("BEGIN")
            conn.info[_DEFERRED] = True
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.info.pop(_DEFERRED, None)

    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(conn, cursor, statement, *args):
        if conn.info.get(_DEFERRED) and statement.lstrip()[:7].upper().startswith(_WRITES):
            _begin_writing(conn)


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def take_write_lock(session) -> None:
    """SQLite: turn a request's read-only transaction into a write transaction before writing,
    so the write queues for the lock (busy_timeout) instead of failing when another writer
    committed since the read began (WAL's SQLITE_BUSY_SNAPSHOT, which no waiting cures). The
    audit log calls it before reading the chain's head. Elsewhere a no-op."""
    connection = session.connection()
    if connection.info.get(_DEFERRED):
        _begin_writing(connection)


_DEFERRED = "sqlite_read_transaction"


def _begin_writing(connection) -> None:
    # The transaction so far only read, so ending it loses nothing.
    del connection.info[_DEFERRED]
    raw = connection.connection.dbapi_connection
    raw.execute("COMMIT")
    raw.execute("BEGIN IMMEDIATE")


def _check_database(app: Flask) -> None:
    """Fail at start-up, in plain words, when the database cannot be reached."""
    from hub.extensions import db

    with app.app_context():
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            url = db.engine.url.render_as_string(hide_password=True)
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise ConfigError(
                f"Cannot reach the database at {url}: {reason}. Check DATABASE_URL and that "
                "the database server is running."
            ) from None
