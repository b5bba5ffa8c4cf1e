"""ASB case reviews: the register, recording an application and a review's steps are for
the hub's coordinators, hub managers and SPoCs (no SPoC persona here); the hub's timescales for
its coordinators and managers; the annual figures for them and its analysts; a complaint to an
agency is a record on the case (as a logged incident). Everyone else, another hub's manager
and system administrators included, gets the same 404 as a missing page."""

from datetime import date

from hub.extensions import db
from hub.models import CaseReview
from tests.authz import Route, expect
from tests.authz.casework import INCIDENT_CREATE

KEEPERS_PAGE = expect(404, anonymous=302, coordinator=200, hub_manager=200)
KEEPERS_WRITE = expect(404, anonymous=302, coordinator=302, hub_manager=302)
FIGURES = expect(404, anonymous=302, analyst=200, coordinator=200, hub_manager=200)
TIMESCALES = {
    "acknowledge_days": "2",
    "decision_days": "10",
    "meeting_days": "28",
    "outcome_days": "5",
    "appeal_days": "20",
}


def setup(m) -> dict:
    review = CaseReview(
        hub_id=m.hub.id,
        reference="ACR-MTX-2026-0001",
        case_id=m.case.id,
        source="application",
        applicant="victim",
        received_on=date(2026, 11, 2),
        status="review_due",
        threshold_met=True,
        chair_name="Ann Other",
        chair_role="Head of community safety",
    )
    db.session.add(review)
    db.session.flush()
    return {"review_id": review.id, "case_reference": m.case.reference}


ROUTES = [
    Route("case_reviews.index", "GET", "/hubs/{hub_slug}/case-reviews", KEEPERS_PAGE),
    Route(
        "case_reviews.index",
        "GET",
        "/hubs/{other_hub_slug}/case-reviews",
        expect(404, anonymous=302, other_hub=200),
    ),
    Route("case_reviews.new", "GET", "/hubs/{hub_slug}/case-reviews/new", KEEPERS_PAGE),
    Route(
        "case_reviews.new",
        "POST",
        "/hubs/{hub_slug}/case-reviews/new",
        KEEPERS_WRITE,
        data={
            "case_reference": "{case_reference}",
            "received_on": "2026-11-20",
            "applicant": "victim",
        },
    ),
    Route("case_reviews.show", "GET", "/case-reviews/{review_id}", KEEPERS_PAGE),
    Route(
        "case_reviews.letter",
        "GET",
        "/case-reviews/{review_id}/letters/acknowledgement",
        KEEPERS_PAGE,
    ),
    Route(
        "case_reviews.step",
        "POST",
        "/case-reviews/{review_id}/steps/acknowledge",
        KEEPERS_WRITE,
        data={"acknowledged_on": "2026-11-03", "acknowledged_by": "post", "version": "1"},
    ),
    Route(
        "case_reviews.outcome",
        "POST",
        "/case-reviews/{review_id}/outcome",
        KEEPERS_WRITE,
        data={
            "outcome": "Agencies to share incident logs weekly",
            "held_on": "2026-11-20",
            "version": "1",
        },
    ),
    Route(
        "case_reviews.step",
        "POST",
        "/case-reviews/{review_id}/steps/victim_invited",
        KEEPERS_WRITE,
        data={"victim_invited_on": "2026-11-03", "version": "1"},
    ),
    Route(
        "case_reviews.complaint",
        "POST",
        "/cases/{case_id}/complaints",
        INCIDENT_CREATE,
        data={
            "review_id": "{review_id}",
            "made_on": "2026-11-01",
            "complainant": "A neighbour",
            "location": "Mill Street",
        },
    ),
    Route(
        "case_reviews.settings",
        "GET",
        "/hubs/{hub_slug}/case-reviews/timescales",
        KEEPERS_PAGE,
    ),
    Route(
        "case_reviews.settings",
        "POST",
        "/hubs/{hub_slug}/case-reviews/timescales",
        KEEPERS_WRITE,
        data=TIMESCALES,
    ),
    Route("case_reviews.figures", "GET", "/hubs/{hub_slug}/case-reviews/figures", FIGURES),
    Route(
        "case_reviews.figures_print", "GET", "/hubs/{hub_slug}/case-reviews/figures/print", FIGURES
    ),
    Route("case_reviews.figures_csv", "GET", "/hubs/{hub_slug}/case-reviews/figures.csv", FIGURES),
]
