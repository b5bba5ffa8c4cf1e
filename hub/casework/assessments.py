"""Risk assessments: dated and immutable once signed. Signing one may raise the case's band
and bring its conference forward, and sets when the next is due. Audited; callers commit."""

from datetime import datetime, timedelta

from marshmallow import ValidationError

from hub import audit
from hub.casework import cases, deadlines, history, scores
from hub.casework.activity import log
from hub.casework.checks import check_category, show
from hub.casework.schemas import (
    AssessmentSchema,
)
from hub.casework.scores import HubScoring
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    AssessmentKind,
    Case,
    DeadlineSource,
    RiskAssessment,
)
from scoring import ScoreInput, band_rank, deadline_for, score_referral


def score(case: Case, problem_type: str, answers: list[str], at: datetime, scoring: HubScoring):
    """The assessment's score by the hub's own ruleset and weekly conference and the case's
    repeat history, as a referral to the hub is scored on arrival (hub.casework.scores): one
    scoring path, so a reassessment never bands lower for want of the history."""
    ruleset = scoring.ruleset
    found = history.case_history(
        case.id, case.hub_id, at.astimezone(LONDON).date(), ruleset.case_review.window_days
    )
    risk = {a: True for a in answers if a in ruleset.answer_keys}
    return score_referral(
        ScoreInput(
            risk=risk,
            category=problem_type,
            submitted_at=at,
            repeat=found.repeat,
            conference=scoring.weekly,
            complaints_in_window=max(found.complaints_in_window, 1),
            hate_incidents_in_window=found.hate_incidents_in_window
            + (1 if risk.get("hate_motivated") else 0),
            vulnerabilities=found.vulnerabilities,
            incident_count=found.incident_count,
            first_incident_on=found.first_incident_on,
        ),
        ruleset,
    )


def record_assessment(case: Case, data: dict, *, actor) -> RiskAssessment:
    data = AssessmentSchema().load(data)
    check_category(actor, case, data["category"])
    now = utcnow()
    scoring = scores.for_hub(case.hub_id)
    result = score(case, data["problem_type"], data["answers"], now, scoring)
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
        _sign(case, assessment, actor, now, scoring)
    else:
        log(case, actor, "risk_assessed", "Drafted a risk assessment", record=assessment)
    return assessment


def sign_assessment(case: Case, assessment: RiskAssessment, *, actor) -> bool:
    """Sign (and so freeze) an assessment. A higher band raises the case's band and brings its
    conference forward; the next assessment falls due by the band's review cadence, both by
    the hub's own ruleset and weekly conference. Returns whether the case's band was raised."""
    return _sign(case, assessment, actor, utcnow(), scores.for_hub(case.hub_id))


def _sign(case: Case, assessment: RiskAssessment, actor, now, scoring: HubScoring) -> bool:
    if assessment.signed_at is not None:
        raise ValidationError({"form": ["This assessment is signed and cannot change"]})
    assessment.signed_at = now
    before = {"band": case.band, "score": case.score, "conference_due_by": case.conference_due_by}
    raised = band_rank(assessment.band) > band_rank(case.band) and cases.raise_band(
        case,
        band=assessment.band,
        score=assessment.score,
        explanation=assessment.explanation,
        ruleset_version=assessment.ruleset_version,
        due=deadline_for(assessment.band, now, scoring.weekly, scoring.ruleset),
    )
    if raised:
        deadlines.set_deadline(
            case,
            band=case.band,
            due=deadline_for(assessment.band, now, scoring.weekly, scoring.ruleset),
            source=DeadlineSource.REASSESSMENT,
            now=now,
            actor=actor,
            record_id=assessment.id,
        )
    cadence = scoring.ruleset.review_days[case.band]
    assessment.next_due_on = now.astimezone(LONDON).date() + timedelta(days=cadence)
    db.session.flush()
    audit.record(
        "risk_assessment_signed",
        user=actor,
        hub=case.hub_id,
        target=assessment,
        details={
            "case_id": case.id,
            "before": {k: show(v) for k, v in before.items()},
            "after": {
                "band": case.band,
                "score": case.score,
                "conference_due_by": show(case.conference_due_by),
            },
        },
    )
    words = f"Signed a risk assessment ({AssessmentKind(assessment.kind).label.lower()})"
    if raised:
        words += f"; the case's band rose to {case.band}"
    log(case, actor, "risk_signed", words, record=assessment)
    return raised
