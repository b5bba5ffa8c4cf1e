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


def test_triage_suggests_a_spoc_from_the_referring_agency_for_a_case_with_a_victim(ctx, world):
    from sqlalchemy import select

    from hub.models import Agency, AuditEntry, DataCategory, Referral, ReferralPerson, User
    from referrals import triage
    from tests.support.factories import make_isa

    hub = db.session.get(Hub, world.hub_id)
    council = db.session.get(Agency, world.agency_ids["council"])
    police = db.session.get(Agency, world.agency_ids["police"])
    make_isa(hub, [council, police], [c.value for c in DataCategory], reference="ISA-TRIAGE")
    referrer = db.session.get(User, world.user_id["referrer"])
    coordinator = db.session.get(User, world.user_id["coordinator"])

    def referral(reference, band, role):
        row = Referral(
            hub_id=hub.id,
            agency_id=council.id,
            user_id=referrer.id,
            reference=reference,
            status="submitted",
            band=band,
            score=10,
            category="incident",
            origin_agency_id=council.id,
            submitted_at=utcnow(),
        )
        row.people = [
            ReferralPerson(
                role=role,
                name="Ada Lowe",
                name_key="ada lowe",
                category="identity",
                origin_agency_id=council.id,
            )
        ]
        db.session.add(row)
        db.session.flush()
        return row

    for reference, band, role, expected in (
        ("R-1", "high", "victim", world.user_id["spoc"]),  # the council's SPoC
        ("R-2", "standard", "victim", None),  # a standard case: no SPoC needed
        ("R-3", "high", "subject", None),  # no victim named
    ):
        made = referral(reference, band, role)
        triage.decide(
            made,
            {"decision": "new_case", "title": "Noise", "reason": "Meets the threshold"},
            user=coordinator,
        )
        assert made.case.spoc_user_id == expected, reference
    suggested = (
        db.session.execute(
            select(AuditEntry.details).where(AuditEntry.action == "case_spoc_suggested")
        )
        .scalars()
        .all()
    )
    assert suggested == [{"spoc_user_id": world.user_id["spoc"], "agency_id": council.id}]
