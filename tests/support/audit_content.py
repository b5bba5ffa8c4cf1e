"""The audit log holds metadata only (issue 19): no entry may carry a value of a personal field.

Every test that runs in the rolled-back transaction ends with `check(connection)`, which reads
every value of every column marked PERSONAL (hub.models.base) and fails the test if any audit
entry written during it contains one: in its details, legal basis, target or action. So the
whole suite, every page and service it drives, is the test.
"""

import json

from sqlalchemy import JSON, select

from hub.extensions import db
from hub.models import AuditEntry

# Shorter values are words any entry could hold by chance ("open", "high"); a value with a
# space in it (a name, an address, a sentence) is distinctive from four characters.
MIN_WORD, MIN_PHRASE = 6, 4
PREFIX = 24  # a long value cut short is still caught by its opening words


def _texts(value, from_json: bool):
    if value is None:
        return
    if isinstance(value, dict):
        for inner in value.values():
            yield from _texts(inner, from_json)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _texts(inner, from_json)
    elif isinstance(value, str):
        text = value.strip()
        spaced = any(c.isspace() for c in text) or "@" in text
        if from_json and not spaced:
            return  # JSON leaves without a space are the app's own codes ("yes", "noise")
        if len(text) >= (MIN_PHRASE if spaced else MIN_WORD):
            yield text
    elif hasattr(value, "isoformat"):
        yield value.isoformat()


def personal_values(connection) -> set[str]:
    """Every value of every personal column in the database, as text."""
    values: set[str] = set()
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if c.info.get("personal")]
        if not columns:
            continue
        for row in connection.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                values.update(_texts(value, isinstance(column.type, JSON)))
    return values


def violations(connection, after_id: int = 0) -> list[str]:
    """Audit entries after `after_id` that contain a personal value, described."""
    entries = connection.execute(
        select(
            AuditEntry.id,
            AuditEntry.action,
            AuditEntry.details,
            AuditEntry.legal_basis,
            AuditEntry.target_type,
            AuditEntry.target_id,
        ).where(AuditEntry.id > after_id)
    ).all()
    if not entries:
        return []
    found = []
    values = personal_values(connection)
    needles = {v: (v[:PREFIX] if len(v) > PREFIX else v) for v in values}
    for entry in entries:
        text = " ".join(
            str(part)
            for part in (
                entry.action,
                json.dumps(entry.details, ensure_ascii=False),
                entry.legal_basis,
                entry.target_type,
                entry.target_id,
            )
            if part is not None
        )
        for value, needle in needles.items():
            if needle in text:
                found.append(f"audit entry {entry.id} ({entry.action}) contains {value!r}")
    return found


def last_id(connection) -> int:
    return connection.execute(select(db.func.max(AuditEntry.id))).scalar() or 0
