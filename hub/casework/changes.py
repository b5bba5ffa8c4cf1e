"""Writes on a case: notes, case details, the plan, actions, risk assessments, interventions,
the evaluation. Each validates first (nothing written on refusal), refuses stale saves, audits,
and logs an Activity entry (which notifies followers). Callers commit."""

from datetime import date, datetime, time, timedelta

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from hub import audit
from hub import permissions as perm
from hub.casework import StaleEdit
from hub.casework.activity import log
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    ActionStatus,
    Agency,
    AssessmentKind,
    Case,
    CaseAction,
    CaseMembership,
    CaseNote,
    DataCategory,
    Evaluation,
    HubAgency,
    Intervention,
    Plan,
    PlanRevision,
    RecordRestriction,
    RiskAssessment,
    User,
)
from hub.models.casework import (
    EVALUATION_OUTCOMES,
    INTERVENTION_TYPES,
    SUBJECT_AGE_GROUPS,
    ActionRevision,
)
from scoring import DEFAULT_RULESET, ScoreInput, band_rank, deadline_for, score_referral
from scoring.rules import CATEGORIES, OVERRIDE_ANSWERS, RISK_FACTORS

RULESET = DEFAULT_RULESET  # hubs do not yet keep their own ruleset


def _text(required_message: str | None = None, max_length: int = 5000, **kw):
    if required_message:
        return fields.String(
            required=True,
            validate=validate.Length(
                min=1, max=max_length, error=f"{required_message} (up to {max_length} characters)"
            ),
            error_messages={"required": required_message},
            **kw,
        )
    return fields.String(
        load_default="",
        validate=validate.Length(max=max_length, error=f"Use {max_length} characters or fewer"),
        **kw,
    )


def _date(message: str, required: bool = False):
    kw = {"required": True} if required else {"load_default": None}
    return fields.Date(
        error_messages={"required": message, "invalid": message + " in the form 2027-03-31"},
        **kw,
    )


def _category_field():
    return fields.String(
        required=True,
        validate=validate.OneOf(
            [c.value for c in DataCategory], error="Choose the data category this belongs to"
        ),
        error_messages={"required": "Choose the data category this belongs to"},
    )


def _check_category(user, case: Case, category: str, field: str = "category") -> None:
    """Partners record only what their own agreements cover, or they could not see it."""
    if category not in perm.shared_categories(user.agency_id, case.hub_id):
        raise ValidationError(
            {field: ["Your agency's information-sharing agreements do not cover this category"]}
        )


def _member_ids(case: Case) -> set[int]:
    return set(db.session.execute(perm.active_member_agency_ids(case.id)).scalars())


def _check_version(obj, submitted, differences) -> None:
    """Refuse a save from a form opened before the last save: nothing silently overwritten."""
    try:
        version = int(submitted)
    except (TypeError, ValueError):
        version = None
    if version != obj.version:
        raise StaleEdit(differences())


def _flush_or_stale(differences) -> None:
    """Two saves that passed the version check together: the loser's UPDATE matches no row."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise StaleEdit(differences()) from None


def _diff(labels: dict[str, str], obj, data: dict) -> list[tuple[str, str, str]]:
    out = []
    for key, label in labels.items():
        saved = getattr(obj, key)
        typed = data.get(key)
        if _show(saved) != _show(typed):
            out.append((label, _show(saved), _show(typed)))
    return out


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


# -- notes ------------------------------------------------------------------------------------


class NoteSchema(Schema):
    body = _text("Enter the note")
    category = _category_field()
    sharing = fields.String(
        load_default="members",
        validate=validate.OneOf(["members", "restricted"], error="Choose who may see the note"),
    )
    restricted_to = fields.List(fields.Integer(), load_default=list)


def add_note(case: Case, data: dict, *, actor) -> CaseNote:
    data = NoteSchema().load(data)
    _check_category(actor, case, data["category"])
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


# -- case details -----------------------------------------------------------------------------

CASE_LABELS = {
    "title": "Title",
    "lead_agency_id": "Lead agency",
    "spoc_user_id": "SPoC",
    "next_conference_on": "Next conference",
    "next_review_on": "Next review",
}


class CaseDetailsSchema(Schema):
    title = _text("Enter a short title that names no one", max_length=200)
    lead_agency_id = fields.Integer(load_default=None, error_messages={"invalid": "Choose one"})
    spoc_user_id = fields.Integer(load_default=None, error_messages={"invalid": "Choose one"})
    next_conference_on = _date("Enter the next conference date")
    next_review_on = _date("Enter the next review date")
    version = fields.Raw(load_default=None)


def conference_date(case: Case) -> date | None:
    return case.next_conference_at.astimezone(LONDON).date() if case.next_conference_at else None


def update_case(case: Case, data: dict, *, actor) -> list[str]:
    data = CaseDetailsSchema().load(data)

    def differences():
        saved = {
            "title": case.title,
            "lead_agency_id": case.lead_agency.name if case.lead_agency else None,
            "spoc_user_id": _user_name(case.spoc_user_id),
            "next_conference_on": conference_date(case),
            "next_review_on": case.next_review_on,
        }
        typed = {
            **data,
            "lead_agency_id": _agency_name(data["lead_agency_id"]),
            "spoc_user_id": _user_name(data["spoc_user_id"]),
        }
        return [
            (label, _show(saved[k]), _show(typed[k]))
            for k, label in CASE_LABELS.items()
            if _show(saved[k]) != _show(typed[k])
        ]

    _check_version(case, data["version"], differences)
    members = _member_ids(case)
    if data["lead_agency_id"] is not None and data["lead_agency_id"] not in members:
        raise ValidationError({"lead_agency_id": ["Choose an agency that is a member of the case"]})
    lead_changed = data["lead_agency_id"] != case.lead_agency_id
    if lead_changed and not perm.can_supervise_case(actor, case):
        raise ValidationError(
            {"lead_agency_id": ["Only a coordinator or hub manager can record the lead agency"]}
        )
    if data["spoc_user_id"] is not None:
        spoc = db.session.get(User, data["spoc_user_id"])
        if spoc is None or spoc.agency_id not in members:
            raise ValidationError(
                {"spoc_user_id": ["Choose a SPoC from one of the case's member agencies"]}
            )
    before = _case_dict(case)
    case.title = data["title"]
    case.spoc_user_id = data["spoc_user_id"]
    case.next_review_on = data["next_review_on"]
    conference = data["next_conference_on"]
    # The hub's weekly conference is in the morning; the board shows the date.
    case.next_conference_at = (
        datetime.combine(conference, time(10, 0), LONDON).astimezone(utcnow().tzinfo)
        if conference
        else None
    )
    if lead_changed:
        case.lead_agency_id = data["lead_agency_id"]
        case.lead_agreed_at = utcnow() if case.lead_agency_id else None
        case.lead_agreed_by_id = actor.id if case.lead_agency_id else None
    _flush_or_stale(differences)
    db.session.refresh(case)
    after = _case_dict(case)
    keys = [k for k in CASE_LABELS if before[k] != after[k]]
    if keys:
        audit.record(
            "case_updated",
            user=actor,
            hub=case.hub_id,
            target=case,
            details={
                "changed": keys,
                "before": {k: before[k] for k in keys if k != "title"},
                "after": {k: after[k] for k in keys if k != "title"},
            },
        )
        log(
            case,
            actor,
            "case_updated",
            "Changed " + ", ".join(CASE_LABELS[k].lower() for k in keys),
        )
    return [CASE_LABELS[k] for k in keys]


def _case_dict(case: Case) -> dict:
    values = {k: _show(getattr(case, k, None)) for k in CASE_LABELS}
    values["next_conference_on"] = _show(conference_date(case))
    return values


def _agency_name(agency_id):
    agency = db.session.get(Agency, agency_id) if agency_id else None
    return agency.name if agency else None


def _user_name(user_id):
    user = db.session.get(User, user_id) if user_id else None
    return user.name if user else None


# -- the plan ---------------------------------------------------------------------------------

PLAN_LABELS = {
    "objective": "Objective",
    "success_measures": "Success measures",
    "scanning": "Scanning",
    "analysis_victim": "Analysis: victim",
    "analysis_offender": "Analysis: offender",
    "analysis_location": "Analysis: location",
    "response": "Response",
    "assessment": "Assessment",
}


class PlanSchema(Schema):
    objective = _text()
    success_measures = _text()
    scanning = _text()
    analysis_victim = _text()
    analysis_offender = _text()
    analysis_location = _text()
    response = _text()
    assessment = _text()
    version = fields.Raw(load_default=None)

    @validates_schema
    def _measures_with_objective(self, data, **_):
        if data.get("objective") and not data.get("success_measures"):
            raise ValidationError(
                "State how you will measure success with the objective", "success_measures"
            )


def plan_of(case: Case) -> Plan | None:
    return db.session.execute(select(Plan).where(Plan.case_id == case.id)).scalar_one_or_none()


def save_plan(case: Case, data: dict, *, actor) -> Plan:
    data = PlanSchema().load(data)
    plan = plan_of(case)
    if plan is None:
        if data["version"] not in (None, "", "0"):
            # Someone created the plan after this form was opened.
            raise StaleEdit(_diff(PLAN_LABELS, _latest_plan(case), data))
        plan = Plan(case_id=case.id)
        db.session.add(plan)
    else:
        _check_version(plan, data["version"], lambda: _diff(PLAN_LABELS, plan, data))
    before = {k: getattr(plan, k) or "" for k in PLAN_LABELS}
    for key in PLAN_LABELS:
        setattr(plan, key, data[key])
    plan.updated_at = utcnow()
    plan.updated_by_id = actor.id
    _flush_or_stale(lambda: _diff(PLAN_LABELS, _latest_plan(case), data))
    snapshot = {k: data[k] for k in PLAN_LABELS}
    db.session.add(
        PlanRevision(plan_id=plan.id, version=plan.version, snapshot=snapshot, saved_by_id=actor.id)
    )
    changed = [k for k in PLAN_LABELS if before[k] != data[k]]  # the revision holds the words
    audit.record(
        "plan_saved",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={"plan_id": plan.id, "version": plan.version, "changed": changed},
    )
    log(case, actor, "plan_saved", f"Saved the plan (version {plan.version})")
    return plan


def _latest_plan(case: Case) -> Plan:
    db.session.expire_all()
    return plan_of(case)


def sign_off_plan(case: Case, data: dict, *, actor) -> Plan:
    plan = plan_of(case)
    if plan is None or not plan.objective:
        raise ValidationError({"form": ["Write the plan's objective before it is signed off"]})
    _check_version(plan, data.get("version"), lambda: [("Plan", f"version {plan.version}", "")])
    if not perm.can_supervise_case(actor, case):
        raise ValidationError({"form": ["Only a coordinator or hub manager can sign off a plan"]})
    plan.signed_off_at = utcnow()
    plan.signed_off_by_id = actor.id
    plan.signed_off_version = plan.version + 1  # this save bumps the version
    _flush_or_stale(lambda: [("Plan", "changed", "")])
    audit.record("plan_signed_off", user=actor, hub=case.hub_id, target=case)
    log(case, actor, "plan_signed_off", f"Signed off the plan (version {plan.version})")
    return plan


# -- actions ----------------------------------------------------------------------------------

ACTION_LABELS = {
    "description": "Description",
    "agency_id": "Owning agency",
    "owner_id": "Owner",
    "due_on": "Due date",
    "status": "Status",
    "outcome": "Outcome",
}


class ActionSchema(Schema):
    description = _text("Describe the action", max_length=2000)
    agency_id = fields.Integer(
        required=True,
        error_messages={"required": "Choose the owning agency", "invalid": "Choose an agency"},
    )
    owner_id = fields.Integer(
        required=True, error_messages={"required": "Choose the owner", "invalid": "Choose one"}
    )
    due_on = _date("Enter the due date", required=True)
    status = fields.String(
        load_default=ActionStatus.OPEN.value,
        validate=validate.OneOf([s.value for s in ActionStatus], error="Choose a status"),
    )
    outcome = _text(max_length=2000)
    version = fields.Raw(load_default=None)


def _check_owner(case: Case, data: dict) -> None:
    if data["agency_id"] not in _member_ids(case):
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
    return {k: _show(getattr(action, k)) for k in ACTION_LABELS}


# An action's fields that hold no one's words, so its audit entries may carry their values.
ACTION_CODES = ("agency_id", "owner_id", "due_on", "status")


def _action_codes(action: CaseAction) -> dict:
    return {k: _show(getattr(action, k)) for k in ACTION_CODES}


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
        return _diff(ACTION_LABELS, action, typed)

    _check_version(action, data["version"], differences)
    _check_owner(case, data)
    before = _action_dict(action)
    for key in ("description", "agency_id", "owner_id", "due_on", "status", "outcome"):
        setattr(action, key, data[key])
    action.updated_at = utcnow()
    _flush_or_stale(differences)
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


# -- risk assessments -------------------------------------------------------------------------

ANSWERS = RISK_FACTORS + OVERRIDE_ANSWERS


class AssessmentSchema(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(
            [k.value for k in AssessmentKind], error="Choose when this assessment is made"
        ),
        error_messages={"required": "Choose when this assessment is made"},
    )
    problem_type = fields.String(
        required=True,
        validate=validate.OneOf(CATEGORIES, error="Choose the kind of problem"),
        error_messages={"required": "Choose the kind of problem"},
    )
    answers = fields.List(
        fields.String(validate=validate.OneOf(ANSWERS, error="Choose from the list")),
        load_default=list,
    )
    summary = _text()
    category = _category_field()
    sign = fields.Boolean(load_default=False)


def score(problem_type: str, answers: list[str], at: datetime):
    return score_referral(
        ScoreInput(risk=dict.fromkeys(answers, True), category=problem_type, submitted_at=at),
        RULESET,
    )


def record_assessment(case: Case, data: dict, *, actor) -> RiskAssessment:
    data = AssessmentSchema().load(data)
    _check_category(actor, case, data["category"])
    now = utcnow()
    result = score(data["problem_type"], data["answers"], now)
    assessment = RiskAssessment(
        case_id=case.id,
        kind=data["kind"],
        problem_type=data["problem_type"],
        answers={a: True for a in sorted(set(data["answers"]))},
        summary=data["summary"],
        score=result.score,
        band=result.band,
        explanation=[c.to_dict() for c in result.explanation],
        ruleset_version=result.ruleset_version,
        assessor_id=actor.id,
        assessed_at=now,
        category=data["category"],
        origin_agency_id=actor.agency_id,
    )
    db.session.add(assessment)
    db.session.flush()
    audit.record(
        "risk_assessment_recorded",
        user=actor,
        hub=case.hub_id,
        target=assessment,
        details={"case_id": case.id, "score": result.score, "band": result.band},
    )
    if data["sign"]:
        sign_assessment(case, assessment, actor=actor, now=now)
    else:
        log(case, actor, "risk_assessed", "Drafted a risk assessment", record=assessment)
    return assessment


def sign_assessment(case: Case, assessment: RiskAssessment, *, actor, now=None) -> bool:
    """Sign (and so freeze) an assessment. A higher band raises the case's band and brings its
    conference forward; the next assessment falls due by the band's review cadence. Returns
    whether the case's band was raised."""
    if assessment.signed_at is not None:
        raise ValidationError({"form": ["This assessment is signed and cannot change"]})
    now = now or utcnow()
    assessment.signed_at = now
    raised = band_rank(assessment.band) > band_rank(case.band)
    before = {"band": case.band, "score": case.score, "conference_due_by": case.conference_due_by}
    if raised:
        case.band = assessment.band
        case.score = assessment.score
        case.score_explanation = assessment.explanation
        case.ruleset_version = assessment.ruleset_version
        due = deadline_for(case.band, now, None, RULESET)
        if case.conference_due_by is None or due < case.conference_due_by:
            case.conference_due_by = due
    cadence = RULESET.review_days[case.band]
    assessment.next_due_on = now.astimezone(LONDON).date() + timedelta(days=cadence)
    db.session.flush()
    audit.record(
        "risk_assessment_signed",
        user=actor,
        hub=case.hub_id,
        target=assessment,
        details={
            "case_id": case.id,
            "before": {k: _show(v) for k, v in before.items()},
            "after": {
                "band": case.band,
                "score": case.score,
                "conference_due_by": _show(case.conference_due_by),
            },
        },
    )
    words = f"Signed a risk assessment ({AssessmentKind(assessment.kind).label.lower()})"
    if raised:
        words += f"; the case's band rose to {case.band}"
    log(case, actor, "risk_signed", words, record=assessment)
    return raised


# -- interventions and powers -----------------------------------------------------------------

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


class InterventionSchema(Schema):
    type = fields.String(
        required=True,
        validate=validate.OneOf(list(INTERVENTION_TYPES), error="Choose the intervention or power"),
        error_messages={"required": "Choose the intervention or power"},
    )
    issuing_officer = _text("Enter the issuing officer's name", max_length=200)
    subject = _text("Enter the person or place it was used on", max_length=200)
    subject_age_group = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["", *SUBJECT_AGE_GROUPS], error="Choose the subject's age group"),
    )
    conditions = _text()
    served_on = _date("Enter the date served")
    expires_on = _date("Enter the expiry date")
    review_on = _date("Enter the review date")
    breaches = _text()
    appeal = _text()
    outcome = _text()
    category = _category_field()
    version = fields.Raw(load_default=None)

    @post_load
    def _age_group_or_none(self, data, **_):
        data["subject_age_group"] = data.get("subject_age_group") or None
        return data

    @validates_schema
    def _dates_in_order(self, data, **_):
        served, expires = data.get("served_on"), data.get("expires_on")
        if served and expires and expires < served:
            raise ValidationError(
                "The expiry date must be on or after the date served", "expires_on"
            )


def record_intervention(case: Case, data: dict, *, actor) -> Intervention:
    data = InterventionSchema().load(data)
    _check_category(actor, case, data["category"])
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
    differences = lambda: _diff(INTERVENTION_LABELS, item, data)  # noqa: E731
    _check_version(item, data["version"], differences)
    _check_category(actor, case, data["category"])
    if item.origin_agency_id != actor.agency_id:
        raise ValidationError({"form": ["Only the issuing agency can update this record"]})
    for key in ("type", "category", *INTERVENTION_LABELS):
        setattr(item, key, data[key])
    _flush_or_stale(differences)
    audit.record(
        "intervention_updated",
        user=actor,
        hub=case.hub_id,
        target=item,
        details={"case_id": case.id, "type": item.type},
    )
    log(case, actor, "intervention_updated", f"Updated: {item.type_label}", record=item)
    return item


# -- the evaluation ---------------------------------------------------------------------------


class EvaluationSchema(Schema):
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(list(EVALUATION_OUTCOMES), error="Choose the outcome"),
        error_messages={"required": "Choose the outcome"},
    )
    summary = _text("Summarise the outcome against the success measures")
    lessons = _text()


def record_evaluation(case: Case, data: dict, *, actor) -> Evaluation:
    data = EvaluationSchema().load(data)
    evaluation = Evaluation(case_id=case.id, recorded_by_id=actor.id, **data)
    db.session.add(evaluation)
    db.session.flush()
    audit.record(
        "evaluation_recorded",
        user=actor,
        hub=case.hub_id,
        target=evaluation,
        details={"case_id": case.id, "outcome": evaluation.outcome},
    )
    log(case, actor, "evaluation_recorded", f"Recorded the evaluation: {evaluation.outcome}")
    return evaluation


def member_agencies(case: Case) -> list[Agency]:
    query = (
        select(Agency)
        .join(CaseMembership, CaseMembership.agency_id == Agency.id)
        .where(CaseMembership.case_id == case.id, CaseMembership.removed_at.is_(None))
        .order_by(Agency.name)
    )
    return list(db.session.execute(query).scalars())
