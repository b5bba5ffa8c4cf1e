"""The victims' world: Copeland with council (the SPoC's agency), police (the coordinator's)
and housing under an ISA covering every category, and fire, a member of the case whose ISA
covers incidents but not victim contact."""

from datetime import datetime
from types import SimpleNamespace

import pytest
import time_machine

from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import Agency, DataCategory, Hub, User
from hub.victims import records
from tests.support.factories import make_agency, make_case, make_isa, make_user

VICTIM = {
    "name": "Maureen Tallis",
    "phone": "01946 555 0123",
    "preferred_channel": "phone",
    "contact_times": "Weekday mornings before noon",
    "safe_to_leave_message": "no",
    "safe_to_send_letter": "yes",
    "address": "14 Lowther Street, Whitehaven",
    "safety_notes": "Her neighbour listens at the wall: keep calls short",
    "language": "English",
    "access_needs": "Hard of hearing: speak slowly",
    "support_in_place": "Age UK befriender visits weekly",
    "support_consent": "yes",
    "support_referred_to": "Victim Support Cumbria",
}


def at(text: str) -> datetime:
    """A London wall-clock time, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def build(world) -> SimpleNamespace:
    hub = db.session.get(Hub, world.hub_id)
    agencies = {k: db.session.get(Agency, i) for k, i in world.agency_ids.items()}
    fire = make_agency("Cumbria Fire and Rescue", "fire", hub)
    make_isa(
        hub,
        [agencies["council"], agencies["police"], agencies["housing"]],
        [c.value for c in DataCategory],
        reference="ISA-VICTIMS",
    )
    make_isa(hub, [fire], ["identity", "incident"], reference="ISA-FIRE")
    people = {k: db.session.get(User, i) for k, i in world.user_id.items()}
    people["fire"] = make_user("watch@fire.example", fire, ("case_worker", hub))
    case = make_case(
        hub, "CPL-V1", agencies["council"], agencies["police"], agencies["housing"], fire
    )
    case.spoc_user_id = people["spoc"].id
    db.session.commit()
    return SimpleNamespace(hub=hub, case=case, people=people, fire=fire, **agencies)


@pytest.fixture
def v(ctx, world):
    """The world's objects, in an application context, for tests that call services."""
    return build(world)


def add_victim(v, **changes):
    with time_machine.travel(at("2026-11-23T09:00"), tick=False):
        added = records.add_victim(v.case, dict(VICTIM, **changes), actor=v.people["spoc"])
        db.session.commit()
    return added


@pytest.fixture
def victim(v):
    return add_victim(v)


@pytest.fixture
def web(app, world):
    """The same world for tests that drive the routes with a client: plain ids and emails,
    and no application context left open (a request would share its `g`). `web.victim_id`
    is Maureen Tallis, added by the SPoC on 23 November 2026."""
    with app.app_context():
        w = build(world)
        victim = add_victim(w)
        out = SimpleNamespace(
            case_id=w.case.id,
            hub_slug=w.hub.slug,
            victim_id=victim.id,
            police_id=w.police.id,
            email={k: u.email for k, u in w.people.items()},
        )
    return out
