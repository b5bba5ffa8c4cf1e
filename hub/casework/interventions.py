"""Interventions and statutory powers used on a person or place, updated by the issuing agency
only. Audited; callers commit."""

from marshmallow import ValidationError

from hub import audit
from hub.casework.activity import log
from hub.casework.checks import check_category, diff, stale_case
from hub.casework.schemas import (
    InterventionSchema,
)
from hub.core.locking import check_version, flush_or_stale
from hub.extensions import db
from hub.models import (
    Case,
    Intervention,
)

INTERVENTION_LABELS = {
    "issuing_officer": "Issuing officer",
    "subject": "Subject",
    "subject_age_group": "Subject's age group",
    "conditions": "Conditions",
    "served_on": "Served",
    "expires_on": "Expires",
    "review_on": "Review date",
    "breaches": "Breaches",
    "appeal": "Appeal",
    "outcome": "Outcome",
}


def record_intervention(case: Case, data: dict, *, actor) -> Intervention:
    data = InterventionSchema().load(data)
    check_category(actor, case, data["category"])
    data.pop("version")
    item = Intervention(
        case_id=case.id, origin_agency_id=actor.agency_id, recorded_by_id=actor.id, **data
    )
    db.session.add(item)
    db.session.flush()
    audit.record(
        "intervention_recorded",
        user=actor,
        hub=case.hub_id,
        target=item,
        details={"case_id": case.id, "type": item.type, "category": item.category},
    )
    log(case, actor, "intervention_recorded", f"Recorded: {item.type_label}", record=item)
    return item


def update_intervention(case: Case, item: Intervention, data: dict, *, actor) -> Intervention:
    data = InterventionSchema().load(data)
    differences = lambda: diff(INTERVENTION_LABELS, item, data)  # noqa: E731
    check_version(item.version, data["version"], stale_case(differences))
    check_category(actor, case, data["category"])
    if item.origin_agency_id != actor.agency_id:
        raise ValidationError({"form": ["Only the issuing agency can update this record"]})
    for key in ("type", "category", *INTERVENTION_LABELS):
        setattr(item, key, data[key])
    flush_or_stale(stale_case(differences))
    audit.record(
        "intervention_updated",
        user=actor,
        hub=case.hub_id,
        target=item,
        details={"case_id": case.id, "type": item.type},
    )
    log(case, actor, "intervention_updated", f"Updated: {item.type_label}", record=item)
    return item
