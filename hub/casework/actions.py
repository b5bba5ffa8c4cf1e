"""Actions: a task with an owning agency, an owner and a due date. Every save keeps a revision
(the action's history); stale saves are refused. Audited; callers commit."""

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from hub import audit
from hub.casework.activity import log
from hub.casework.checks import diff, show, stale_case
from hub.casework.membership import member_ids
from hub.casework.schemas import (
    ActionSchema,
)
from hub.core.locking import check_version, flush_or_stale
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    ActionStatus,
    Case,
    CaseAction,
    User,
)
from hub.models.casework import ActionRevision

ACTION_LABELS = {
    "description": "Description",
    "agency_id": "Owning agency",
    "owner_id": "Owner",
    "due_on": "Due date",
    "status": "Status",
    "outcome": "Outcome",
}


def _check_owner(case: Case, data: dict) -> None:
    if data["agency_id"] not in member_ids(case):
        raise ValidationError({"agency_id": ["Choose an agency that is a member of the case"]})
    owner = db.session.get(User, data["owner_id"])
    if owner is None or owner.agency_id != data["agency_id"]:
        raise ValidationError({"owner_id": ["Choose an owner from the owning agency"]})


def add_action(case: Case, data: dict, *, actor) -> CaseAction:
    data = ActionSchema().load(data)
    _check_owner(case, data)
    action = CaseAction(
        case_id=case.id,
        agency_id=data["agency_id"],
        owner_id=data["owner_id"],
        description=data["description"],
        due_on=data["due_on"],
        status=ActionStatus.OPEN.value,
        created_by_id=actor.id,
    )
    db.session.add(action)
    db.session.flush()
    _record_action_revision(action, actor)
    audit.record(
        "action_added",
        user=actor,
        hub=case.hub_id,
        target=action,
        details={"case_id": case.id, "version": action.version, "after": _action_codes(action)},
    )
    log(case, actor, "action_added", f"Added an action: {action.description}")
    return action


def _action_dict(action: CaseAction) -> dict:
    return {k: show(getattr(action, k)) for k in ACTION_LABELS}


# An action's fields that hold no one's words, so its audit entries may carry their values.
ACTION_CODES = ("agency_id", "owner_id", "due_on", "status")


def _action_codes(action: CaseAction) -> dict:
    return {k: show(getattr(action, k)) for k in ACTION_CODES}


def _record_action_revision(action: CaseAction, actor) -> None:
    db.session.add(
        ActionRevision(
            action_id=action.id,
            version=action.version,
            snapshot=_action_dict(action),
            saved_by_id=actor.id,
        )
    )


def action_history(action: CaseAction) -> list[ActionRevision]:
    """Every saved version of an action, newest first, each with who saved it."""
    return list(
        db.session.execute(
            select(ActionRevision)
            .options(joinedload(ActionRevision.saved_by))
            .where(ActionRevision.action_id == action.id)
            .order_by(ActionRevision.version.desc())
        ).scalars()
    )


def update_action(case: Case, action: CaseAction, data: dict, *, actor) -> CaseAction:
    data = ActionSchema().load(data)

    def differences():
        typed = {**data}
        return diff(ACTION_LABELS, action, typed)

    check_version(action.version, data["version"], stale_case(differences))
    _check_owner(case, data)
    before = _action_dict(action)
    for key in ("description", "agency_id", "owner_id", "due_on", "status", "outcome"):
        setattr(action, key, data[key])
    action.updated_at = utcnow()
    flush_or_stale(stale_case(differences))
    after = _action_dict(action)
    if before != after:
        _record_action_revision(action, actor)
        keys = [k for k in ACTION_LABELS if before[k] != after[k]]
        audit.record(
            "action_updated",
            user=actor,
            hub=case.hub_id,
            target=action,
            details={
                "case_id": case.id,
                "version": action.version,
                "changed": keys,
                "before": {k: before[k] for k in keys if k in ACTION_CODES},
                "after": {k: after[k] for k in keys if k in ACTION_CODES},
            },
        )
        status = ActionStatus(action.status).label.lower()
        log(case, actor, "action_updated", f"Updated an action ({status}): {action.description}")
    return action
