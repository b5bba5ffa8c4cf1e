"""Column types shared by every model."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, Index, text
from sqlalchemy.types import TypeDecorator

from hub.core.timeutil import utcnow


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always handed back timezone-aware.

    PostgreSQL keeps `timestamptz`; SQLite keeps text without an offset, so values are
    converted to UTC on the way in and marked UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use hub.core.timeutil.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Marks a column that holds personal data: a person's particulars or words someone wrote about
# a case. Nothing here may be copied into the audit log (tests/audit/test_audit_content.py checks
# every entry the suite writes against every value of these columns).
PERSONAL = {"personal": True}


def once_per_form(table: str) -> Index:
    """A record made from a form carries the form's one-time token: the same form sent twice
    makes one record (hub.core.locking.add_once)."""
    where = text("form_token IS NOT NULL")
    return Index(
        f"uq_{table}_form_token",
        "case_id",
        "form_token",
        unique=True,
        postgresql_where=where,
        sqlite_where=where,
    )


def created_now() -> datetime:
    return utcnow()
