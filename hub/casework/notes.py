"""Case notes: what a partner records on a case, in a data category its agreements cover,
shared with every member agency or restricted to named ones. Audited; callers commit."""

from marshmallow import ValidationError
from sqlalchemy import select

from hub import audit
from hub.casework.activity import log
from hub.casework.checks import check_category
from hub.casework.schemas import (
    NoteSchema,
)
from hub.extensions import db
from hub.models import (
    Case,
    CaseNote,
    HubAgency,
    RecordRestriction,
)


def add_note(case: Case, data: dict, *, actor) -> CaseNote:
    data = NoteSchema().load(data)
    check_category(actor, case, data["category"])
    restricted_to = set(data["restricted_to"])
    if data["sharing"] == "restricted":
        if not restricted_to:
            raise ValidationError(
                {"restricted_to": ["Choose at least one agency that may see the note"]}
            )
        in_hub = set(
            db.session.execute(
                select(HubAgency.agency_id).where(
                    HubAgency.hub_id == case.hub_id, HubAgency.agency_id.in_(restricted_to)
                )
            ).scalars()
        )
        if in_hub != restricted_to:
            raise ValidationError(
                {"restricted_to": ["Choose only agencies that are partners in this hub"]}
            )
    else:
        restricted_to = set()
    restricted_to.discard(actor.agency_id)  # the originating agency always sees its own
    note = CaseNote(
        case_id=case.id,
        body=data["body"],
        category=data["category"],
        origin_agency_id=actor.agency_id,
        author_id=actor.id,
        restricted=data["sharing"] == "restricted",
    )
    db.session.add(note)
    db.session.flush()
    for agency_id in sorted(restricted_to):
        db.session.add(
            RecordRestriction(record_type=note.record_type, record_id=note.id, agency_id=agency_id)
        )
    audit.record(
        "case_note_added",
        user=actor,
        hub=case.hub_id,
        target=note,
        details={
            "case_id": case.id,
            "category": note.category,
            "restricted_to": sorted(restricted_to) if note.restricted else None,
        },
    )
    log(case, actor, "note_added", "Added a note", record=note)
    return note
