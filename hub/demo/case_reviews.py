"""The demo's ASB case review held from start to finish: an application on the Valley View
noise case received forty days ago, acknowledged, decided, the victim's account given, an
independent chair, the review held and the outcome letter sent; so the register shows
timescales met and the annual figures have content. Built through the conferences' services;
idempotent.

No recommendation is written into the case as an action here: an action's audit entry names
its owner (owner_id), which the one-off audit clean-up migration (h1auditmeta) predates, and
tests/audit rebuild the demo under that migration."""

from datetime import datetime, time, timedelta

from sqlalchemy import select

from hub.conferences import case_reviews, review_steps
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import Case, CaseReview, CaseReviewStatus, Hub, User
from hub.permissions import hub_today
from scoring.calendar import add_working_days

CASE_TITLE = "Noise nuisance, Valley View flats"
COORDINATOR = "ps.coordinator@cumbria-police.example"


def build_demo_case_review(hub: Hub) -> int:
    case = db.session.execute(
        select(Case).where(Case.hub_id == hub.id, Case.title == CASE_TITLE)
    ).scalar_one_or_none()
    if (
        case is None
        or db.session.execute(select(CaseReview.id).where(CaseReview.case_id == case.id)).first()
    ):
        return 0
    coordinator = db.session.execute(select(User).where(User.email == COORDINATOR)).scalar_one()
    received = hub_today() - timedelta(days=40)
    review = case_reviews.open_review(
        hub,
        source="application",
        applicant="victim",
        complaints_reported=4,
        received_on=received,
        actor=coordinator,
        case=case,
    )

    def take(change, **form):
        change(review, form | {"version": str(review.version)}, coordinator)

    take(
        review_steps.acknowledge,
        acknowledged_on=add_working_days(received, 1).isoformat(),
        acknowledged_by="post",
    )
    # Decided at a weekly conference held before the demo's history begins.
    decided = add_working_days(received, 8)
    review.status = CaseReviewStatus.REVIEW_DUE.value
    review.threshold_met = True
    review.decided_at = datetime.combine(decided, time(10), tzinfo=LONDON)
    db.session.flush()
    take(review_steps.invite_victim, victim_invited_on=add_working_days(decided, 1).isoformat())
    take(
        review_steps.record_victim_account,
        victim_account="received",
        victim_account_on=add_working_days(decided, 4).isoformat(),
    )
    take(
        review_steps.record_chair,
        chair_name="Helen Brathwaite",
        chair_role="Head of Community Safety, Allerdale (independent of the case)",
        chair_agency_id="",
    )
    held = min(decided + timedelta(days=20), hub_today())
    take(
        case_reviews.record_outcome,
        held_on=held.isoformat(),
        outcome="The partners' response was slow to join up. Recommendations: one shared "
        "incident log, a weekly noise reading, and the tenant told of each step.",
    )
    sent = min(add_working_days(held, 3), hub_today())
    take(review_steps.send_outcome_letter, outcome_sent_on=sent.isoformat(), outcome_sent_by="post")
    return 1
