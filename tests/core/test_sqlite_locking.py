"""Issue 21, SQLite: reads take no lock, writes queue for it, and no "database is locked"
reaches a user. These run against a file database of their own, as `make run` does."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from hub import audit
from hub.extensions import db
from hub.models import AuditEntry, SignInFailure
from tests.conftest import TEST_DATABASE_URL, HubClient, _database, make_app

pytestmark = [
    pytest.mark.own_database,
    pytest.mark.skipif(not TEST_DATABASE_URL.startswith("sqlite"), reason="SQLite's locking"),
]


@pytest.fixture
def hub_app():
    url, options, cleanup = _database("locking")
    app = make_app(url, options)
    app.test_client_class = HubClient
    with app.app_context():
        upgrade()
        from tests.support.factories import build_world

        world = build_world()
        db.session.commit()
        db.session.remove()
    app.world = world
    yield app
    with app.app_context():
        db.engine.dispose()
    cleanup()


def test_a_long_read_holds_up_no_writer(hub_app):
    """A reader in the middle of a long transaction (an export, say) while a partner signs
    in and is recorded: the writer does not wait for the reader."""
    world = hub_app.world
    reading, release = threading.Event(), threading.Event()

    def long_read():
        with hub_app.test_request_context("/hubs/copeland/audit.csv", method="GET"):
            db.session.execute(select(func.count()).select_from(AuditEntry)).scalar()
            reading.set()
            release.wait(10)
            db.session.rollback()

    reader = threading.Thread(target=long_read)
    reader.start()
    assert reading.wait(5)
    with hub_app.app_context():
        db.engine.pool.dispose()
    try:
        client = hub_app.test_client()
        client.sign_in(world.email["coordinator"])  # a write: the sign-in is audited
    finally:
        release.set()
        reader.join()
    with hub_app.app_context():
        actions = db.session.execute(select(AuditEntry.action)).scalars().all()
        assert "sign_in" in actions


def test_a_read_that_writes_takes_the_lock_first_and_so_never_meets_a_stale_snapshot(hub_app):
    """A GET that ends by writing its audit entry, after another writer committed since the
    read began: in WAL mode that write would fail at once; it queues for the lock instead."""
    with hub_app.test_request_context("/board", method="GET"):
        db.session.execute(select(func.count()).select_from(AuditEntry)).scalar()  # the read
        with hub_app.app_context():  # another request writes and commits meanwhile
            audit.record("test_event", details={"n": 1}, commit=True)
        audit.record("test_event", details={"n": 2}, commit=True)
    with hub_app.app_context():
        assert audit.verify_chain().checked == 2  # one chain: neither forked off the other


def test_a_savepoint_in_a_read_takes_the_lock_first_and_so_survives(hub_app):
    """A GET that writes in a savepoint, after another writer committed since its read began:
    taking the lock at the INSERT would end the transaction and the savepoint with it, so the
    savepoint takes it first (hub.core.database, the "savepoint" listener)."""
    from hub.models import Notification

    user_id = hub_app.world.user_id["spoc"]
    with hub_app.test_request_context("/notifications", method="GET"):
        db.session.execute(select(func.count()).select_from(AuditEntry)).scalar()  # the read
        with hub_app.app_context():  # another request writes and commits meanwhile
            audit.record("test_event", details={"n": 1}, commit=True)
        with db.session.begin_nested():
            db.session.add(Notification(user_id=user_id, text="Saved in a savepoint"))
        db.session.commit()
    with hub_app.app_context():
        saved = select(func.count()).where(Notification.text == "Saved in a savepoint")
        assert db.session.execute(saved).scalar() == 1


def test_reads_begin_deferred_and_writes_immediate(hub_app):
    seen = []

    def record(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            seen.append(statement)

    with hub_app.app_context():
        from sqlalchemy import event

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            with hub_app.test_request_context("/", method="GET"):
                db.session.execute(text("SELECT 1"))
                db.session.rollback()
            with hub_app.test_request_context("/", method="POST"):
                db.session.execute(text("SELECT 1"))
                db.session.rollback()
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert seen == ["BEGIN", "BEGIN IMMEDIATE"]


def test_parallel_sign_ins_and_reads_never_meet_a_locked_database(hub_app):
    """Twelve people sign in at once (each sign-in hashes a password and writes the log) while
    others read the audit log: every request answers, none with a 500."""
    world = hub_app.world

    def attempt(email: str, password: str) -> int:
        client = hub_app.test_client()  # its own cookies; requests run on this thread
        token = client.csrf_token()
        data = {"email": email, "password": password, "csrf_token": token}
        return client.post("/sign-in/password", data=data).status_code

    manager = hub_app.test_client()
    manager.sign_in(world.email["hub_manager"])

    def export(_) -> int:
        return manager.get("/hubs/copeland/audit.csv").status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        exports = pool.map(export, range(6))
        signed = list(pool.map(attempt, world.email.values(), [world.password] * 9))
        failed = list(pool.map(attempt, [f"nobody{n}@x.example" for n in range(12)], ["x"] * 12))
        exports = list(exports)
    assert set(signed) == {302}, signed
    assert set(failed) == {400}, failed  # the form again, with its error
    assert set(exports) == {200}, exports
    with hub_app.app_context():
        assert db.session.execute(select(func.count()).select_from(SignInFailure)).scalar() == 12


def test_a_search_that_audits_its_results_while_another_writer_commits_answers(
    hub_app, monkeypatch
):
    """The board search records a read for each case it found. Someone else committed after
    the search began reading: its write must still queue for the lock. (Found by sqlmap: the
    results were audited while their rows were still being read, which kept the stale
    snapshot open, so SQLite refused the write at once and the person got a 500.)"""
    from hub import permissions as perm
    from hub.models import Agency, Hub, User
    from tests.support.factories import make_case, make_isa, make_note

    world = hub_app.world
    with hub_app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council = db.session.get(Agency, world.agency_ids["council"])
        spoc = db.session.get(User, world.user_id["spoc"])
        make_isa(hub, [council], ["identity", "incident"])
        for n in range(3):
            case = make_case(hub, f"CPL-SEARCH-{n}", council)
            make_note(case, council, spoc, body=f"Shouting at Mill Street, night {n}")
        db.session.commit()
    real, calls = perm.record_read, []

    def another_writer_commits_first(*args, **kwargs):
        if not calls:
            with hub_app.app_context():
                audit.record("test_event", details={"n": 1}, commit=True)
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(perm, "record_read", another_writer_commits_first)
    client = hub_app.test_client()
    client.sign_in(world.email["spoc"])
    response = client.get(f"/hubs/{world.hub_slug}/search?q=Mill")
    assert response.status_code == 200
    assert "CPL-SEARCH-2" in response.get_data(as_text=True)
    assert len(calls) == 3
    with hub_app.app_context():
        assert audit.verify_chain().broken_at is None


def test_a_locked_database_met_through_the_driver_itself_is_a_503_not_a_500(hub_app, monkeypatch):
    """Where the hub talks to sqlite3 directly (taking the write lock) its errors are not
    SQLAlchemy's: they still answer 'try again' with Retry-After, never a 500."""
    import sqlite3

    from hub import permissions as perm
    from hub.models import Agency, Hub, User
    from tests.support.factories import make_case, make_isa, make_note

    world = hub_app.world
    with hub_app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council = db.session.get(Agency, world.agency_ids["council"])
        make_isa(hub, [council], ["identity", "incident"])
        case = make_case(hub, "CPL-LOCKED-1", council)
        make_note(case, council, db.session.get(User, world.user_id["spoc"]), body="Mill Street")
        db.session.commit()

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(perm, "record_read", locked)
    client = hub_app.test_client()
    client.sign_in(world.email["spoc"])
    response = client.get(f"/hubs/{world.hub_slug}/search?q=Mill")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "Traceback" not in response.get_data(as_text=True)
