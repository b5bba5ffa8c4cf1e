"""Actions: a task with an owning agency, an owner and a due date. Every save keeps a revision
(the action's history); stale saves are refused. Audited; callers commit."""

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified

from hub import audit
from hub.casework.activity import log
from hub.casework.checks import check_working_records, diff, show, stale_case
from hub.casework.membership import member_ids
from hub.casework.schemas import (
    ActionSchema,
)
from hub.core.locking import add_once, check_version, flush_or_stale, submitted_before
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
    check_working_records(actor, case)
    earlier = submitted_before(CaseAction, case.id, data["form_token"])
    if earlier is not None:
        return earlier  # the same form sent twice: one action
    _check_owner(case, data)
    action = CaseAction(
        case_id=case.id,
        agency_id=data["agency_id"],
        owner_id=data["owner_id"],
        description=data["description"],
        due_on=data["due_on"],
        status=ActionStatus.OPEN.value,
        created_by_id=actor.id,
        form_token=data["form_token"],
    )
    added = add_once(action)
    if added is not action:
        return added
    _record_action_revision(action, actor)
    audit.record(
        "action_added",
        user=actor,
        hub=case.hub_id,
        target=action,
        details={"case_id": case.id, "version": action.version, "after": _action_codes(action)},
    )
    log(
        case,
        actor,
        "action_added",
        f"Added an action: {action.description}",
        working=action,
    )
    return action


def _action_dict(action: CaseAction) -> dict:
    return {k: show(getattr(action, k)) for k in ACTION_LABELS}


# An action's fields that hold no one's words, so its audit entries may carry their values.
ACTION_CODES = ("agency_id", "owner_id", "due_on", "status")


def _action_codes(action: CaseAction) -> dict:
    return {k: show(getattr(action, k)) for k in ACTION_CODES}


def _record_action_revision(action: CaseAction, actor, update: str = "") -> None:
    snapshot = _action_dict(action)
    if update:
        snapshot["added"] = update  # what happened, added by this save
    db.session.add(
        ActionRevision(
            action_id=action.id,
            version=action.version,
            snapshot=snapshot,
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
    """Save an action. "What happened" is added as a new update, never written over the last
    one: each update stays in the action's history (its revisions) and the activity log,
    and the action shows the newest."""
    data = ActionSchema().load(data)
    check_working_records(actor, case)
    update = data["outcome"].strip()
    data["outcome"] = update or action.outcome

    def differences():
        typed = {**data}
        return diff(ACTION_LABELS, action, typed)

    check_version(action.version, data["version"], stale_case(differences))
    _check_owner(case, data)
    before = _action_dict(action)
    for key in ("description", "agency_id", "owner_id", "due_on", "status", "outcome"):
        setattr(action, key, data[key])
    action.updated_at = utcnow()
    if update:
        flag_modified(action, "outcome")  # a new update is a new version, even if words repeat
    flush_or_stale(stale_case(differences))
    after = _action_dict(action)
    if before != after or update:
        _record_action_revision(action, actor, update)
        keys = [k for k in ACTION_LABELS if before[k] != after[k] or (k == "outcome" and update)]
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
        summary = f"Updated an action ({status}): {action.description}"
        if update:
            summary += f". What happened: {update}"
        log(case, actor, "action_updated", summary, working=action)
    return action
