"""An audit entry is chained and written when its transaction commits (hub.audit.write_pending):
never without what it records, always with it, and without holding the chain's lock for the
rest of the page that recorded it."""

import threading

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from hub import audit
from hub.audit import reading
from hub.extensions import db
from hub.models import AuditEntry, Case, CaseFollow, Hub
from tests.conftest import own_database_app


def _actions() -> list[str]:
    return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def test_entries_are_chained_in_the_order_recorded_when_the_transaction_commits(ctx, world):
    before = len(_actions())
    audit.record("test_first")
    audit.record("test_second")
    # Reading the log in the same transaction sees them, in order.
    assert _actions()[before:] == ["test_first", "test_second"]
    audit.record("test_third")
    db.session.commit()
    assert _actions()[before:] == ["test_first", "test_second", "test_third"]
    assert audit.verify_chain().broken_at is None


def test_many_entries_of_one_transaction_are_written_at_once_in_the_chain_s_order(ctx, world):
    """On PostgreSQL they go in one INSERT (SQLAlchemy writes them a row at a time on SQLite,
    whose RETURNING keeps no order); either way each entry gets the id of its own row, and the
    ids follow the order they were chained in, which is the order verification walks."""
    entries = [audit.record(f"test_batch_{n}") for n in range(30)]
    inserts = []

    def _count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRY"):
            inserts.append(statement)

    event.listen(db.engine, "before_cursor_execute", _count)
    try:
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", _count)
    assert len(inserts) == (1 if db.engine.dialect.name == "postgresql" else 30)
    ids = [entry.id for entry in entries]
    assert ids == sorted(ids) and len(set(ids)) == 30
    stored = dict(
        db.session.execute(
            select(AuditEntry.id, AuditEntry.action).where(AuditEntry.id.in_(ids))
        ).all()
    )
    assert [stored[i] for i in ids] == [f"test_batch_{n}" for n in range(30)]
    assert audit.verify_chain().broken_at is None


def test_an_entry_goes_when_its_transaction_rolls_back(ctx, world):
    audit.record("test_rolled_back")
    db.session.rollback()
    db.session.commit()
    assert "test_rolled_back" not in _actions()


def test_an_entry_made_in_a_savepoint_that_rolls_back_is_kept(ctx, world):
    """The read or change it records still happened: only the savepoint's rows are undone."""
    savepoint = db.session.begin_nested()
    audit.record("test_in_savepoint")
    savepoint.rollback()
    db.session.commit()
    assert "test_in_savepoint" in _actions()


def test_a_target_added_a_moment_ago_is_named_by_its_id(ctx, world):
    case = Case(hub_id=world.hub_id, reference="CPL-AUD1", title="Noise", band="high")
    db.session.add(case)
    assert case.id is None  # not yet flushed
    entry = audit.record("test_target", target=case)
    db.session.commit()
    assert entry.target_type == "case" and entry.target_id == str(case.id)


# -- on connections of their own, as two requests ---------------------------------------------

WAIT = 5.0  # seconds: far longer than writing one entry takes


@pytest.fixture
def own_app():
    with own_database_app("audit_at_commit") as app:
        yield app


@pytest.mark.own_database
def test_a_page_that_audited_a_read_does_not_hold_up_another_writer(own_app):
    """A page audits a read, then takes its time drawing itself. Another request's entry is
    written and committed meanwhile, instead of queueing for the chain until the page ends;
    then the page's entry follows it, and the chain verifies."""
    recorded, other_done, page_may_end = threading.Event(), threading.Event(), threading.Event()
    failures = []

    def page():
        try:
            with own_app.test_request_context("/cases/1", method="GET"):
                db.session.execute(select(func.count(AuditEntry.id))).scalar()  # reads first
                audit.record("test_page_read")
                recorded.set()
                page_may_end.wait(WAIT * 2)
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001  (reported by the test below)
            failures.append(exc)
            recorded.set()

    def other():
        with own_app.app_context():
            audit.record("test_other_request", commit=True)
            db.session.remove()
        other_done.set()

    drawing = threading.Thread(target=page)
    drawing.start()
    assert recorded.wait(WAIT)
    writer = threading.Thread(target=other)
    writer.start()
    written_meanwhile = other_done.wait(WAIT)
    page_may_end.set()
    drawing.join(WAIT * 3)
    writer.join(WAIT * 3)
    assert not failures, failures
    assert written_meanwhile, "the other entry waited for the page to end"
    with own_app.app_context():
        assert _actions()[-2:] == ["test_other_request", "test_page_read"]
        assert audit.verify_chain().broken_at is None


def test_an_entry_outlives_a_savepoint_that_fails_after_it(ctx, world):
    """add_once and its like try a write in a savepoint and roll it back on a clash: an entry
    recorded before must still be written at the commit (a savepoint's release writes none)."""
    case = Case(hub_id=world.hub_id, reference="CPL-AUD3", title="Noise", band="high")
    db.session.add(case)
    db.session.flush()
    db.session.add(CaseFollow(case_id=case.id, user_id=world.user_id["spoc"]))
    db.session.flush()
    audit.record("test_before_the_clash")
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(CaseFollow(case_id=case.id, user_id=world.user_id["spoc"]))
    db.session.commit()
    assert "test_before_the_clash" in _actions()


def test_reading_the_log_in_a_savepoint_that_rolls_back_loses_nothing(ctx, world):
    audit.record("test_before_the_savepoint")
    savepoint = db.session.begin_nested()
    db.session.execute(select(AuditEntry.id)).all()
    savepoint.rollback()
    db.session.commit()
    assert "test_before_the_savepoint" in _actions()


def test_the_log_viewer_counts_what_this_transaction_recorded(ctx, world):
    """Its count is over a subquery, which names no entry to the ORM: it writes them first."""
    hub = db.session.get(Hub, world.hub_id)
    before = reading.page_of(hub, {}).total
    audit.record("test_counted", hub=hub)
    assert reading.page_of(hub, {}).total == before + 1
