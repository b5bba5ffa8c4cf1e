"""Issue 21: once triage puts a referral on a case, it follows the case's section 115 rule.

Before triage the hub's coordinators and hub managers read it to triage it; afterwards
another agency reads it only as a member of the case, under an agreement in force covering
its category, and the read is registered as a disclosure. People of the referring agency
whose role reads no case data (analysts, data protection officers) never read it."""

from sqlalchemy import select

from hub.extensions import db
from hub.models import Agency, AuditEntry, CaseMembership, Disclosure, Hub
from referrals import intake, triage
from tests.support.factories import make_isa, make_user
from tests.support.referral_data import auth, issue_token, payload, user


def _agency(world, key) -> Agency:
    return db.session.get(Agency, world.agency_ids[key])


def _setup(app, world):
    """A council referral, a housing coordinator (outside the case) and a council analyst."""
    with app.test_request_context():
        hub = db.session.get(Hub, world.hub_id)
        make_user("coord@housing.example", _agency(world, "housing"), ("coordinator", hub))
        make_user("analyst@council.example", _agency(world, "council"), ("analyst", hub))
        referral = intake.submit_referral(payload(), user=user(world.email["referrer"]))[0]
        db.session.commit()
        return referral.id


def _triage(app, world, referral_id) -> int:
    from hub.models import Referral

    with app.test_request_context():
        referral = db.session.get(Referral, referral_id)
        triage.decide(
            referral,
            {"decision": "new_case", "reason": "weekly conference", "title": "Personal ASB"},
            user=user(world.email["coordinator"]),
        )
        db.session.commit()
        return referral.case_id


def _denials(app) -> int:
    with app.app_context():
        return len(
            db.session.execute(
                select(AuditEntry.id).where(
                    AuditEntry.action == "access_denied", AuditEntry.target_type == "referral"
                )
            ).all()
        )


def test_a_coordinator_reads_a_referral_to_triage_it_and_not_once_it_is_on_a_case(
    app, client, world
):
    referral_id = _setup(app, world)
    token = issue_token(app, "coord@housing.example")
    client.sign_in("coord@housing.example")
    assert "William Hartley" in client.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert client.get(f"/api/v1/referrals/{referral_id}", headers=auth(token)).status_code == 200

    _triage(app, world, referral_id)  # police and council are members; housing is not
    before = _denials(app)
    web = client.get(f"/referrals/{referral_id}")
    api = client.get(f"/api/v1/referrals/{referral_id}", headers=auth(token))
    assert web.status_code == 404 and api.status_code == 404
    assert "Hartley" not in web.get_data(as_text=True) + api.get_data(as_text=True)
    listed = client.get("/api/v1/referrals", headers=auth(token)).get_json()
    assert referral_id not in [r["id"] for r in listed["items"]]
    assert _denials(app) == before + 2


def test_a_member_without_an_agreement_in_force_cannot_read_it(app, client, world):
    referral_id = _setup(app, world)
    _triage(app, world, referral_id)  # police becomes a member, but no ISA is in force
    client.sign_in(world.email["coordinator"])
    assert client.get(f"/referrals/{referral_id}").status_code == 404


def test_a_member_reads_it_under_the_agreement_and_the_disclosure_is_registered(app, client, world):
    referral_id = _setup(app, world)
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        agencies = [_agency(world, "council"), _agency(world, "police")]
        make_isa(hub, agencies, ["incident"], reference="ISA-INCIDENT-ONLY")
        db.session.commit()
    case_id = _triage(app, world, referral_id)
    client.sign_in(world.email["coordinator"])  # police: a member since triage
    page = client.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert "Youths gather outside his flat" in page  # incident data, under the agreement
    assert "William Hartley" not in page  # identity data is not in the agreement
    with app.app_context():
        register = db.session.execute(
            select(Disclosure.from_agency_id, Disclosure.to_agency_id, Disclosure.category).where(
                Disclosure.case_id == case_id
            )
        ).all()
        assert register == [(world.agency_ids["council"], world.agency_ids["police"], "incident")]
        read = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "personal_data_read")
        ).scalar_one()
        assert read.legal_basis.startswith("s115") and "ISA-INCIDENT-ONLY" in read.legal_basis


def test_a_member_whose_agreement_covers_identity_sees_the_people(app, client, world):
    referral_id = _setup(app, world)
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        agencies = [_agency(world, "council"), _agency(world, "police"), _agency(world, "housing")]
        make_isa(hub, agencies, ["incident", "identity"], reference="ISA-BOTH")
        db.session.commit()
    case_id = _triage(app, world, referral_id)
    with app.app_context():
        db.session.add(
            CaseMembership(
                case_id=case_id,
                agency_id=world.agency_ids["housing"],
                route="conference",
                reason="Tenancy enforcement",
            )
        )
        db.session.commit()
    client.sign_in("coord@housing.example")
    page = client.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert "William Hartley" in page and "Jordan Pike" in page


def test_people_whose_role_reads_no_case_data_never_read_their_agencys_referrals(
    app, client, world
):
    referral_id = _setup(app, world)
    client.sign_in("analyst@council.example")
    assert client.get(f"/referrals/{referral_id}").status_code == 404
    _triage(app, world, referral_id)
    assert client.get(f"/referrals/{referral_id}").status_code == 404
    referrer = app.test_client()
    referrer.sign_in(world.email["referrer"])  # the referrer still reads her own referral
    assert "William Hartley" in referrer.get(f"/referrals/{referral_id}").get_data(as_text=True)
