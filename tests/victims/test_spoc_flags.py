"""The SPoC on the board card (name and agency only), and a case with a victim but no SPoC
flagged on the board and on the agenda, in the same number of statements as before."""

from datetime import timedelta

from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AgendaItem, Case, Conference, Hub, Victim
from tests.support.factories import make_case


def test_the_board_names_the_spoc_and_flags_a_victim_without_one(app, client, web):
    with app.app_context():
        case = db.session.get(Case, web.case_id)
        hub = db.session.get(Hub, case.hub_id)
        victimless = make_case(hub, "CPL-V2", case.hub.agencies[0])
        alone = make_case(hub, "CPL-V3", case.hub.agencies[0])
        db.session.add(
            Victim(
                case_id=alone.id,
                name="Walter Gill",
                category="victim_contact",
                origin_agency_id=case.hub.agencies[0].id,
            )
        )
        conference = Conference(hub_id=hub.id, starts_at=utcnow() + timedelta(days=3))
        db.session.add(conference)
        db.session.flush()
        for position, on in enumerate((case, victimless, alone)):
            db.session.add(
                AgendaItem(
                    conference_id=conference.id,
                    case_id=on.id,
                    reason="review_due",
                    position=position,
                )
            )
        db.session.commit()
        conference_id = conference.id
    client.sign_in(web.email["coordinator"])
    board = client.get(f"/hubs/{web.hub_slug}/board").get_data(as_text=True)
    cards = {
        ref: board.split(f'data-testid="card-{ref}"')[1].split("</li>")[0]
        for ref in ("CPL-V1", "CPL-V2", "CPL-V3")
    }
    assert "SPoC: Spoc, Copeland Borough Council" in cards["CPL-V1"]
    assert "Victim has no SPoC" not in cards["CPL-V1"]
    assert "SPoC: none" in cards["CPL-V2"] and "Victim has no SPoC" not in cards["CPL-V2"]
    assert "Victim has no SPoC" in cards["CPL-V3"]
    assert "Walter Gill" not in board  # the victim is never on the card
    agenda = client.get(f"/conferences/{conference_id}").get_data(as_text=True)
    flagged = [
        ref
        for ref in ("CPL-V1", "CPL-V2", "CPL-V3")
        if "Victim has no SPoC" in agenda.split(f'data-testid="item-{ref}"')[1].split("</tr>")[0]
    ]
    assert flagged == ["CPL-V3"]
