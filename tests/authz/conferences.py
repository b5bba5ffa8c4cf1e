"""Conferences: a hub's list of conferences, each agenda and its calendar invitation are for
everyone whose agency is in the hub (nothing personal on them; a case on the agenda links
through to the case only for those who may work it). The weekly slot and agenda edits are
for the hub's coordinators and hub managers; everyone else gets the same 404 as a missing
page, anonymous users the sign-in page."""

from datetime import timedelta

from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AgendaItem, AgendaReason, Conference, ConferenceSlot
from tests.authz import Route, expect
from tests.support.factories import make_case

IN_HUB = expect(200, anonymous=302, other_hub=404)
OTHER_HUB = expect(404, anonymous=302, other_hub=200)
RUNNERS_PAGE = expect(404, anonymous=302, coordinator=200, hub_manager=200)
RUNNERS_WRITE = expect(404, anonymous=302, coordinator=302, hub_manager=302)

SLOT_FORM = {
    "weekday": "2",
    "time": "10:00",
    "place": "Matrix police station",
    "online_link": "https://meet.example/matrix",
    "agenda_hours_before": "48",
    "weeks_ahead": "4",
}


def setup(m) -> dict:
    """A weekly slot, next week's conference and two cases on its agenda."""
    a = m.agencies
    db.session.add(ConferenceSlot(hub_id=m.hub.id, weekday=2, time="10:00", place="Station"))
    conference = Conference(hub_id=m.hub.id, starts_at=utcnow() + timedelta(days=7))
    db.session.add(conference)
    db.session.flush()
    items = []
    for position, ref in enumerate(("MTX-C1", "MTX-C2"), start=1):
        case = make_case(m.hub, ref, a["council"], a["police"])
        item = AgendaItem(
            conference_id=conference.id,
            case_id=case.id,
            reason=AgendaReason.REVIEW_DUE.value,
            position=position,
        )
        db.session.add(item)
        items.append(item)
    db.session.flush()
    return {"conference_id": conference.id, "item_id": items[0].id}


ROUTES = [
    Route("conferences.home", "GET", "/conferences", expect(302)),
    Route("conferences.index", "GET", "/hubs/{hub_slug}/conferences", IN_HUB),
    Route("conferences.index", "GET", "/hubs/{other_hub_slug}/conferences", OTHER_HUB),
    Route("conferences.slot", "GET", "/hubs/{hub_slug}/conferences/slot", RUNNERS_PAGE),
    Route(
        "conferences.slot",
        "POST",
        "/hubs/{hub_slug}/conferences/slot",
        RUNNERS_WRITE,
        data=SLOT_FORM,
    ),
    Route("conferences.show", "GET", "/conferences/{conference_id}", IN_HUB),
    Route("conferences.ics", "GET", "/conferences/{conference_id}.ics", IN_HUB),
    Route(
        "conferences.add_item",
        "POST",
        "/conferences/{conference_id}/items",
        RUNNERS_WRITE,
        data={"reference": "MTX-1"},
    ),
    Route(
        "conferences.remove_item",
        "POST",
        "/conferences/{conference_id}/items/{item_id}/remove",
        RUNNERS_WRITE,
        data={},
    ),
    Route(
        "conferences.move_item",
        "POST",
        "/conferences/{conference_id}/items/{item_id}/move",
        RUNNERS_WRITE,
        data={"direction": "down"},
    ),
]
