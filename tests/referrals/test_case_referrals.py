"""A case's referrals and incidents tab, and search by person and place, through the
section 115 rule: the referral's people are identity data, its description incident data."""

from sqlalchemy import select

from hub.extensions import db
from hub.models import Agency, AuditEntry, Hub
from referrals import intake, triage
from tests.conftest import count_queries
from tests.support.factories import make_isa
from tests.support.referral_data import payload, user

ALL = ["identity", "incident", "housing", "victim_contact"]


def _case_from_a_referral(app, world, categories=ALL) -> int:
    with app.test_request_context():
        hub = db.session.get(Hub, world.hub_id)
        agencies = [db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police")]
        make_isa(hub, agencies, categories, reference="ISA-REF")
        referral = intake.submit_referral(payload(), user=user(world.email["referrer"]))[0]
        triage.decide(
            referral,
            {"decision": "new_case", "reason": "conference", "title": "Personal ASB, CA28"},
            user=user(world.email["coordinator"]),
        )
        case_id = referral.case_id
        db.session.commit()
    return case_id


def test_members_see_the_referral_timeline_with_its_people(app, client, world):
    case_id = _case_from_a_referral(app, world)
    client.sign_in(world.email["coordinator"])  # police: a member since triage
    page = client.get(f"/cases/{case_id}/referrals").get_data(as_text=True)
    assert "Referrals and incidents" in page
    assert "Youths gather outside his flat" in page
    assert "William Hartley (victim)" in page and "Jordan Pike (subject)" in page
    assert "12 since 1 August 2026" in page
    with app.app_context():
        read = (
            db.session.execute(select(AuditEntry).where(AuditEntry.action == "personal_data_read"))
            .scalars()
            .all()
        )
    assert read[-1].details["categories"] == ["identity", "incident"]


def test_an_agreement_without_identity_shows_the_incident_but_not_the_people(app, client, world):
    case_id = _case_from_a_referral(app, world, categories=["incident"])
    client.sign_in(world.email["coordinator"])
    page = client.get(f"/cases/{case_id}/referrals").get_data(as_text=True)
    assert "Youths gather outside his flat" in page
    assert "William Hartley" not in page and "None you may see" in page


def test_a_non_member_gets_the_same_404(app, client, world):
    case_id = _case_from_a_referral(app, world)
    client.sign_in(world.email["case_worker"])  # housing: not on the case
    assert client.get(f"/cases/{case_id}/referrals").status_code == 404


def test_search_finds_people_by_a_name_variant_and_places_by_postcode(app, client, world):
    case_id = _case_from_a_referral(app, world)
    client.sign_in(world.email["coordinator"])
    page = client.get("/hubs/copeland/search?q=Bill+Hartley").get_data(as_text=True)
    assert f'/cases/{case_id}/referrals"' in page and "William Hartley (victim)" in page
    page = client.get("/hubs/copeland/search?q=CA28").get_data(as_text=True)
    assert "12 Mill Street" in page
    client.submit("/sign-out", token_from="/")
    client.sign_in(world.email["case_worker"])  # not a member: finds nothing personal
    page = client.get("/hubs/copeland/search?q=Bill+Hartley").get_data(as_text=True)
    assert "William Hartley" not in page and "No people you may see match." in page


def test_the_tab_costs_the_same_queries_for_one_referral_as_for_three(app, client, world):
    case_id = _case_from_a_referral(app, world)
    client.sign_in(world.email["coordinator"])
    client.get(f"/cases/{case_id}/referrals")
    with app.app_context(), count_queries(db.engine) as one:
        client.get(f"/cases/{case_id}/referrals")
    with app.test_request_context():
        from hub.models import Case

        case = db.session.get(Case, case_id)
        for _ in range(2):
            r = intake.submit_referral(payload(), user=user(world.email["referrer"]))[0]
            triage.decide(
                r,
                {"decision": "added_to_case", "case_id": case.id},
                user=user(world.email["coordinator"]),
            )
        db.session.commit()
    with app.app_context(), count_queries(db.engine) as three:
        page = client.get(f"/cases/{case_id}/referrals").get_data(as_text=True)
    assert page.count("from Copeland Borough Council") == 3
    assert len(three) == len(one)
