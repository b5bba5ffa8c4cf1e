"""The audit log is hash-chained: any edit of a row breaks verification."""

from sqlalchemy import select, text

from hub import audit
from hub.extensions import db
from hub.models import AuditEntry


def _as_intruder(connection):
    """On PostgreSQL a trigger refuses UPDATE and DELETE (tests/audit/test_audit_trigger.py); an
    intruder with superuser rights can switch triggers off, and the chain must still tell."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL session_replication_role = replica"))


def test_the_chain_verifies_and_an_edit_breaks_it(app, ctx, world, _transaction):
    for i in range(5):
        audit.record("test_event", details={"n": i})
    db.session.commit()
    report = audit.verify_chain()
    assert report.broken_at is None and report.checked == 5

    target = db.session.execute(select(AuditEntry).order_by(AuditEntry.id).offset(2)).scalar()
    _as_intruder(_transaction)
    _transaction.execute(
        text("UPDATE audit_entry SET details = :d WHERE id = :id"),
        {"d": '{"n": 99}', "id": target.id},
    )
    db.session.expire_all()
    report = audit.verify_chain()
    assert report.broken_at == target.id and report.checked == 2


def test_a_deleted_row_breaks_the_chain(app, ctx, world, _transaction):
    for i in range(3):
        audit.record("test_event", details={"n": i})
    db.session.commit()
    ids = db.session.execute(select(AuditEntry.id).order_by(AuditEntry.id)).scalars().all()
    _as_intruder(_transaction)
    _transaction.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": ids[1]})
    db.session.expire_all()
    assert audit.verify_chain().broken_at == ids[2]


def test_cli_reports_the_first_broken_link(app, world, _transaction):
    runner = app.test_cli_runner()
    with app.app_context():
        audit.record("test_event")
        audit.record("test_event")
        db.session.commit()
    ok = runner.invoke(args=["hub", "audit", "verify"])
    assert ok.exit_code == 0 and "chain intact" in ok.output
    _as_intruder(_transaction)
    _transaction.execute(text("UPDATE audit_entry SET action = 'edited'"))
    broken = runner.invoke(args=["hub", "audit", "verify"])
    assert broken.exit_code == 1 and "BROKEN at entry" in broken.output
