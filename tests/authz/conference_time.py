"""Urgent conferences and keeping time. Confirming or declining a proposed urgent conference
is for the hub's coordinators and hub managers; the timeliness page and the breach reasons
also for system administrators (who manage every hub), the timeliness page also for the hub's
analysts. Everyone else gets the same 404 as a
missing page, anonymous users the sign-in page. Nothing personal on any of them."""

from datetime import timedelta

from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import AgendaItem, AgendaReason, Case, CaseDeadline, Conference, Referral
from tests.authz import Route, expect

RUNNERS_PAGE = expect(404, anonymous=302, coordinator=200, hub_manager=200)
RUNNERS_WRITE = expect(404, anonymous=302, coordinator=302, hub_manager=302)
# The timeliness figures are for analysts too (hub.permissions: figures, never names); the
# breach reasons are recorded by those who run conferences.
TIMELINESS_PAGE = expect(
    404, anonymous=302, coordinator=200, hub_manager=200, sysadmin=200, analyst=200
)
REASON_PAGE = expect(404, anonymous=302, coordinator=200, hub_manager=200, sysadmin=200)
TIMELINESS_WRITE = expect(404, anonymous=302, coordinator=302, hub_manager=302, sysadmin=302)
OTHER_HUB_PAGE = expect(404, anonymous=302, other_hub=200, sysadmin=200)


def setup(m) -> dict:
    """A critical referral whose deadline passed yesterday (a breach), on a proposed urgent
    conference next week."""
    now = utcnow()
    referrer = m.users["referrer"]
    referral = Referral(
        hub_id=m.hub.id,
        agency_id=referrer.agency_id,
        user_id=referrer.id,
        reference="MTX-REF-1",
        status="submitted",
        category="incident",
        origin_agency_id=referrer.agency_id,
        band="critical",
        conference_due_by=now - timedelta(days=1),
        submitted_at=now - timedelta(days=2),
    )
    conference = Conference(
        hub_id=m.hub.id,
        kind="urgent",
        status="proposed",
        starts_at=now + timedelta(days=7),
        reason="Critical referral MTX-REF-1 is due before the weekly conference.",
    )
    db.session.add_all([referral, conference])
    db.session.flush()
    db.session.add(
        AgendaItem(
            conference_id=conference.id,
            referral_id=referral.id,
            reason=AgendaReason.URGENT.value,
            position=1,
        )
    )
    db.session.flush()
    # An active case whose band a reassessment raised to critical two days ago, due yesterday.
    case = Case(
        hub_id=m.hub.id, reference="MTX-CASE-DL", title="Raised", stage="active", band="critical"
    )
    db.session.add(case)
    db.session.flush()
    deadline = CaseDeadline(
        case_id=case.id,
        hub_id=m.hub.id,
        band="critical",
        due_by=now - timedelta(days=1),
        set_at=now - timedelta(days=2),
        source="reassessment",
    )
    db.session.add(deadline)
    db.session.flush()
    future = (now + timedelta(days=8)).astimezone(LONDON).date().isoformat()
    return {
        "urgent_id": conference.id,
        "breach_id": referral.id,
        "case_deadline_id": deadline.id,
        "future_day": future,
    }


ROUTES = [
    Route("conference_time.urgent", "GET", "/conferences/{urgent_id}/urgent", RUNNERS_PAGE),
    Route(
        "conference_time.confirm_urgent",
        "POST",
        "/conferences/{urgent_id}/urgent/confirm",
        RUNNERS_WRITE,
        data={"day": "{future_day}", "time": "10:00", "edit_version": "1"},
    ),
    Route(
        "conference_time.decline_urgent",
        "POST",
        "/conferences/{urgent_id}/urgent/decline",
        RUNNERS_WRITE,
        data={"reason": "Safeguarded already", "edit_version": "1"},
    ),
    Route(
        "conference_time.timeliness",
        "GET",
        "/hubs/{hub_slug}/conferences/timeliness",
        TIMELINESS_PAGE,
    ),
    Route(
        "conference_time.timeliness",
        "GET",
        "/hubs/{other_hub_slug}/conferences/timeliness",
        OTHER_HUB_PAGE,
    ),
    Route(
        "conference_time.breach",
        "GET",
        "/hubs/{hub_slug}/conferences/timeliness/{breach_id}",
        REASON_PAGE,
    ),
    Route(
        "conference_time.breach",
        "POST",
        "/hubs/{hub_slug}/conferences/timeliness/{breach_id}",
        TIMELINESS_WRITE,
        data={"reason": "The chair was unavailable", "version": ""},
    ),
    Route(
        "conference_time.case_breach",
        "GET",
        "/hubs/{hub_slug}/conferences/timeliness/cases/{case_deadline_id}",
        REASON_PAGE,
    ),
    Route(
        "conference_time.case_breach",
        "POST",
        "/hubs/{hub_slug}/conferences/timeliness/cases/{case_deadline_id}",
        TIMELINESS_WRITE,
        data={"reason": "The chair was unavailable", "version": ""},
    ),
]
