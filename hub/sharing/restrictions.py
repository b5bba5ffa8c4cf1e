"""Record restriction: the agency that recorded something narrows who may see it to named
partner agencies of the hub (need to know). Audited; callers commit."""

from marshmallow import ValidationError
from sqlalchemy import select

from hub import audit
from hub import permissions as perm
from hub.extensions import db
from hub.models import (
    Case,
    RecordRestriction,
)


class NotAllowed(Exception):
    """The actor may not make this change; views turn it into an audited 404 (deny)."""


def restrict_record(record, agency_ids, actor, *, case: Case | None = None) -> None:
    """The originating agency narrows who may see one of its records to named agencies of the
    hub (need to know). Replaces any earlier list."""
    if actor.agency_id != record.origin_agency_id:
        raise NotAllowed("only the originating agency may restrict its record")
    case = case or db.session.get(Case, record.case_id)
    ids = set()
    for value in agency_ids or ():
        try:
            ids.add(int(value))
        except (TypeError, ValueError):
            raise ValidationError({"agency_ids": ["Choose agencies from the list"]}) from None
    ids.discard(record.origin_agency_id)  # the originator always sees its own record
    if not ids:
        raise ValidationError(
            {"agency_ids": ["Choose at least one other agency that may see this record"]}
        )
    if not ids <= perm.partner_ids(case.hub_id):
        raise ValidationError(
            {"agency_ids": ["Choose only agencies that are partners in this hub"]}
        )
    rows = db.session.execute(
        select(RecordRestriction).where(
            RecordRestriction.record_type == record.record_type,
            RecordRestriction.record_id == record.id,
        )
    ).scalars()
    rows = list(rows)
    before = sorted(r.agency_id for r in rows) if record.restricted else None
    for row in rows:
        if row.agency_id not in ids:
            db.session.delete(row)
    for agency_id in sorted(ids - {r.agency_id for r in rows}):
        db.session.add(
            RecordRestriction(
                record_type=record.record_type, record_id=record.id, agency_id=agency_id
            )
        )
    record.restricted = True
    db.session.flush()
    audit.record(
        "record_restricted",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={
            "record": [record.record_type, record.id],
            "before": {"restricted_to": before},
            "after": {"restricted_to": sorted(ids)},
        },
    )
