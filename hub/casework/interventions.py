"""Interventions and statutory powers used on a person or place, updated by the issuing agency
only. Audited; callers commit."""

from marshmallow import ValidationError

from hub import audit
from hub import permissions as perm
from hub.casework import powers
from hub.casework.activity import log
from hub.casework.checks import check_category, diff, stale_case
from hub.casework.schemas import (
    InterventionSchema,
)
from hub.core.locking import check_version, flush_or_stale
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    Case,
    Intervention,
    PowerStep,
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
    if data["type"] in powers.ASSESS_BEFORE_APPLYING and data["status"] not in (
        "proposed",
        "risk_assessed",
    ):
        raise ValidationError(
            {
                "status": [
                    "A respect order starts as proposed or risk-assessed: it needs the "
                    "pre-application risk assessment before it is applied for"
                ]
            }
        )
    item = Intervention(
        case_id=case.id, origin_agency_id=actor.agency_id, recorded_by_id=actor.id, **data
    )
    db.session.add(item)
    db.session.flush()
    # Its first step, so its history starts where the record does.
    db.session.add(
        PowerStep(
            intervention_id=item.id,
            step=item.status,
            on=item.served_on or utcnow().astimezone(LONDON).date(),
            recorded_by_id=actor.id,
        )
    )
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
    if not perm.is_issuing_agency(actor, item):
        raise ValidationError({"form": ["Only the issuing agency can update this record"]})
    data.pop("status")  # changed by its steps only (hub.casework.powers)
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
