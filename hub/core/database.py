"""The database connection's behaviour on SQLite, the embedded default: foreign keys on, WAL,
waiting for a busy file rather than failing, and transactions that take the write lock as
late as a read allows and as early as a write needs. PostgreSQL needs none of it."""

from flask import current_app, has_request_context, request
from sqlalchemy import ARRAY, Integer, any_, bindparam, event
from sqlalchemy.dialects import postgresql, sqlite

from hub.extensions import db


def among(column, name: str, dialect: str):
    """SQL: `column` is one of the ids bound at each execution as `name`. On PostgreSQL one
    array parameter (`= ANY(...)`), so the statement's text is the same however many ids:
    SQLAlchemy renders no parameter per id, and the driver can prepare it. SQLite has no
    arrays: an expanding IN (...). The SQL differs by dialect: build it once for each."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def dialect_insert(dialect: str, table):
    """An INSERT that may say what to do when a unique rule clashes (ON CONFLICT ... DO
    NOTHING or DO UPDATE): PostgreSQL and SQLite both have it, and SQLAlchemy builds it for
    each, so build it once for each (it differs only in the dialect)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def tune_sqlite(engine) -> None:
    """SQLite: enforce foreign keys, wait rather than fail on a busy file, and let SQLAlchemy
    own transactions so savepoints work (the pysqlite driver's own handling breaks them)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        # Readers never block the writer: the web and the scheduler share one file.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A request that reads (GET) begins a deferred transaction and takes no lock, so a long
        # read such as an export never holds up a writer. Everything else (forms, the API's
        # writes, the scheduler) takes the write lock up front: writers queue for it
        # (busy_timeout) instead of failing when a read turns into a write. A form marked
        # @reads_first takes it at its first write instead (see there).
        if has_request_context() and (request.method in _READ_METHODS or _reads_first()):
            conn.exec_driver_sql("BEGIN")
            conn.info[_DEFERRED] = True
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.info.pop(_DEFERRED, None)

    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(conn, cursor, statement, *args):
        if conn.info.get(_DEFERRED) and statement.lstrip()[:7].upper().startswith(_WRITES):
            _begin_writing(conn)

    @event.listens_for(engine, "savepoint")
    def _before_savepoint(conn, _name):
        # A savepoint is taken to write in it, and turning a read into a write later would end
        # the transaction, savepoint and all: take the write lock first.
        if conn.info.get(_DEFERRED):
            _begin_writing(conn)


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def reads_first(view):
    """Mark a form whose slow part only reads (signing in hashes a password): its request
    takes SQLite's write lock at its first write, not for the whole request, so a queue of
    such requests does not wait on each other's slow part. What it reads before writing may
    have changed by the time it writes, so use it only where that is harmless."""
    view.reads_first = True
    return view


def _reads_first() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "reads_first", False)


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


def commit_reads() -> None:
    """Commit what a page's reads recorded (audit entries, the disclosure register) once the
    page is rendered. Nothing is read after, so loaded rows are kept, not expired."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def read_values(statement, params: dict | None = None):
    """Run a read whose rows are plain values (ids, counts, dates), never objects, on the
    session's connection: the ORM's loading machinery, which it skips, costs as much again
    as the database takes on such a statement. Pending changes are flushed first, as the
    ORM's autoflush would, so what it reads includes them."""
    session = db.session()
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params)
