"""On PostgreSQL the database itself refuses to change or delete an audit entry."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hub import audit
from hub.extensions import db


@pytest.fixture
def on_postgresql(_transaction):
    if _transaction.dialect.name != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    return _transaction


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET action = 'edited'",
        "DELETE FROM audit_entry",
        "TRUNCATE audit_entry",
    ],
)
def test_direct_changes_are_refused(app, ctx, on_postgresql, statement):
    audit.record("test_event")
    db.session.commit()
    savepoint = on_postgresql.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        on_postgresql.execute(text(statement))
    savepoint.rollback()
    count = on_postgresql.execute(text("SELECT count(*) FROM audit_entry")).scalar()
    assert count == 1
    assert audit.verify_chain().broken_at is None


def test_inserting_still_works(app, ctx, on_postgresql):
    for i in range(3):
        audit.record("test_event", details={"n": i})
    db.session.commit()
    assert audit.verify_chain().checked == 3
