"""A case's stage, and what each stage needs before a case may move into it. The case page
and the planner board both move cases through move_stage(), so the checks are the same."""

from marshmallow import ValidationError
from sqlalchemy import select

from hub import audit
from hub.casework.activity import log
from hub.casework.checks import stale_case
from hub.casework.plans import plan_of
from hub.core.locking import check_version, flush_or_stale
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AssessmentKind, Case, Evaluation, RiskAssessment, Stage

ORDER = [
    Stage.REFERRED,
    Stage.AWAITING_CONFERENCE,
    Stage.ACTIVE,
    Stage.REVIEW,
    Stage.EVALUATION,
    Stage.CLOSED,
]


def unmet_needs(case: Case, target: Stage) -> list[str]:
    """What the case still needs before it can move to `target`, in plain words."""
    needs = []
    if target == Stage.ACTIVE:
        if case.lead_agency_id is None or case.lead_agreed_at is None:
            needs.append("An active case needs an agreed lead agency")
        plan = plan_of(case)
        if plan is None or not plan.objective.strip():
            needs.append("An active case needs a plan with an objective")
    if target == Stage.CLOSED:
        closure = db.session.execute(
            select(RiskAssessment.id).where(
                RiskAssessment.case_id == case.id,
                RiskAssessment.kind == AssessmentKind.AT_CLOSURE.value,
                RiskAssessment.signed_at.is_not(None),
            )
        ).first()
        if closure is None:
            needs.append("A case cannot close without a signed closure risk assessment")
        signed = db.session.execute(
            select(Evaluation.id)
            .where(Evaluation.case_id == case.id, Evaluation.signed_at.is_not(None))
            .limit(1)
        ).first()
        if signed is None:
            needs.append("A case cannot close without a signed evaluation")
    return needs


def is_backwards(case: Case, target: Stage) -> bool:
    """A move to an earlier stage (a closed case reopening among them) undoes work."""
    return ORDER.index(target) < ORDER.index(Stage(case.stage))


def move_stage(case: Case, target: str, version, *, actor, reason: str | None = None) -> None:
    """Move a case to another stage. A move backwards needs its reason, which the case's
    activity log keeps, so nobody sends a case back by one stray click."""
    try:
        stage = Stage(target)
    except ValueError:
        raise ValidationError({"stage": ["Choose a stage from the list"]}) from None
    reason = (reason or "").strip()
    differences = lambda: [("Stage", Stage(case.stage).label, stage.label)]  # noqa: E731
    check_version(case.version, version, stale_case(differences))
    if stage.value == case.stage:
        raise ValidationError({"stage": [f"The case is already at {stage.label.lower()}"]})
    needs = unmet_needs(case, stage)
    if needs:
        # One message, so the error summary and the board's banner both show every need.
        raise ValidationError({"stage": [". ".join(needs)]})
    backwards = is_backwards(case, stage)
    if backwards and not reason:
        raise ValidationError(
            {"reason": [f"Enter the reason for moving the case back to {stage.label.lower()}"]}
        )
    if len(reason) > 2000:
        raise ValidationError({"reason": ["The reason must be 2,000 characters or fewer"]})
    before = case.stage
    case.stage = stage.value
    case.closed_at = utcnow() if stage == Stage.CLOSED else None
    flush_or_stale(stale_case(differences))
    audit.record(
        "case_stage_changed",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={"before": {"stage": before}, "after": {"stage": stage.value}},
    )
    summary = f"Moved the case from {Stage(before).label.lower()} to {stage.label.lower()}"
    if backwards:
        summary = (
            f"Moved the case back from {Stage(before).label.lower()} to "
            f"{stage.label.lower()}. Reason: {reason}"
        )
    log(case, actor, "stage_changed", summary)


def close_unopened(case: Case, reason: str, version, *, actor) -> None:
    """Close a case the partners decline at its first conference. It was never worked, so it
    needs no closure assessment or evaluation; the reason is recorded instead."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Enter the reason for declining"]})
    if case.stage not in (Stage.REFERRED.value, Stage.AWAITING_CONFERENCE.value):
        raise ValidationError(
            {"stage": ["Only a case awaiting its first conference can be closed this way"]}
        )
    differences = lambda: [("Stage", Stage(case.stage).label, Stage.CLOSED.label)]  # noqa: E731
    check_version(case.version, version, stale_case(differences))
    before = case.stage
    case.stage = Stage.CLOSED.value
    case.closed_at = utcnow()
    flush_or_stale(stale_case(differences))
    audit.record(
        "case_closed_unopened",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={"before": {"stage": before}, "after": {"stage": case.stage}},
    )
    log(case, actor, "stage_changed", "Declined at conference: the case is closed")
