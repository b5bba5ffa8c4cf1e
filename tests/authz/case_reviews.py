"""ASB case reviews: the register, recording an application and a review's outcome are for
the hub's coordinators, hub managers and SPoCs (no SPoC persona here); everyone else, another
hub's manager and system administrators included, gets the same 404 as a missing page."""

from datetime import date

from hub.extensions import db
from hub.models import CaseReview
from tests.authz import Route, expect

KEEPERS_PAGE = expect(404, anonymous=302, coordinator=200, hub_manager=200)
KEEPERS_WRITE = expect(404, anonymous=302, coordinator=302, hub_manager=302)


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
        "case_reviews.outcome",
        "POST",
        "/case-reviews/{review_id}/outcome",
        KEEPERS_WRITE,
        data={"outcome": "Agencies to share incident logs weekly", "version": "1"},
    ),
]
