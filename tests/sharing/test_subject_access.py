"""Right of access: the hub's data protection officer finds and exports what is held about
one person; nobody else can; every search and export is audited."""

import json

from sqlalchemy import select

from hub.extensions import db
from hub.models import Agency, AuditEntry, Hub, UserRole
from referrals import intake, triage
from tests.support.factories import make_note, make_user
from tests.support.referral_data import payload, user


def _dpo(world) -> str:
    council = db.session.get(Agency, world.agency_ids["council"])
    hub = db.session.get(Hub, world.hub_id)
    return make_user("dpo@council.example", council, ("dpo", hub)).email


def _referral_on_a_case(world):
    referral = intake.submit_referral(payload(), user=user(world.email["referrer"]))[0]
    decided = triage.decide(
        referral,
        {"decision": "new_case", "reason": "weekly conference", "title": "Personal ASB, CA28"},
        user=user(world.email["coordinator"]),
    )
    return decided


def test_the_officer_finds_a_person_by_a_name_variant_and_exports_everything(app, client, world):
    with app.test_request_context():
        email = _dpo(world)
        referral = _referral_on_a_case(world)
        case = referral.case
        council = db.session.get(Agency, world.agency_ids["council"])
        make_note(case, council, user(world.email["referrer"]), body="Mr Hartley rang, scared")
        case_reference = case.reference
        db.session.commit()
    client.sign_in(email)
    page = client.get(
        "/hubs/copeland/subject-access?name=Bill+Hartley&dob-day=2&dob-month=3&dob-year=1958"
    ).get_data(as_text=True)
    assert "1 matching record" in page and "William Hartley" in page
    person_id = int(page.split('name="person" type="checkbox" value="')[1].split('"')[0])
    response = client.submit(
        "/hubs/copeland/subject-access/export", {"person": str(person_id)}, token_from="/"
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    document = json.loads(response.get_data(as_text=True))
    assert document["person_records"][0]["name"] == "William Hartley"
    assert document["referrals"][0]["description"].startswith("Youths gather")
    assert document["cases"][0]["reference"] == case_reference
    assert document["case_notes"][0]["body"] == "Mr Hartley rang, scared"
    with app.app_context():
        actions = (
            db.session.execute(
                select(AuditEntry.action)
                .where(AuditEntry.action.like("subject_access%"))
                .order_by(AuditEntry.id)
            )
            .scalars()
            .all()
        )
    assert actions == ["subject_access_search", "subject_access_export"]


def test_a_wrong_date_of_birth_finds_nobody(app, client, world):
    with app.test_request_context():
        email = _dpo(world)
        _referral_on_a_case(world)
        db.session.commit()
    client.sign_in(email)
    page = client.get(
        "/hubs/copeland/subject-access?name=William+Hartley&dob-day=1&dob-month=1&dob-year=1970"
    ).get_data(as_text=True)
    assert "0 matching records" in page


def test_bad_input_gets_field_errors(app, client, world):
    with app.test_request_context():
        email = _dpo(world)
        db.session.commit()
    client.sign_in(email)
    response = client.get("/hubs/copeland/subject-access?name=&dob-day=31&dob-month=2")
    assert response.status_code == 400
    assert "Enter the person" in response.get_data(as_text=True)
    response = client.get(
        "/hubs/copeland/subject-access?name=A+B&dob-day=31&dob-month=2&dob-year=1990"
    )
    assert "must be a real date" in response.get_data(as_text=True)
    response = client.submit("/hubs/copeland/subject-access/export", {}, token_from="/")
    assert response.status_code == 400
    assert "Choose at least one record" in response.get_data(as_text=True)


def test_nobody_else_may_search_or_export_and_refusals_are_audited(app, client, world):
    with app.test_request_context():
        _referral_on_a_case(world)
        db.session.commit()
    for persona in ("hub_manager", "coordinator", "sysadmin", "other_hub"):
        client.sign_in(world.email[persona])
        assert client.get("/hubs/copeland/subject-access?name=William+Hartley").status_code == 404
        assert (
            client.submit(
                "/hubs/copeland/subject-access/export", {"person": "1"}, token_from="/"
            ).status_code
            == 404
        )
        client.submit("/sign-out", token_from="/")
    with app.app_context():
        denied = (
            db.session.execute(select(AuditEntry).where(AuditEntry.action == "access_denied"))
            .scalars()
            .all()
        )
        assert len(denied) == 8
        assert db.session.execute(select(UserRole).where(UserRole.role == "dpo")).first() is None
