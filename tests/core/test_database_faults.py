"""Faults (issue 17): the database goes away in the middle of a request and comes back; the
SQLite file's disk fills up. People get a page that says what happened (the API a JSON
error), nothing half-written is kept, and the hub recovers without a restart.

PostgreSQL is reached through a TCP proxy that the test cuts and restores, so the shared
server everyone uses is never stopped. Without a PostgreSQL to reach that test is skipped
locally; CI (`.ci/run`) always has one."""

import contextlib
import os
import socket
import sqlite3
import threading

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url

from hub import audit
from hub.accounts import tokens
from hub.extensions import db
from hub.models import Agency, AuditEntry, CaseNote, Hub, User
from tests.conftest import TEST_DATABASE_URL, HubClient, make_app
from tests.support.factories import build_world, make_case, make_isa

pytestmark = pytest.mark.own_database
PG_URL = os.environ.get("FAULT_PG_URL") or (
    TEST_DATABASE_URL
    if TEST_DATABASE_URL.startswith("postgres")
    else "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class Proxy:
    """A TCP relay from a local port to the database server; cut() drops every connection
    at once, as a server restart or a network failure does, and restore() listens again on
    the same port."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = 0
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        # shutdown() first: close() alone leaves a socket blocked in accept() listening.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.sockets.clear()


def _reachable(url: str) -> bool:
    u = make_url(url)
    try:
        socket.create_connection((u.host or "127.0.0.1", u.port or 5432), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.fixture
def through_proxy():
    if not _reachable(PG_URL):
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and does not answer at {PG_URL}")
        pytest.skip(f"no PostgreSQL at {PG_URL}")
    u = make_url(PG_URL)
    proxy = Proxy(u.host or "127.0.0.1", u.port or 5432)
    schema = "fh_fault_" + os.urandom(4).hex()
    admin = db.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = u.set(port=proxy.port).render_as_string(hide_password=False)
    app = make_app(
        url, {"connect_args": {"options": f"-csearch_path={schema}", "connect_timeout": 3}}
    )
    with app.app_context():
        upgrade()
        world = build_world()
        hub = db.session.get(Hub, world.hub_id)
        council, housing = (
            db.session.get(Agency, world.agency_ids[k]) for k in ("council", "housing")
        )
        make_isa(hub, [council, housing], ["identity", "incident"], reference="ISA-FAULT")
        case = make_case(hub, "CPL-FAULT", council, housing)
        db.session.commit()
        app.case_id, app.world = case.id, world
    yield app, proxy
    proxy.cut()
    with app.app_context():
        db.engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _count(app, model, **where) -> int:
    with app.app_context():
        query = select(func.count()).select_from(model).filter_by(**where)
        return db.session.execute(query).scalar_one()


def test_postgresql_lost_mid_request_is_a_503_keeps_nothing_and_recovers(through_proxy):
    app, proxy = through_proxy
    app.test_client_class = HubClient
    client = app.test_client()
    client.sign_in(app.world.email["spoc"])
    case_url = f"/cases/{app.case_id}"
    token = client.csrf_token(case_url)
    assert client.get(case_url).status_code == 200
    with app.app_context():
        user = db.session.get(User, app.world.user_id["spoc"])
        api_token, _ = tokens.issue_token(user, "fault")
        db.session.commit()
    api = {"Authorization": f"Bearer {api_token}"}
    audit_before = _count(app, AuditEntry)

    # The connection drops just as the note is being written: after the request has read the
    # case and begun its transaction, before the INSERT reaches the server.
    with app.app_context():
        engine = db.engine

    def drop_before_insert(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO CASE_NOTE"):
            proxy.cut()

    event.listen(engine, "before_cursor_execute", drop_before_insert)
    try:
        response = client.post(
            f"{case_url}/notes",
            data={
                "body": "Written as the database went away",
                "category": "incident",
                "csrf_token": token,
            },
        )
    finally:
        event.remove(engine, "before_cursor_execute", drop_before_insert)
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "cannot reach its database" in page and "nothing you sent was saved" in page
    assert response.headers["Retry-After"] == "30"

    # While it is away: every page and the API say so, none with a 500.
    assert client.get(case_url).status_code == 503
    answer = client.get("/api/v1/me", headers=api)
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "unavailable"
    assert client.get("/healthz").status_code == 503

    # Back again: the same app, not restarted, serves the next request.
    proxy.restore()
    assert client.get(case_url).status_code == 200
    assert client.get("/api/v1/me", headers=api).status_code == 200
    assert _count(app, CaseNote, case_id=app.case_id) == 0  # nothing half-written
    assert not _count(app, AuditEntry, action="case_note_added")
    assert _count(app, AuditEntry) >= audit_before
    response = client.post(
        f"{case_url}/notes",
        data={"body": "Written once it was back", "category": "incident", "csrf_token": token},
    )
    assert response.status_code == 302
    assert _count(app, CaseNote, case_id=app.case_id) == 1
    assert _count(app, AuditEntry, action="case_note_added") == 1
    with app.app_context():
        assert audit.verify_chain().broken_at is None


@pytest.fixture
def sqlite_hub(tmp_path):
    path = tmp_path / "hub.sqlite3"
    app = make_app(f"sqlite:///{path}", {})
    with app.app_context():
        upgrade()
        world = build_world()
        hub = db.session.get(Hub, world.hub_id)
        council, housing = (
            db.session.get(Agency, world.agency_ids[k]) for k in ("council", "housing")
        )
        make_isa(hub, [council, housing], ["identity", "incident"], reference="ISA-FULL")
        case = make_case(hub, "CPL-FULL", council, housing)
        db.session.commit()
        app.case_id, app.world, app.path = case.id, world, path
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_full_disk_on_sqlite_is_a_clear_error_and_the_file_stays_sound(sqlite_hub):
    """SQLite's max_page_count stands in for the disk: at the limit a write fails exactly as
    on a full disk (SQLITE_FULL, "database or disk is full")."""
    app = sqlite_hub
    app.test_client_class = HubClient
    client = app.test_client()
    client.sign_in(app.world.email["spoc"])
    case_url = f"/cases/{app.case_id}"
    token = client.csrf_token(case_url)
    with app.app_context():
        engine = db.engine

    def limit_to_current_size(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count={pages + 12}")  # room for a few notes
        cursor.close()

    engine.dispose()
    raw = sqlite3.connect(app.path, isolation_level=None)
    raw.execute("VACUUM")  # no free pages left to fill
    raw.close()
    event.listen(engine, "connect", limit_to_current_size)
    engine.dispose()
    try:
        notes = [
            client.post(
                f"{case_url}/notes",
                data={"body": f"{i} " + "x" * 4900, "category": "incident", "csrf_token": token},
            )
            for i in range(40)
        ]
    finally:
        event.remove(engine, "connect", limit_to_current_size)
        engine.dispose()
    statuses = [r.status_code for r in notes]
    assert set(statuses) == {302, 503}, statuses
    assert statuses == sorted(statuses), statuses  # once full, it stays full
    full = next(r for r in notes if r.status_code == 503).get_data(as_text=True)
    assert "run out of storage space" in full and "nothing you sent was saved" in full
    with app.app_context():
        assert db.session.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        stored = db.session.execute(select(CaseNote.body)).scalars().all()
        # Each note is whole or absent, and each one kept is audited once.
        assert all(len(b) >= 4900 for b in stored)
        assert len(stored) == statuses.count(302)
        assert audit.verify_chain().broken_at is None
    assert _count(app, AuditEntry, action="case_note_added") == len(stored)
    # Space again (the limit lifted): the same hub, not restarted, writes.
    response = client.post(
        f"{case_url}/notes", data={"body": "After", "category": "incident", "csrf_token": token}
    )
    assert response.status_code == 302
