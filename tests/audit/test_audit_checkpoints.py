"""Issue 21: an intruder with the database cannot cut the audit log short, or rewrite its
chain, behind a signed checkpoint; and on PostgreSQL the hub runs under a role that can only
read and add to the log."""

import json
import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from hub import audit
from hub.audit import checkpoints, protection
from hub.clock.scheduler import JOBS
from hub.extensions import db
from hub.models import AuditEntry
from tests.conftest import TEST_DATABASE_URL


def _as_intruder(connection):
    """An intruder with the database's superuser: triggers off, the chain code at hand."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL session_replication_role = replica"))


def _entries(n: int) -> None:
    for i in range(n):
        audit.record("test_event", details={"n": i})
    db.session.commit()


def _verify(app):
    return app.test_cli_runner().invoke(args=["hub", "audit", "verify"])


def test_a_checkpoint_is_written_when_the_head_moves_and_only_then(app, ctx, world):
    _entries(3)
    first = checkpoints.make()
    head = db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc())).scalars().first()
    assert (first.entry_id, first.entry_hash) == (head.id, head.entry_hash)
    assert checkpoints.make() is None  # nothing new: nothing written
    _entries(1)
    assert checkpoints.make().entry_id == head.id + 1
    assert [c.entry_id for _, c in checkpoints.read()] == [head.id, head.id + 1]
    assert checkpoints.check() == []


def test_the_scheduler_writes_checkpoints(app, ctx, world):
    _entries(2)
    JOBS["audit_checkpoint"].func()
    assert len(checkpoints.read()) == 1


def test_cutting_the_log_short_is_found(app, world, _transaction):
    with app.app_context():
        _entries(5)
        checkpoints.make()
    _as_intruder(_transaction)
    _transaction.execute(
        text("DELETE FROM audit_entry WHERE id > (SELECT min(id) FROM audit_entry) + 2")
    )
    with app.app_context():
        assert audit.verify_chain().broken_at is None  # what is left still chains
    result = _verify(app)
    assert result.exit_code == 1 and "the log was cut short" in result.output


def test_rewriting_the_chain_from_an_edited_entry_is_found(app, world, _transaction):
    with app.app_context():
        _entries(4)
        checkpoints.make()
        # The intruder edits the second entry and recomputes every hash after it.
        rows = db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
        rewritten, prev = [], rows[0].entry_hash
        for row in rows[1:]:
            db.session.expunge(row)
            if not rewritten:
                row.details = {"n": 99}
            row.prev_hash = prev
            row.entry_hash = prev = audit.entry_hash(row)
            rewritten.append((row.id, json.dumps(row.details), row.prev_hash, row.entry_hash))
    _as_intruder(_transaction)
    for id_, details, prev_hash, entry_hash in rewritten:
        _transaction.execute(
            text("UPDATE audit_entry SET details=:d, prev_hash=:p, entry_hash=:h WHERE id=:i"),
            {"d": details, "p": prev_hash, "h": entry_hash, "i": id_},
        )
    with app.app_context():
        assert audit.verify_chain().broken_at is None  # the chain alone is fooled
    result = _verify(app)
    assert result.exit_code == 1 and "the chain was rewritten" in result.output


def test_a_forged_checkpoint_is_refused(app, ctx, world):
    _entries(2)
    checkpoints.make()
    path = checkpoints._path()
    forged = {"entry_id": 1, "entry_hash": "0" * 64, "at": "2026-12-01T00:00:00+00:00"}
    forged["signature"] = "f" * 64
    with path.open("a") as out:
        out.write(json.dumps(forged) + "\n")
    problems = [f.problem for f in checkpoints.check()]
    assert problems == ["is not signed with this hub's key"]


def test_verify_reports_an_intact_log_and_its_checkpoints(app, world):
    with app.app_context():
        _entries(2)
        checkpoints.make()
    result = _verify(app)
    assert result.exit_code == 0
    assert "chain intact, and it matches 1 signed checkpoint" in result.output


# -- PostgreSQL: the application's role --------------------------------------------------------

postgres_only = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgres"), reason="roles exist on PostgreSQL only"
)


@postgres_only
@pytest.mark.own_database
def test_the_application_role_may_only_read_and_add_to_the_audit_log():
    from flask_migrate import upgrade

    from tests.conftest import _database, make_app

    url, options, cleanup = _database("role")
    role = f"fh_app_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", **options)
    try:
        owner_app = make_app(url, options)
        with owner_app.app_context():
            upgrade()
            assert protection.problems()  # the test's own superuser could alter the log
            with admin.connect() as conn:
                conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
            result = owner_app.test_cli_runner().invoke(
                args=["hub", "audit", "grant-app-role", role]
            )
            assert result.exit_code == 0, result.output
            db.engine.dispose()
        app_url = url.replace("postgres@", f"{role}@", 1)
        app = make_app(app_url, options)
        with app.app_context(), app.test_request_context():
            assert protection.problems() == []
            audit.record("test_event", details={"n": 1}, commit=True)  # adding works
            for statement in (
                "UPDATE audit_entry SET action = 'edited'",
                "DELETE FROM audit_entry",
                "TRUNCATE audit_entry",
                "ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only",
                "SET session_replication_role = replica",
            ):
                with pytest.raises(DBAPIError):
                    db.session.execute(text(statement))
                db.session.rollback()
            assert audit.verify_chain().checked == 1
            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            cleanup()
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()
