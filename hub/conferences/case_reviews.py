"""ASB case reviews (Anti-social Behaviour, Crime and Policing Act 2014, s.104): applications
by or for a victim, and referrals made by a conference. Each goes on the next agenda until the
partners decide whether the threshold is met."""

from datetime import date

from sqlalchemy import func, select

from hub import audit
from hub.extensions import db
from hub.models import Case, CaseReview, CaseReviewStatus, Hub
from referrals.triage import hub_prefix


def next_reference(hub: Hub, on: date) -> str:
    """'ACR-CPL-2026-0001': numbered per hub and year."""
    prefix = f"ACR-{hub_prefix(hub.slug)}-{on.year}-"
    count = db.session.execute(
        select(func.count()).select_from(CaseReview).where(CaseReview.reference.like(prefix + "%"))
    ).scalar_one()
    return f"{prefix}{count + 1:04d}"


def open_review(
    hub: Hub, *, source: str, received_on: date, actor, case: Case | None = None, referral=None
) -> CaseReview:
    """Record a case review application (source "application") or a conference's referral to
    one (source "conference"). Audited; the caller commits."""
    review = CaseReview(
        hub_id=hub.id,
        reference=next_reference(hub, received_on),
        case_id=case.id if case else None,
        referral_id=referral.id if referral else None,
        source=source,
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
                "case": case.reference if case else None,
                "received_on": received_on.isoformat(),
            }
        },
    )
    return review
