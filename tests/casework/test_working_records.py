"""Issue 21: every read of personal data is audited, lists included, and the plan, actions and
conference decisions follow a stated rule (hub.permissions: working records are incident data,
read by a member of the case under an agreement covering "incident")."""

from sqlalchemy import select

from hub.casework import actions
from hub.extensions import db
from hub.models import Agency, AuditEntry, Hub, User
from referrals import intake
from tests.support.factories import make_case, make_isa
from tests.support.referral_data import auth, issue_token, payload, user


def _reads(app, what: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.execute(
                select(AuditEntry)
                .where(AuditEntry.action == "personal_data_read")
                .order_by(AuditEntry.id)
            ).scalars()
        )


def _by_what(entries, what):
    return [e for e in entries if e.details.get("what") == what]


def _case_with_an_action(app, world, categories):
    """A council and housing case; housing's agreement covers `categories`."""
    with app.test_request_context():
        hub = db.session.get(Hub, world.hub_id)
        council = db.session.get(Agency, world.agency_ids["council"])
        housing = db.session.get(Agency, world.agency_ids["housing"])
        make_isa(hub, [council], ["identity", "incident"], reference="ISA-COUNCIL")
        make_isa(hub, [housing], categories, reference="ISA-HOUSING")
        case = make_case(hub, "CPL-WR-1", council, housing)
        worker = db.session.get(User, world.user_id["hub_manager"])  # council
        action = actions.add_action(
            case,
            {
                "description": "Visit Mr Hartley about the threats",
                "agency_id": str(housing.id),
                "owner_id": str(world.user_id["case_worker"]),
                "due_on": "2026-12-20",
            },
            actor=worker,
        )
        db.session.commit()
        return case.id, action.id


def test_reading_actions_and_my_work_is_audited_with_the_records_shown(app, client, world):
    case_id, action_id = _case_with_an_action(app, world, ["incident", "housing"])
    client.sign_in(world.email["case_worker"])
    assert "Visit Mr Hartley" in client.get(f"/cases/{case_id}/actions").get_data(as_text=True)
    assert "Visit Mr Hartley" in client.get(f"/hubs/{world.hub_slug}/my-work").get_data(
        as_text=True
    )
    reads = _reads(app, "actions")
    [tab] = _by_what(reads, "actions")
    assert tab.details["records"] == {"case_action": [action_id]}
    assert tab.details["categories"] == ["incident"] and "ISA-HOUSING" in tab.legal_basis
    [mine] = _by_what(reads, "my work")
    assert mine.details["records"] == {"case_action": [action_id]}


def test_an_agency_whose_agreement_lacks_incident_sees_no_plan_actions_or_decisions(
    app, client, world
):
    case_id, action_id = _case_with_an_action(app, world, ["housing"])
    client.sign_in(world.email["case_worker"])
    for tab in ("plan", "actions", "conferences"):
        page = client.get(f"/cases/{case_id}/{tab}")
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and "do not cover incident data" in text, tab
        assert "Visit Mr Hartley" not in text
    assert client.get(f"/cases/{case_id}/actions/{action_id}").status_code == 404
    my_work = client.get(f"/hubs/{world.hub_slug}/my-work").get_data(as_text=True)
    assert "Visit Mr Hartley" not in my_work
    refused = client.submit(
        f"/cases/{case_id}/plan", {"objective": "Stop it", "success_measures": "No calls"}
    )
    assert refused.status_code == 400 and "do not cover incident data" in refused.get_data(
        as_text=True
    )


def test_the_triage_queue_my_referrals_and_the_api_list_are_audited(app, client, world):
    with app.test_request_context():
        referral = intake.submit_referral(payload(), user=user(world.email["referrer"]))[0]
        db.session.commit()
        referral_id = referral.id
    coordinator = app.test_client()
    coordinator.sign_in(world.email["coordinator"])
    assert "Older man targeted" in coordinator.get("/triage/").get_data(as_text=True)
    client.sign_in(world.email["referrer"])
    client.get("/referrals/")
    token = issue_token(app, world.email["referrer"])
    listed = client.get("/api/v1/referrals", headers=auth(token)).get_json()
    assert [r["id"] for r in listed["items"]] == [referral_id]
    reads = _reads(app, "")
    for what, basis in (
        ("triage queue", "referral to the hub for triage"),
        ("my referrals", None),
        ("referral list", None),
    ):
        [entry] = _by_what(reads, what)
        assert entry.details["records"] == {"referral": [referral_id]}, what
        assert (entry.legal_basis is None) if basis is None else basis in entry.legal_basis


def test_another_agencys_referral_on_a_case_lists_without_its_words(app, world):
    from hub.models import Referral
    from referrals import present, triage

    with app.test_request_context():
        hub = db.session.get(Hub, world.hub_id)
        agencies = [db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police")]
        make_isa(hub, agencies, ["identity", "incident"], reference="ISA-LIST")
        referral = intake.submit_referral(payload(), user=user(world.email["referrer"]))[0]
        triage.decide(
            referral,
            {"decision": "new_case", "reason": "Conference", "title": "Personal ASB"},
            user=user(world.email["coordinator"]),
        )
        referral = db.session.get(Referral, referral.id)
        police = user(world.email["coordinator"])  # a member of the case, another agency
        council = user(world.email["referrer"])
        assert present.summary_dict(referral, police)["summary"] is None
        assert present.summary_dict(referral, council)["summary"].startswith("Older man")
