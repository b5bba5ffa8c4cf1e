"""ASB case reviews (Anti-social Behaviour, Crime and Policing Act 2014, s.104): applications
by or for a victim, and referrals made by a conference. Each goes on the next weekly agenda
(hub.conferences.agenda) until the partners decide at conference whether the threshold is
met; a review found due is then held and its outcome recorded here.

Nothing here is personal: a review carries its reference, the case's reference, dates, who
applied (the victim or someone on their behalf, never a name) and the decisions. The
applicant's details stay in the case's records."""

from collections.abc import Mapping
from datetime import date

from marshmallow import Schema, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from hub import audit
from hub.casework.cases import hub_prefix
from hub.conferences.schemas import ApplicationSchema, OutcomeSchema
from hub.core.locking import StaleForm, check_version, flush_or_stale
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    Case,
    CaseReview,
    CaseReviewStatus,
    ConferenceDecision,
    Hub,
)

CHECK = "Check the review and try again."
STALE = "Someone else changed this review while you were editing. Check it and try again."


def next_reference(hub: Hub, on: date) -> str:
    """'ACR-CPL-2026-0001': numbered per hub and year."""
    prefix = f"ACR-{hub_prefix(hub.slug)}-{on.year}-"
    count = db.session.execute(
        select(func.count()).select_from(CaseReview).where(CaseReview.reference.like(prefix + "%"))
    ).scalar_one()
    return f"{prefix}{count + 1:04d}"


def awaiting_decision(case: Case) -> CaseReview | None:
    """The case's review awaiting its threshold decision, if any."""
    return db.session.execute(
        select(CaseReview)
        .where(CaseReview.case_id == case.id, CaseReview.status == CaseReviewStatus.RECEIVED)
        .order_by(CaseReview.id)
        .limit(1)
    ).scalar_one_or_none()


def open_review(
    hub: Hub,
    *,
    source: str,
    received_on: date,
    actor,
    case: Case | None = None,
    referral=None,
    applicant: str | None = None,
    complaints_reported: int | None = None,
) -> CaseReview:
    """Record a case review application (source "application") or a conference's referral to
    one (source "conference"). Audited; the caller commits."""
    review = CaseReview(
        hub_id=hub.id,
        reference=next_reference(hub, received_on),
        case_id=case.id if case else None,
        referral_id=referral.id if referral else None,
        source=source,
        applicant=applicant,
        complaints_reported=complaints_reported,
        received_on=received_on,
        status=CaseReviewStatus.RECEIVED.value,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(review)
    db.session.flush()
    audit.record(
        "case_review_opened",
        user=actor,
        hub=hub,
        target=review,
        details={
            "after": {
                "reference": review.reference,
                "source": source,
                "applicant": applicant,
                "case": case.reference if case else None,
                "received_on": received_on.isoformat(),
            }
        },
    )
    return review


# -- an application --------------------------------------------------------------------------


def _answers(form: Mapping, schema: Schema) -> dict:
    """The form's non-blank answers: a blank required one gets its "required" message."""
    answers = {k: (form.get(k) or "").strip() for k in schema.fields}
    return {k: v for k, v in answers.items() if v}


def record_application(hub: Hub, form: Mapping, actor) -> CaseReview:
    """An application received by the hub, against one of its cases (closed ones too: a
    victim may ask for a review of how a closed case was handled). Raises ValidationError
    with field messages, writing nothing."""
    data = ApplicationSchema().load(_answers(form, ApplicationSchema()))
    reference = data["case_reference"].upper()
    case = db.session.execute(
        select(Case).where(Case.hub_id == hub.id, Case.reference == reference)
    ).scalar_one_or_none()
    if case is None:
        raise ValidationError(
            {"case_reference": [f"There is no case {reference[:30]} in this hub"]}
        )
    waiting = awaiting_decision(case)
    if waiting is not None:
        raise ValidationError(
            {
                "case_reference": [
                    f"{case.reference} already has an application awaiting its threshold "
                    f"decision ({waiting.reference})"
                ]
            }
        )
    try:
        with db.session.begin_nested():
            return open_review(
                hub,
                source="application",
                received_on=data["received_on"],
                actor=actor,
                case=case,
                applicant=data["applicant"],
                complaints_reported=data["complaints_reported"],
            )
    except IntegrityError:
        # Another application, for this case or under the same number, at the same moment.
        raise ValidationError(
            {"case_reference": [f"Another application was recorded just now. {CHECK}"]}
        ) from None


# -- the threshold decision and the outcome ----------------------------------------------------


def decide_threshold(review: CaseReview, *, met: bool, actor, conference) -> None:
    """The partners' decision at conference. Refused, changing nothing, once decided."""
    if review.status != CaseReviewStatus.RECEIVED.value:
        raise ValidationError(
            {"kind": [f"{review.reference} has already had its threshold decision"]}
        )
    before = review.status
    review.status = (
        CaseReviewStatus.REVIEW_DUE.value if met else CaseReviewStatus.THRESHOLD_NOT_MET.value
    )
    review.threshold_met = met
    review.decided_at = utcnow()
    flush_or_stale(
        lambda: StaleForm(
            f"{review.reference} has just had its threshold decision. {CHECK}", field="kind"
        )
    )
    audit.record(
        "case_review_threshold_decided",
        user=actor,
        hub=review.hub,
        target=review,
        details={
            "before": {"status": before},
            "after": {"status": review.status, "conference_id": conference.id},
        },
    )


def record_outcome(review: CaseReview, form: Mapping, actor) -> None:
    """The review has been held: its outcome and recommendations, naming no one. Only for a
    review found due; a stale form is refused."""
    if review.status != CaseReviewStatus.REVIEW_DUE.value:
        raise ValidationError({"form": [f"{review.reference} is not awaiting its outcome"]})
    try:
        data = OutcomeSchema().load(_answers(form, OutcomeSchema()))
    except ValidationError as err:
        messages = dict(err.messages)
        if messages.pop("version", None):
            messages["form"] = [f"The page was out of date. {CHECK}"]
        raise ValidationError(messages) from None
    check_version(review.version, data["version"], lambda: StaleForm(STALE))
    review.status = CaseReviewStatus.COMPLETED.value
    review.outcome = data["outcome"]
    flush_or_stale(lambda: StaleForm(STALE))
    audit.record(
        "case_review_completed",
        user=actor,
        hub=review.hub,
        target=review,
        details={"before": {"status": "review_due"}, "after": {"status": review.status}},
    )


def decisions_on(review: CaseReview) -> list[ConferenceDecision]:
    """The conference decisions about this review (its referral by a conference, its
    threshold), oldest first, each with its conference."""
    return list(
        db.session.execute(
            select(ConferenceDecision)
            .where(
                ConferenceDecision.case_id == review.case_id,
                ConferenceDecision.details["case_review_id"].as_integer() == review.id,
            )
            .options(joinedload(ConferenceDecision.conference))
            .order_by(ConferenceDecision.id)
        ).scalars()
    )


def reviews_of(hub: Hub) -> list[CaseReview]:
    """The hub's case reviews, newest first, with their cases (references only)."""
    return list(
        db.session.execute(
            select(CaseReview)
            .where(CaseReview.hub_id == hub.id)
            .options(joinedload(CaseReview.case))
            .order_by(CaseReview.received_on.desc(), CaseReview.id.desc())
        ).scalars()
    )
