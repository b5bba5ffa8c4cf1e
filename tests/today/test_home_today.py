"""Issue 18: the home page answers "what do I need to do today" for each role, every list read
through hub.permissions (by the area that owns it) and audited like that area's own page."""

import re
from datetime import date, timedelta

import pytest

from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import Agency, AuditEntry, CaseAction, Conference, Hub, User
from tests.conftest import count_queries
from tests.support.factories import make_case, make_isa
from tests.support.meeting_data import make_referral


def html(response) -> str:
    return response.get_data(as_text=True)


def section(page: str, key: str) -> str | None:
    found = re.search(rf'data-testid="today-{key}">(.*?)</div>', page, re.S)
    return found.group(1) if found else None


def _referrals(hub, council, author, start, count, *, due):
    for i in range(start, start + count):
        referral = make_referral(hub, council, author, f"REF-T-{i:03d}")
        referral.submitted_at = utcnow() - timedelta(days=3)
        referral.conference_due_by = due
    db.session.flush()


@pytest.fixture
def busy_hub(app, world):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council, police, housing = (
            db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police", "housing")
        )
        spoc = db.session.get(User, world.user_id["spoc"])
        make_isa(
            hub,
            [council, police, housing],
            ["identity", "incident", "victim_contact"],
            reference="ISA-ENDING",
            expires_on=date.today() + timedelta(days=10),
        )
        _referrals(hub, council, spoc, 1, 1, due=utcnow() - timedelta(hours=5))
        db.session.add(
            Conference(
                hub_id=hub.id,
                kind="urgent",
                status="proposed",
                starts_at=utcnow() + timedelta(hours=20),
            )
        )
        case = make_case(hub, "CPL-TODAY", council, housing)
        db.session.add(
            CaseAction(
                case_id=case.id,
                agency_id=housing.id,
                owner_id=world.user_id["case_worker"],
                description="Fit a noise monitor",
                due_on=date(2020, 1, 1),
            )
        )
        case.next_review_on = date(2020, 2, 1)
        db.session.commit()
    return world


def test_a_coordinator_sees_triage_urgent_conferences_and_breaches(client, busy_hub):
    client.sign_in(busy_hub.email["coordinator"])
    page = html(client.get("/"))
    assert "REF-T-001" in section(page, "triage")
    assert "Urgent conference proposed for" in section(page, "urgent")
    breaches = section(page, "breaches")
    assert "REF-T-001" in breaches and "Overdue" in breaches
    assert section(page, "agreements") is None  # hub managers keep agreements
    assert section(page, "call_backs") is None  # SPoCs keep call-backs
    assert "Fit a noise monitor" not in page


def test_a_case_worker_sees_her_overdue_actions_and_reviews(client, busy_hub):
    client.sign_in(busy_hub.email["case_worker"])
    page = html(client.get("/"))
    mine = section(page, "my_work")
    assert "Fit a noise monitor" in mine and "CPL-TODAY" in mine and "Overdue" in mine
    for other in ("triage", "urgent", "breaches", "agreements"):
        assert section(page, other) is None
    with client.application.app_context():
        reads = [
            e.details
            for e in db.session.query(AuditEntry).filter_by(action="personal_data_read")
            if (e.details or {}).get("what") == "my work"
        ]
    assert reads and reads[-1]["records"]["case_action"]


def test_a_hub_manager_sees_agreements_near_their_end(client, busy_hub):
    client.sign_in(busy_hub.email["hub_manager"])
    page = html(client.get("/"))
    agreements = section(page, "agreements")
    assert "ISA-ENDING" in agreements and "Expires" in agreements
    assert "REF-T-001" in section(page, "triage")


def test_another_hub_sees_nothing_of_this_one(client, busy_hub):
    client.sign_in(busy_hub.email["other_hub"])
    page = html(client.get("/"))
    assert "REF-T-001" not in page and "ISA-ENDING" not in page
    assert "Today in Copeland" not in page


def test_the_triage_list_is_audited(client, busy_hub):
    client.sign_in(busy_hub.email["coordinator"])
    client.get("/")
    with client.application.app_context():
        listed = [
            e
            for e in db.session.query(AuditEntry).filter_by(action="personal_data_read")
            if (e.details or {}).get("what") == "home triage queue"
        ]
    assert listed and listed[-1].details["records"]["referral"]


def test_nothing_due_is_said_in_words(client, world):
    client.sign_in(world.email["coordinator"])
    page = html(client.get("/"))
    assert "No referrals are waiting for triage." in page
    assert "No urgent conference is waiting for an answer." in page


@pytest.mark.parametrize("who", ["coordinator", "hub_manager", "case_worker"])
def test_the_home_page_costs_the_same_however_busy_the_hub(
    client, app, busy_hub, _transaction, who
):
    client.sign_in(busy_hub.email[who])
    client.get("/")
    with count_queries(_transaction) as small:
        assert client.get("/").status_code == 200
    with app.app_context():
        hub = db.session.get(Hub, busy_hub.hub_id)
        council = db.session.get(Agency, busy_hub.agency_ids["council"])
        spoc = db.session.get(User, busy_hub.user_id["spoc"])
        _referrals(hub, council, spoc, 100, 25, due=utcnow() - timedelta(hours=1))
        for i in range(15):  # and more of the case worker's own overdue work
            case = make_case(
                hub,
                f"CPL-MORE-{i}",
                council,
                db.session.get(Agency, busy_hub.agency_ids["housing"]),
            )
            case.next_review_on = date(2020, 3, 1)
            db.session.add(
                CaseAction(
                    case_id=case.id,
                    agency_id=busy_hub.agency_ids["housing"],
                    owner_id=busy_hub.user_id["case_worker"],
                    description=f"Visit {i}",
                    due_on=date(2020, 1, 2),
                )
            )
        db.session.commit()
    with count_queries(_transaction) as large:
        page = html(client.get("/"))
    assert len(large) == len(small), who
    if who == "coordinator":
        assert "See all 26" in section(page, "triage")
    if who == "case_worker":
        assert "See all" in section(page, "my_work")


def test_a_spoc_sees_her_call_backs_due_and_never_the_victim(client, app, busy_hub):
    from hub.models import CallBack, Case
    from hub.models.victims import VICTIM_CATEGORY
    from hub.victims import records

    with app.app_context():
        spoc = db.session.get(User, busy_hub.user_id["spoc"])
        case = db.session.query(Case).filter_by(reference="CPL-TODAY").one()
        case.spoc_user_id = spoc.id
        victim = records.add_victim(
            case,
            {"name": "Doreen Ashby", "preferred_channel": "phone", "phone": "01946 555 0142"},
            actor=spoc,
        )
        db.session.add(
            CallBack(
                case_id=case.id,
                victim_id=victim.id,
                category=VICTIM_CATEGORY,
                origin_agency_id=busy_hub.agency_ids["council"],
                spoc_user_id=spoc.id,
                due_at=utcnow() - timedelta(days=2),
            )
        )
        db.session.commit()
    client.sign_in(busy_hub.email["spoc"])
    page = html(client.get("/"))
    due = section(page, "call_backs")
    assert "CPL-TODAY: call-back" in due and "Overdue" in due
    assert "Doreen" not in page
    with app.app_context():
        listed = [
            e.details
            for e in db.session.query(AuditEntry).filter_by(action="personal_data_read")
            if (e.details or {}).get("what") == "home call backs"
        ]
    assert listed and listed[-1]["records"]["victim_call_back"]
