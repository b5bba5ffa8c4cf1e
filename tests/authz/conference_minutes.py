"""After the meeting: the minutes (on screen and printed), the printed agenda and the hub's
decision log are for everyone whose agency is in the hub, filtered for each reader (a case's
details only for its member agencies). The chair (here the coordinator) alone writes the
general remarks and approves; the chair or the hub's coordinators and managers circulate
approved minutes. Everyone else gets the same 404 as a missing page."""

from datetime import timedelta

from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AgendaItem, AgendaReason, Conference, ConferenceDecision
from tests.authz import Route, expect

IN_HUB = expect(200, anonymous=302, other_hub=404)
OTHER_HUB = expect(404, anonymous=302, other_hub=200)
CHAIR_WRITE = expect(404, anonymous=302, coordinator=302)
CIRCULATE = expect(404, anonymous=302, coordinator=302, hub_manager=302)


def _held(m, days_ago: int, **values) -> Conference:
    conference = Conference(
        hub_id=m.hub.id,
        starts_at=utcnow() - timedelta(days=days_ago),
        status="held",
        chair_id=m.users["coordinator"].id,
        **values,
    )
    db.session.add(conference)
    db.session.flush()
    item = AgendaItem(
        conference_id=conference.id,
        case_id=m.case.id,
        reason=AgendaReason.REVIEW_DUE.value,
        position=1,
    )
    db.session.add(item)
    db.session.flush()
    db.session.add(
        ConferenceDecision(
            conference_id=conference.id,
            item_id=item.id,
            case_id=m.case.id,
            kind="next_review",
            summary="Review again in four weeks",
            decided_by_id=m.users["coordinator"].id,
        )
    )
    db.session.flush()
    return conference


def setup(m) -> dict:
    """A held conference awaiting approval, and an approved one not yet circulated."""
    held = _held(m, 2)
    approved = _held(
        m,
        9,
        minutes_approved_at=utcnow() - timedelta(days=8),
        minutes_approved_by_id=m.users["coordinator"].id,
    )
    return {
        "held_id": held.id,
        "held_version": held.edit_version,
        "approved_id": approved.id,
    }


ROUTES = [
    Route("conference_minutes.show", "GET", "/conferences/{held_id}/minutes", IN_HUB),
    Route(
        "conference_minutes.print_minutes", "GET", "/conferences/{held_id}/minutes/print", IN_HUB
    ),
    Route("conference_minutes.print_agenda", "GET", "/conferences/{held_id}/agenda/print", IN_HUB),
    Route("conference_minutes.decision_log", "GET", "/hubs/{hub_slug}/decisions", IN_HUB),
    Route("conference_minutes.decision_log", "GET", "/hubs/{other_hub_slug}/decisions", OTHER_HUB),
    Route(
        "conference_minutes.save_remarks",
        "POST",
        "/conferences/{held_id}/minutes/remarks",
        CHAIR_WRITE,
        data={"remarks": "Good attendance from every partner.", "version": "{held_version}"},
    ),
    Route(
        "conference_minutes.approve",
        "POST",
        "/conferences/{held_id}/minutes/approve",
        CHAIR_WRITE,
        data={"version": "{held_version}"},
    ),
    Route(
        "conference_minutes.circulate",
        "POST",
        "/conferences/{approved_id}/minutes/circulate",
        CIRCULATE,
        data={},
    ),
]
