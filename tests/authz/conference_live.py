"""Running a conference: the chair's page and its writes are for the hub's coordinators and
hub managers; everyone else in the hub gets the same 404 as a missing page. The decisions a
conference page polls are for everyone in the hub (each filtered for its reader)."""

from datetime import timedelta

from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AgendaItem, AgendaReason, Conference, ConferenceStatus
from tests.authz import Route, expect
from tests.support.factories import make_case

IN_HUB = expect(200, anonymous=302, other_hub=404)
RUNNERS_PAGE = expect(404, anonymous=302, coordinator=200, hub_manager=200)
RUNNERS_WRITE = expect(404, anonymous=302, coordinator=302, hub_manager=302)


def setup(m) -> dict:
    """A conference in progress with a case (the coordinator's and hub manager's agencies both
    members) on its agenda, and a scheduled one due to start (a conference starts on its day)."""
    a = m.agencies
    live = Conference(
        hub_id=m.hub.id,
        starts_at=utcnow() - timedelta(minutes=30),
        status=ConferenceStatus.LIVE.value,
        started_at=utcnow() - timedelta(minutes=30),
    )
    ready = Conference(hub_id=m.hub.id, starts_at=utcnow() + timedelta(minutes=30))  # startable
    db.session.add_all([live, ready])
    db.session.flush()
    case = make_case(m.hub, "MTX-LIVE", a["council"], a["police"])
    item = AgendaItem(
        conference_id=live.id, case_id=case.id, reason=AgendaReason.REVIEW_DUE.value, position=1
    )
    db.session.add(item)
    db.session.flush()
    return {
        "live_conference_id": live.id,
        "ready_conference_id": ready.id,
        "live_item_id": item.id,
        "live_case_version": case.version,
    }


LIVE = "/conferences/{live_conference_id}"

ROUTES = [
    Route("conference_live.show", "GET", LIVE + "/live", RUNNERS_PAGE),
    Route(
        "conference_live.start",
        "POST",
        "/conferences/{ready_conference_id}/live/start",
        RUNNERS_WRITE,
        data={"version": "1"},
    ),
    Route("conference_live.end", "POST", LIVE + "/live/end", RUNNERS_WRITE, data={"version": "1"}),
    Route(
        "conference_live.attendance",
        "POST",
        LIVE + "/live/attendance",
        RUNNERS_WRITE,
        data={"agency_id": "{agency_id}", "status": "absent", "version": "1"},
    ),
    Route(
        "conference_live.add_note",
        "POST",
        LIVE + "/live/items/{live_item_id}/notes",
        RUNNERS_WRITE,
        data={"body": "Discussed", "category": "incident"},
    ),
    Route(
        "conference_live.decide",
        "POST",
        LIVE + "/live/items/{live_item_id}/decisions",
        RUNNERS_WRITE,
        data={
            "kind": "next_review",
            "review_on": "2099-01-01",
            "version": "1",
            "case_version": "{live_case_version}",
        },
    ),
    Route("conference_live.decisions", "GET", LIVE + "/decisions", IN_HUB),
]
