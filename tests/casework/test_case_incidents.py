"""New incidents logged on an open case: what a partner records, how it counts in the case's
repeat history and the ASB case review threshold (the case's and the next referral's), who may
see it (section 115: incident data, an optional restriction), and refusals that write nothing."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from hub.casework import incidents
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import (
    Activity,
    Agency,
    AuditEntry,
    Case,
    CaseIncident,
    Disclosure,
    Hub,
    Incident,
    RecordRestriction,
)
from referrals import intake, triage
from referrals.matching import MatchKeys, find_matches
from referrals.schemas import ReferralSchema
from tests.conftest import HubClient, count_queries
from tests.support.factories import make_case, make_isa
from tests.support.referral_data import payload, user

TODAY = datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)  # a Monday
ALL = ["identity", "incident", "housing", "victim_contact"]


def _form(**changes) -> dict:
    form = {
        "occurred_on": "2026-11-21",
        "occurred_time": "22:40",
        "description": "Youths kicked the door of Flat 3 and shouted threats for ten minutes.",
        "location": "Flat 3, 12 Mill Street, Whitehaven",
        "people": "Jordan Pike and two others",
        "reported_by": "William Hartley (victim)",
        "reported_to": "Home Group out-of-hours line",
        "crime_reference": "cu-2026-118832",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def _referred_case(app, world) -> int:
    """A case opened at triage from a referral (victim William Hartley): council referred,
    police (coordinator) a member since triage; council and police sign an ISA on ALL."""
    with app.test_request_context():
        hub = db.session.get(Hub, world.hub_id)
        agencies = [db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police")]
        make_isa(hub, agencies, ALL, reference="ISA-INC")
        referral = intake.submit_referral(payload(), user=user(world.email["referrer"]))[0]
        triage.decide(
            referral,
            {"decision": "new_case", "reason": "conference", "title": "Personal ASB, CA28"},
            user=user(world.email["coordinator"]),
        )
        case_id = referral.case_id
        db.session.commit()
    return case_id


def _as(app, world, who):
    """A fresh client signed in as `who` (one browser per person)."""
    app.test_client_class = HubClient
    client = app.test_client()
    client.sign_in(world.email[who])
    return client


def _count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar()


@time_machine.travel(TODAY, tick=False)
def test_a_member_logs_an_incident_and_every_member_sees_it(app, client, world):
    case_id = _referred_case(app, world)
    client = _as(app, world, "spoc")  # council: the referring agency
    response = client.submit(f"/cases/{case_id}/incidents", _form())
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert response.headers["Location"].endswith(f"/cases/{case_id}/referrals")

    client = _as(app, world, "coordinator")  # police: another member agency
    page = client.get(f"/cases/{case_id}/referrals").get_data(as_text=True)
    assert 'data-testid="case-incidents"' in page
    for shown in (
        "21 November 2026, 10:40pm",
        "Youths kicked the door of Flat 3",
        "Jordan Pike and two others",
        "By William Hartley (victim), to Home Group out-of-hours line",
        "CU-2026-118832",
    ):
        assert shown in page
    with app.app_context():
        incident = db.session.execute(select(CaseIncident)).scalar_one()
        assert incident.category == "incident" and not incident.restricted
        assert incident.occurred_on == date(2026, 11, 21)
        assert incident.occurred_at == datetime(2026, 11, 21, 22, 40, tzinfo=LONDON)
        logged = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "case_incident_logged")
        ).scalar_one()
        assert logged.details["case_id"] == case_id and logged.details["rows"] == 1
        # The police's read of the council's incident: audited and in the disclosure register.
        read = db.session.execute(
            select(AuditEntry)
            .where(AuditEntry.action == "personal_data_read")
            .order_by(AuditEntry.id.desc())
        ).scalars()
        assert any(e.details.get("records", {}).get("case_incident") == [incident.id] for e in read)
        assert _count(
            Disclosure,
            Disclosure.case_id == case_id,
            Disclosure.from_agency_id == world.agency_ids["council"],
            Disclosure.to_agency_id == world.agency_ids["police"],
            Disclosure.category == "incident",
        )
        assert _count(Activity, Activity.kind == "incident_logged", Activity.case_id == case_id)


@time_machine.travel(TODAY, tick=False)
def test_it_counts_in_the_case_history_and_the_next_referrals_threshold(app, client, world):
    case_id = _referred_case(app, world)
    with app.test_request_context():
        case = db.session.get(Case, case_id)
        before = incidents.case_history(case, TODAY.date())
        assert before.windows == {"30": 1, "90": 1, "180": 1} and not before.review_met
        keys = MatchKeys.from_referral(ReferralSchema().load(payload()))
        victim_before = find_matches(world.hub_id, keys, TODAY.date()).victim_in_review_window

    client = _as(app, world, "spoc")
    first = client.submit(f"/cases/{case_id}/incidents", _form(occurred_on="2026-10-02"))
    assert first.status_code == 302
    second = client.submit(f"/cases/{case_id}/incidents", _form(occurred_on="2026-11-20"))
    assert second.status_code == 302
    # The third complaint in six months: the default threshold (three) is met.
    page = client.get(f"/cases/{case_id}/referrals").get_data(as_text=True)
    assert "The case now meets the ASB case review threshold" in page
    assert 'data-testid="review-threshold"' in page

    with app.test_request_context():
        case = db.session.get(Case, case_id)
        after = incidents.case_history(case, TODAY.date())
        assert after.windows == {"30": 2, "90": 3, "180": 3}
        assert after.in_review_window == 3 and after.review_met
        # Each logged incident carries the case's victim, subject and place keys.
        rows = list(
            db.session.execute(
                select(Incident).where(Incident.case_incident_id.is_not(None))
            ).scalars()
        )
        assert len(rows) == 2 and all(r.victim_key and r.place_key for r in rows)
        assert {r.case_id for r in rows} == {case_id}
        # The next referral about the same victim counts them towards its own threshold.
        victim_after = find_matches(world.hub_id, keys, TODAY.date()).victim_in_review_window
        assert victim_after == victim_before + 2
        assert _count(Activity, Activity.kind == "case_review_threshold") == 1


@time_machine.travel(TODAY, tick=False)
def test_a_hate_incident_meets_the_hate_threshold_at_once(app, client, world):
    case_id = _referred_case(app, world)
    client = _as(app, world, "spoc")
    response = client.submit(f"/cases/{case_id}/incidents", _form(hate="yes"))
    assert response.status_code == 302
    with app.test_request_context():
        history = incidents.case_history(db.session.get(Case, case_id), TODAY.date())
        assert history.hate_in_review_window == 1
        assert history.review_met and "hate incident" in history.review_reasons[-1]


@time_machine.travel(TODAY, tick=False)
def test_an_incident_outside_the_windows_counts_in_none(app, world):
    case_id = _referred_case(app, world)
    with app.test_request_context():
        case = db.session.get(Case, case_id)
        spoc = user(world.email["spoc"])
        incidents.log_incident(case, _form(occurred_on="2026-03-01"), actor=spoc)
        history = incidents.case_history(case, TODAY.date())
        assert history.windows == {"30": 1, "90": 1, "180": 1}
        assert history.in_review_window == 1


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"occurred_on": None}, "occurred_on", "Enter the date it happened"),
        ({"occurred_on": "2026-11-24"}, "occurred_on", "today or earlier"),
        ({"occurred_on": "21/11/2026"}, "occurred_on", "in the form 2027-03-31"),
        ({"occurred_on": "2026-11-23", "occurred_time": "10:15"}, "occurred_time", "in the past"),
        ({"occurred_time": "late"}, "occurred_time", "in the form 21:30"),
        ({"description": None}, "description", "Describe what happened"),
        ({"location": None}, "location", "Enter where it happened"),
        ({"reported_by": None}, "reported_by", "Enter who reported it"),
        ({"crime_reference": "CU 2026; DROP"}, "crime_reference", "crime reference"),
        ({"sharing": "restricted"}, "restricted_to", "Choose at least one agency"),
    ],
)
def test_bad_input_gets_field_messages_and_writes_nothing(
    app, client, world, changes, field, message
):
    case_id = _referred_case(app, world)
    client = _as(app, world, "spoc")
    response = client.submit(f"/cases/{case_id}/incidents", _form(**changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and f'id="{field}-error"' in page and message in page
    # What was typed is kept.
    assert "Youths kicked the door" in page or field == "description"
    with app.app_context():
        assert _count(CaseIncident) == 0
        assert _count(Incident, Incident.case_incident_id.is_not(None)) == 0


@time_machine.travel(TODAY, tick=False)
def test_a_closed_case_takes_no_new_incident(app, client, world):
    case_id = _referred_case(app, world)
    with app.app_context():
        db.session.get(Case, case_id).stage = "closed"
        db.session.commit()
    client = _as(app, world, "spoc")
    response = client.submit(f"/cases/{case_id}/incidents", _form())
    assert response.status_code == 400
    assert "refer a new incident" in response.get_data(as_text=True)
    with app.app_context():
        assert _count(CaseIncident) == 0


@time_machine.travel(TODAY, tick=False)
def test_the_same_form_sent_twice_logs_one_incident(app, client, world):
    case_id = _referred_case(app, world)
    client = _as(app, world, "spoc")
    form = _form(form_token="a1b2c3d4e5f6")
    assert client.submit(f"/cases/{case_id}/incidents", form).status_code == 302
    assert client.submit(f"/cases/{case_id}/incidents", form).status_code == 302
    with app.app_context():
        assert _count(CaseIncident) == 1
        assert _count(Incident, Incident.case_incident_id.is_not(None)) == 1


@pytest.fixture
def three(app, world):
    """A case with council (referrer), housing and police as members; all three sign."""
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council, police, housing = (
            db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police", "housing")
        )
        make_isa(hub, [council, police, housing], ALL, reference="ISA-3")
        case = make_case(hub, "CPL-300", council, housing, police, stage="active")
        db.session.commit()
        return case.id


@time_machine.travel(TODAY, tick=False)
def test_a_restricted_incident_is_seen_only_by_the_agencies_named(app, client, world, three):
    client = _as(app, world, "spoc")  # council
    response = client.submit(
        f"/cases/{three}/incidents",
        _form(sharing="restricted", restricted_to=str(world.agency_ids["police"])),
    )
    assert response.status_code == 302
    with app.app_context():
        incident = db.session.execute(select(CaseIncident)).scalar_one()
        assert incident.restricted
        assert [r.agency_id for r in db.session.execute(select(RecordRestriction)).scalars()] == [
            world.agency_ids["police"]
        ]
        # A case opened by hand has no referral keys: one history row, the case's own.
        rows = db.session.execute(
            select(Incident).where(Incident.case_incident_id == incident.id)
        ).scalars()
        assert [(r.case_id, r.victim_key) for r in rows] == [(three, None)]
    client = _as(app, world, "coordinator")  # police: named
    assert "Youths kicked the door" in client.get(f"/cases/{three}/referrals").get_data(
        as_text=True
    )
    client = _as(app, world, "case_worker")  # housing: a member, not named
    page = client.get(f"/cases/{three}/referrals").get_data(as_text=True)
    assert "Youths kicked the door" not in page
    assert "No incidents logged on this case that you may see" in page
    # Its activity entry is filtered by the same rule.
    assert "Logged a new incident" not in client.get(f"/cases/{three}/activity").get_data(
        as_text=True
    )


@time_machine.travel(TODAY, tick=False)
def test_an_agency_whose_agreement_lacks_incident_data_may_not_log_or_see(app, client, world):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council, housing = (
            db.session.get(Agency, world.agency_ids[k]) for k in ("council", "housing")
        )
        make_isa(hub, [council], ALL, reference="ISA-C")
        make_isa(hub, [housing], ["identity"], reference="ISA-H")
        case = make_case(hub, "CPL-301", council, housing, stage="active")
        db.session.commit()
        case_id = case.id
    client = _as(app, world, "spoc")
    assert client.submit(f"/cases/{case_id}/incidents", _form()).status_code == 302
    client = _as(app, world, "case_worker")  # housing: identity only
    page = client.get(f"/cases/{case_id}/referrals").get_data(as_text=True)
    assert "Youths kicked the door" not in page and "Log a new incident" not in page
    refused = client.submit(f"/cases/{case_id}/incidents", _form())
    assert refused.status_code == 400
    assert "do not cover this category" in refused.get_data(as_text=True)
    with app.app_context():
        assert _count(CaseIncident) == 1


@time_machine.travel(TODAY, tick=False)
def test_a_non_member_gets_the_404_of_a_missing_case(app, client, world, three):
    client = _as(app, world, "other_hub")
    assert client.submit(f"/cases/{three}/incidents", _form()).status_code == 404
    with app.app_context():
        assert _count(CaseIncident) == 0
        assert _count(
            AuditEntry, AuditEntry.action == "access_denied", AuditEntry.target_id == str(three)
        )


@time_machine.travel(TODAY, tick=False)
def test_the_tab_costs_the_same_queries_for_one_incident_as_for_six(app, client, world, three):
    client = _as(app, world, "spoc")

    def tab_queries() -> int:
        with app.app_context(), count_queries(db.engine) as statements:
            assert client.get(f"/cases/{three}/referrals").status_code == 200
        return len(statements)

    client.submit(f"/cases/{three}/incidents", _form())
    one = tab_queries()
    for day in range(5):
        occurred = (TODAY.date() - timedelta(days=day + 3)).isoformat()
        client.submit(f"/cases/{three}/incidents", _form(occurred_on=occurred))
    assert tab_queries() == one
