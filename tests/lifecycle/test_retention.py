"""The end of retention, run by the clock: nothing before the review date, each category's
records anonymised after it, refused while a case is open or held, audited, idempotent."""

from datetime import date, datetime
from types import SimpleNamespace

import pytest
import time_machine
from sqlalchemy import func, select

from hub.core.storage import evidence_store
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.lifecycle import jobs, retention
from hub.models import (
    Agency,
    AuditEntry,
    CaseAction,
    Evidence,
    Hub,
    Referral,
    ReferralPerson,
    RetentionReview,
    User,
)
from tests.support.factories import make_case, make_isa, make_note

CLOSED = datetime(2020, 1, 10, 15, 0, tzinfo=LONDON)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def run(when: str):
    """The clock's job at a London time, committed as the scheduler commits."""
    with time_machine.travel(at(when), tick=False):
        jobs.retention_review()
        db.session.commit()


@pytest.fixture
def r(ctx, world):
    hub = db.session.get(Hub, world.hub_id)
    police = db.session.get(Agency, world.agency_ids["police"])
    council = db.session.get(Agency, world.agency_ids["council"])
    coordinator = db.session.get(User, world.user_id["coordinator"])
    case = make_case(hub, "CPL-R1", police, council, title="Noise at 4 Mill Street")
    incident = make_note(case, police, coordinator, body="Shouting at the Tallis family")
    health = make_note(case, council, coordinator, category="health", body="Asthma, inhaler")
    action = CaseAction(
        case_id=case.id,
        agency_id=police.id,
        owner_id=coordinator.id,
        description="Speak to Mr Tallis",
        due_on=date(2019, 12, 1),
    )
    db.session.add(action)
    case.stage, case.closed_at = "closed", CLOSED
    db.session.commit()
    return SimpleNamespace(
        hub=hub, case=case, incident=incident, health=health, action=action, police=police
    )


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_nothing_ends_before_the_review_date_and_the_date_is_on_the_case(r):
    run("2026-01-09T23:00")
    db.session.refresh(r.incident)
    assert r.incident.body == "Shouting at the Tallis family"
    assert r.case.title == "Noise at 4 Mill Street"
    dates = retention.review_dates(r.case)
    assert {d.due_on for d in dates} == {date(2026, 1, 10)}  # six years after closure
    assert len(dates) == 7 and not any(d.done for d in dates)
    assert _audit("retention_ended") == []


def test_at_the_review_date_every_category_is_anonymised_and_audited(r):
    run("2026-01-10T02:15")
    for record in (r.incident, r.health, r.action, r.case):
        db.session.refresh(record)
    assert r.incident.body == "" and r.health.body == ""
    assert r.action.description == "" and r.case.title == ""
    assert r.case.reference == "CPL-R1"  # the row stays: counts and ids still hold
    ended = _audit("retention_ended")
    by_category = {e.details["category"]: e.details for e in ended}
    assert by_category["health"]["count"] == 1
    assert by_category["incident"]["records"] == {
        "case": 1,
        "case_action": 1,
        "case_membership": 2,  # why each agency joined
        "case_note": 1,
    }
    assert all(e.target_type == "case" and e.target_id == str(r.case.id) for e in ended)
    assert all(d.done for d in retention.review_dates(r.case))


def test_each_category_keeps_its_own_period(r):
    run("2021-06-01T09:00")  # reviews written under the default periods...
    retention.set_periods(r.hub, {"health": 24})  # ...move with the hub's own
    db.session.commit()
    dates = {d.category: d.due_on for d in retention.review_dates(r.case)}
    assert dates["health"] == date(2022, 1, 10) and dates["incident"] == date(2026, 1, 10)
    run("2022-01-10T09:00")
    db.session.refresh(r.health)
    db.session.refresh(r.incident)
    assert r.health.body == ""
    assert r.incident.body == "Shouting at the Tallis family"
    assert [e.details["category"] for e in _audit("retention_ended")] == ["health"]
    assert _audit("retention_periods_set")[0].details["categories"] == ["health"]
    assert retention.periods(r.hub.id)["health"] == 24


def test_the_job_is_idempotent(r):
    run("2026-01-10T09:00")
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    r.incident.body = "Written after the end, by a test"
    db.session.commit()
    run("2026-01-11T09:00")
    run("2026-01-11T09:00")
    db.session.refresh(r.incident)
    assert r.incident.body == "Written after the end, by a test"  # not looked at again
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries


def test_refused_while_the_case_is_open_again_reported_and_audited_once(r):
    run("2026-01-01T09:00")  # the reviews are written while the case is closed
    r.case.stage, r.case.closed_at = "active", None  # reopened
    db.session.commit()
    with time_machine.travel(at("2026-01-10T09:00"), tick=False):
        first = retention.run(utcnow())
        second = retention.run(utcnow())
        db.session.commit()
    assert ("case", r.case.id, "incident", "case_open") in first.refused
    assert first.refused == second.refused and not first.ended
    db.session.refresh(r.incident)
    assert r.incident.body == "Shouting at the Tallis family"
    refusals = _audit("retention_refused")
    assert len(refusals) == 7  # one per category, not one per run
    assert {e.details["reason"] for e in refusals} == {"case_open"}
    assert all(e.outcome == "denied" for e in refusals)
    with pytest.raises(retention.RetentionRefused):
        retention.end(db.session.scalars(select(RetentionReview)).first(), utcnow())


def test_closed_again_the_period_runs_from_the_new_closure(r):
    run("2026-01-01T09:00")
    r.case.closed_at = datetime(2025, 6, 1, 12, 0, tzinfo=LONDON)  # reopened, closed again
    db.session.commit()
    run("2026-01-10T09:00")
    db.session.refresh(r.incident)
    assert r.incident.body == "Shouting at the Tallis family"
    assert {d.due_on for d in retention.review_dates(r.case)} == {date(2031, 6, 1)}


def test_a_legal_hold_refuses_until_it_is_lifted(r):
    retention.place_hold(r.case, None, utcnow())
    db.session.commit()
    run("2026-01-10T09:00")
    db.session.refresh(r.incident)
    assert r.incident.body == "Shouting at the Tallis family"
    assert {e.details["reason"] for e in _audit("retention_refused")} == {"legal_hold"}
    assert [e.action for e in _audit("legal_hold_placed")] == ["legal_hold_placed"]
    retention.lift_hold(r.case, None, utcnow())
    db.session.commit()
    run("2026-01-11T09:00")
    db.session.refresh(r.incident)
    assert r.incident.body == ""


def test_a_referral_not_taken_on_ends_a_year_after_the_decision(r, world):
    referral = Referral(
        hub_id=r.hub.id,
        agency_id=r.police.id,
        user_id=world.user_id["referrer"],
        origin_agency_id=r.police.id,
        category="incident",
        status="triaged",
        description="Youths gather by the Tallis house",
        address="4 Mill Street",
        decision="declined",
        decided_at=at("2025-03-01T10:00"),
    )
    db.session.add(referral)
    db.session.flush()
    person = ReferralPerson(
        referral_id=referral.id,
        role="victim",
        name="Maureen Tallis",
        name_key="maureen tallis",
        category="identity",
        origin_agency_id=r.police.id,
    )
    db.session.add(person)
    db.session.commit()
    run("2026-02-28T09:00")
    db.session.refresh(referral)
    assert referral.description == "Youths gather by the Tallis house"
    run("2026-03-01T09:00")
    db.session.refresh(referral)
    db.session.refresh(person)
    assert referral.description is None and referral.address is None
    assert person.name == "" and person.name_key == ""
    ended = [e for e in _audit("retention_ended") if e.target_type == "referral"]
    assert ended[0].details["category"] == "not_taken_on"
    assert ended[0].details["records"] == {"referral": 1, "referral_person": 1}


def test_every_table_with_personal_data_is_reached_or_said_not_to_be():
    assert retention.unreached() == []


def test_the_closed_cases_page_shows_its_retention_review(app, client, world):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        police = db.session.get(Agency, world.agency_ids["police"])
        case = make_case(hub, "CPL-R2", police)
        make_isa(hub, [police], ["incident"])
        case.stage, case.closed_at = "closed", CLOSED
        db.session.commit()
        case_id = case.id
    client.sign_in(world.email["coordinator"])
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Retention review" in page and "10 January 2026" in page


def test_an_evidence_file_is_deleted_with_its_record(r, world):
    store = evidence_store()
    key = store.put(b"%PDF-1.4 diary sheet")
    item = Evidence(
        case_id=r.case.id,
        kind="diary_sheet",
        description="Diary of the Tallis family",
        filename="tallis-diary.pdf",
        file_type="pdf",
        content_type="application/pdf",
        size_bytes=20,
        sha256="0" * 64,
        storage_key=key,
        category="victim_contact",
        origin_agency_id=r.police.id,
        uploaded_by_id=world.user_id["coordinator"],
    )
    db.session.add(item)
    db.session.commit()
    run("2026-01-10T09:00")
    db.session.refresh(item)
    assert item.filename == "" and item.description == ""
    with pytest.raises(OSError):
        store.get(key)


def test_the_commands_set_periods_hold_a_case_and_run(app, r):
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["hub", "retention", "--hub", r.hub.slug, "--set", "housing=24"])
    assert shown.exit_code == 0, shown.output
    assert "housing" in shown.output and "24 months" in shown.output
    refused = runner.invoke(args=["hub", "retention", "--hub", r.hub.slug, "--set", "gossip=1"])
    assert refused.exit_code == 1 and "not a data category" in refused.output
    held = runner.invoke(args=["hub", "legal-hold", "--hub", r.hub.slug, "CPL-R1"])
    assert held.exit_code == 0 and "held" in held.output
    with time_machine.travel(at("2026-01-10T09:00"), tick=False):
        ran = runner.invoke(args=["hub", "retention", "--hub", r.hub.slug, "--run"])
    assert f"Refused:    case {r.case.id}, incident: legal hold." in ran.output
    lifted = runner.invoke(args=["hub", "legal-hold", "--hub", r.hub.slug, "CPL-R1", "--lift"])
    assert "lifted" in lifted.output
    with time_machine.travel(at("2026-01-10T10:00"), tick=False):
        ran = runner.invoke(args=["hub", "retention", "--hub", r.hub.slug, "--run"])
    assert f"Anonymised: case {r.case.id}, incident:" in ran.output


def test_a_hub_manager_places_and_lifts_a_legal_hold_on_the_closed_case(app, client, world):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council = db.session.get(Agency, world.agency_ids["council"])
        case = make_case(hub, "CPL-R3", council)
        make_isa(hub, [council], ["incident"])
        case.stage, case.closed_at = "closed", CLOSED
        db.session.commit()
        case_id = case.id
    client.sign_in(world.email["hub_manager"])
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Place a legal hold" in page
    client.submit(f"/cases/{case_id}/legal-hold", {"hold": "place"}, token_from=f"/cases/{case_id}")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Nothing is anonymised while the hold is in place" in page
    assert "Lift the legal hold" in page
    with app.app_context():
        assert retention.on_hold(case_id)
    client.submit(f"/cases/{case_id}/legal-hold", {"hold": "lift"}, token_from=f"/cases/{case_id}")
    with app.app_context():
        assert not retention.on_hold(case_id)
        actions = [e.action for e in _audit("legal_hold_placed") + _audit("legal_hold_lifted")]
        assert actions == ["legal_hold_placed", "legal_hold_lifted"]
