"""Conferences: the scheduler creates the weekly conferences (moving off bank holidays) and
builds each agenda from the scores; a coordinator edits it; the pages, the slot form and the
calendar invitation keep to the permission rule."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from icalendar import Calendar
from marshmallow import ValidationError
from sqlalchemy import func, select

from hub.conferences import agenda as conference_agenda
from hub.conferences import case_reviews, jobs
from hub.conferences import slot as conference_slot
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import (
    AgendaItem,
    AuditEntry,
    CaseAction,
    Conference,
    ConferenceSlot,
    Referral,
    RiskAssessment,
)
from referrals import intake
from tests.conftest import count_queries
from tests.support.factories import make_case, make_isa
from tests.support.referral_data import hub, payload, user

WEDNESDAY = 2


def at(text: str) -> datetime:
    """A London wall-clock time, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def add_slot(hub_id: int, weekday: int = WEDNESDAY, time: str = "10:00", **kw) -> ConferenceSlot:
    slot = ConferenceSlot(hub_id=hub_id, weekday=weekday, time=time, place="Whitehaven", **kw)
    db.session.add(slot)
    db.session.flush()
    return slot


_NAMES = iter(
    f"{first} {last}" for last in ("Ash", "Birch", "Cedar", "Dale") for first in "ABCDEFGH"
)


def refer(when: str, **changes) -> Referral:
    """Each referral about different people at a different place, so repeat matching does not
    raise one band with another's history."""
    n = next(_NAMES)
    changes.setdefault(
        "location",
        {
            "address": f"{len(n)} {n} Road, Whitehaven",
            "postcode": "CA28 7XY",
            "lat": None,
            "lon": None,
        },
    )
    changes.setdefault("people", [{"role": "victim", "name": n}])
    with time_machine.travel(at(when), tick=False):
        return intake.submit_referral(payload(**changes), user=user("referrer@council.example"))[0]


def weekly(hub_id: int) -> list[Conference]:
    # Critical and high referrals here also get urgent conferences (test_conference_urgent).
    return list(
        db.session.execute(
            select(Conference)
            .where(Conference.hub_id == hub_id, Conference.kind == "weekly")
            .order_by(Conference.starts_at)
        ).scalars()
    )


def on_agenda(conference: Conference) -> list[tuple[str, str]]:
    return [
        (item.referral.reference if item.referral_id else item.case.reference, item.reason)
        for item in conference_agenda.agenda_items(conference)
    ]


def test_a_week_of_referrals_of_every_band_makes_the_agenda(ctx, world):
    copeland = hub()
    add_slot(copeland.id)
    # Thursday after one conference, through the next Monday: the coming Wednesday's agenda.
    critical_thu = refer("2026-11-19T09:00", risk={"threat_to_life": True})
    high = refer("2026-11-19T11:00")
    medium = refer("2026-11-19T12:00", risk={"fear_for_safety": True})
    standard = refer("2026-11-19T13:00", risk={}, category="environmental")
    critical_fri = refer("2026-11-20T09:00", risk={"threat_to_life": True})
    triaged = refer("2026-11-20T10:00", risk={"threat_to_life": True})
    triaged.status = "triaged"
    assert [r.band for r in (critical_thu, high, medium, standard)] == [
        "critical",
        "high",
        "medium",
        "standard",
    ]
    a = _agencies(copeland)
    review = make_case(copeland, "CPL-REVIEW", a["council"])
    review.next_review_on = date(2026, 11, 24)
    later = make_case(copeland, "CPL-LATER", a["council"])
    later.next_review_on = date(2026, 12, 9)
    closed = make_case(copeland, "CPL-CLOSED", a["council"], stage="closed")
    closed.next_review_on = date(2026, 11, 1)
    make_case(copeland, "CPL-EVAL", a["council"], stage="evaluation")
    overdue = make_case(copeland, "CPL-OVERDUE", a["council"])
    both = make_case(copeland, "CPL-BOTH", a["council"])
    both.next_review_on = date(2026, 11, 20)
    worker = user(world.email["case_worker"])
    for case, due in ((overdue, date(2026, 11, 20)), (both, date(2026, 11, 2))):
        db.session.add(
            CaseAction(
                case_id=case.id,
                agency_id=worker.agency_id,
                owner_id=worker.id,
                description="Visit",
                due_on=due,
            )
        )
    db.session.flush()

    conference_slot.ensure_weekly_conferences(date(2026, 11, 19))
    conference = weekly(copeland.id)[0]
    assert conference.starts_at == at("2026-11-25T10:00")
    # The medium deadline is the hub's conference, from its slot: the two never disagree.
    assert medium.conference_due_by == conference.starts_at

    # Before the agenda opens (48 hours before) nothing is built.
    assert conference_agenda.build_agenda(conference, at("2026-11-23T09:59")) == 0
    conference_agenda.build_agenda(conference, at("2026-11-23T10:00"))
    assert on_agenda(conference) == [
        (critical_thu.reference, "new_referral"),
        (critical_fri.reference, "new_referral"),
        (high.reference, "new_referral"),
        (medium.reference, "new_referral"),
        ("CPL-REVIEW", "review_due"),
        ("CPL-BOTH", "review_due"),
        ("CPL-OVERDUE", "overdue_actions"),
        ("CPL-EVAL", "ready_for_evaluation"),
    ]

    # A critical referral after the agenda was built joins it at the next hourly run; a
    # medium one inside the 24-hour cut-off goes to the week after.
    late_critical = refer("2026-11-23T14:00", risk={"threat_to_life": True})
    late_medium = refer("2026-11-24T12:00", risk={"fear_for_safety": True})
    assert late_medium.conference_due_by == at("2026-12-02T10:00")
    conference_agenda.build_agenda(conference, at("2026-11-23T15:00"))
    refs = [ref for ref, _ in on_agenda(conference)]
    assert refs[-1] == late_critical.reference and late_medium.reference not in refs
    assert len(refs) == len(set(refs)) == 9
    # Once the conference has started the agenda is no longer built.
    refer("2026-11-25T09:00", risk={"threat_to_life": True})
    assert conference_agenda.build_agenda(conference, at("2026-11-25T10:00")) == 0


def _agencies(copeland):
    return {a.kind: a for a in copeland.agencies}


def test_a_conference_on_a_bank_holiday_moves_to_the_next_working_day(ctx, world):
    copeland = hub()
    add_slot(copeland.id, weekday=0)  # Mondays at 10:00
    created = conference_slot.ensure_weekly_conferences(date(2026, 12, 20))
    assert [c.starts_at.astimezone(LONDON).isoformat() for c in created] == [
        "2026-12-21T10:00:00+00:00",
        "2026-12-29T10:00:00+00:00",  # Monday 28 December is the Boxing Day substitute
        "2027-01-04T10:00:00+00:00",
        "2027-01-11T10:00:00+00:00",
    ]
    # A medium referral's deadline is the same moved conference.
    medium = refer("2026-12-22T12:00", risk={"fear_for_safety": True})
    assert medium.conference_due_by == created[1].starts_at


def test_a_scheduler_restart_duplicates_nothing(ctx, world):
    copeland = hub()
    add_slot(copeland.id, weeks_ahead=2)
    critical = refer("2026-11-19T09:00", risk={"threat_to_life": True})
    case = make_case(copeland, "CPL-EVAL", _agencies(copeland)["council"], stage="evaluation")
    with time_machine.travel(at("2026-11-23T11:00"), tick=False):
        jobs.conference_job()
        first = weekly(copeland.id)
        items = on_agenda(first[0])
        assert items == [(critical.reference, "new_referral"), ("CPL-EVAL", "ready_for_evaluation")]
        # A coordinator removes the case; a rerun (a restarted scheduler) does not restore it.
        removed = conference_agenda.agenda_items(first[0])[1]
        conference_agenda.remove_item(first[0], removed, user("coord@police.example"))
        jobs.conference_job()
        jobs.conference_job()
    assert [c.id for c in weekly(copeland.id)] == [c.id for c in first] and len(first) == 2
    assert on_agenda(first[0]) == [(critical.reference, "new_referral")]
    count = db.session.execute(
        select(func.count()).select_from(AgendaItem).where(AgendaItem.reason != "urgent")
    ).scalar()  # the critical referral is also on its urgent conference (test_conference_urgent)
    assert count == 2 and case.id == removed.case_id
    # A week later the next conference is created; none is created twice.
    with time_machine.travel(at("2026-11-26T08:00"), tick=False):
        jobs.conference_job()
        jobs.conference_job()
    starts = [c.starts_at for c in weekly(copeland.id)]
    assert starts == [at("2026-11-25T10:00"), at("2026-12-02T10:00"), at("2026-12-09T10:00")]


# -- the pages -------------------------------------------------------------------------------


def _setup_conference(app, world) -> tuple[int, int, int]:
    """A Wednesday conference with a case on the agenda (council and police on the case)."""
    with app.app_context():
        copeland = hub()
        add_slot(copeland.id, online_link="https://meet.example/copeland")
        a = _agencies(copeland)
        case = make_case(copeland, "CPL-7", a["council"], a["police"])
        case.next_review_on = date(2026, 11, 24)
        other = make_case(copeland, "CPL-8", a["council"], a["police"])
        conference_slot.ensure_weekly_conferences(date(2026, 11, 19))
        conference = weekly(copeland.id)[0]
        conference_agenda.build_agenda(conference, at("2026-11-24T09:00"))
        db.session.commit()
        return conference.id, case.id, other.id


@time_machine.travel(at("2026-11-24T09:00"), tick=False)
def test_the_agenda_shows_board_card_fields_only(app, client, world):
    conference_id, _, _ = _setup_conference(app, world)
    client.sign_in(world.email["analyst"])
    listing = client.get(f"/hubs/{world.hub_slug}/conferences")
    assert listing.status_code == 200
    assert "25 November 2026 at 10:00am" in listing.get_data(as_text=True)
    page = client.get(f"/conferences/{conference_id}").get_data(as_text=True)
    assert "CPL-7" in page and "Review due" in page and "High" in page
    assert "Mill Street" not in page  # the case title is not on the agenda
    assert "/cases/" not in page  # the analyst's agency is not on the case: no link
    assert "Move up" not in page and "Add to the agenda" not in page


@time_machine.travel(at("2026-11-24T09:00"), tick=False)
def test_another_hub_gets_404_and_a_case_worker_cannot_edit(app, client, world):
    conference_id, case_id, other_id = _setup_conference(app, world)
    client.sign_in(world.email["other_hub"])
    assert client.get(f"/conferences/{conference_id}").status_code == 404
    assert client.get(f"/conferences/{conference_id}.ics").status_code == 404
    client = app.test_client()  # a second browser
    client.sign_in(world.email["case_worker"])
    response = client.submit(f"/conferences/{conference_id}/items", {"reference": "CPL-8"})
    assert response.status_code == 404
    assert client.get(f"/hubs/{world.hub_slug}/conferences/slot").status_code == 404
    with app.app_context():
        assert (
            db.session.execute(select(AgendaItem).where(AgendaItem.case_id == other_id)).first()
            is None
        )
        denials = db.session.execute(
            select(AuditEntry.action).where(AuditEntry.outcome == "denied")
        ).scalars()
        assert list(denials).count("access_denied") >= 4


@time_machine.travel(at("2026-11-24T09:00"), tick=False)
def test_a_coordinator_adds_moves_and_removes_items_audited(app, client, world):
    conference_id, case_id, other_id = _setup_conference(app, world)
    client.sign_in(world.email["coordinator"])
    base = f"/conferences/{conference_id}/items"

    bad = client.submit(base, {"reference": "CPL-404"})
    assert bad.status_code == 400 and "There is no case CPL-404 in this hub" in bad.get_data(
        as_text=True
    )
    again = client.submit(base, {"reference": "CPL-7"})
    assert again.status_code == 400 and "CPL-7 is already on the agenda" in again.get_data(
        as_text=True
    )
    assert client.submit(base, {"reference": "CPL-8"}).status_code == 302
    with app.app_context():
        items = {
            i.case_id: i.id
            for i in conference_agenda.agenda_items(db.session.get(Conference, conference_id))
        }
    assert list(items) == [case_id, other_id]
    top = client.submit(f"{base}/{items[case_id]}/move", {"direction": "up"})
    assert top.status_code == 400 and "already at the top" in top.get_data(as_text=True)
    assert (
        client.submit(f"{base}/{items[case_id]}/move", {"direction": "sideways"}).status_code == 400
    )
    assert client.submit(f"{base}/{items[case_id]}/move", {"direction": "down"}).status_code == 302
    assert client.submit(f"{base}/999999/remove", {}).status_code == 400
    assert client.submit(f"{base}/{items[other_id]}/remove", {}).status_code == 302
    with app.app_context():
        conference = db.session.get(Conference, conference_id)
        assert [i.case_id for i in conference_agenda.agenda_items(conference)] == [case_id]
        actions = list(
            db.session.execute(
                select(AuditEntry.action)
                .where(AuditEntry.action.like("agenda_item_%"))
                .order_by(AuditEntry.id)
            ).scalars()
        )
    assert actions == ["agenda_item_added", "agenda_item_moved", "agenda_item_removed"]


def test_the_slot_form_refuses_bad_input_and_saves_good(app, client, world):
    client.sign_in(world.email["hub_manager"])
    path = f"/hubs/{world.hub_slug}/conferences/slot"
    bad = client.submit(
        path, {"weekday": "6", "time": "25:00", "online_link": "http://x", "weeks_ahead": "x"}
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400
    for message in (
        "Choose a weekday from Monday to Friday",
        "Enter the time as HH:MM, like 10:00",
        "Enter a whole number of weeks",
    ):
        assert message in text
    with app.app_context():
        assert db.session.execute(select(ConferenceSlot)).first() is None
    good = client.submit(
        path,
        {"weekday": "4", "time": "09:30", "place": "Fire station", "agenda_hours_before": "24"},
    )
    assert good.status_code == 302
    with app.app_context():
        slot = db.session.execute(select(ConferenceSlot)).scalar_one()
        assert (slot.weekday, slot.time, slot.agenda_hours_before, slot.weeks_ahead) == (
            4,
            "09:30",
            24,
            4,
        )
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "conference_slot_saved")
        ).scalar_one()
        assert entry.details["before"] is None and entry.details["after"]["time"] == "09:30"
    assert "Fridays at 09:30" in client.get(f"/hubs/{world.hub_slug}/conferences").get_data(
        as_text=True
    )


@time_machine.travel(at("2026-11-24T09:00"), tick=False)
def test_the_calendar_invitation_carries_no_personal_data(app, client, world):
    conference_id, _, _ = _setup_conference(app, world)
    client.sign_in(world.email["case_worker"])
    response = client.get(f"/conferences/{conference_id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    body = response.get_data(as_text=True)
    event = Calendar.from_ical(response.data).walk("VEVENT")[0]
    assert event.decoded("dtstart") == at("2026-11-25T10:00")
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(hours=2)
    assert str(event["location"]) == "Whitehaven"
    assert f"/conferences/{conference_id}" in str(event["description"])
    assert "https://meet.example/copeland" in str(event["description"])
    assert "CPL-7" not in body and "Mill Street" not in body


@time_machine.travel(at("2026-11-19T12:00"), tick=False)
def test_changing_the_slot_moves_the_coming_conferences(ctx, world):
    copeland = hub()
    manager = user(world.email["hub_manager"])
    conference_slot.save_slot(copeland, {"weekday": "2", "time": "10:00"}, manager)
    wednesdays = weekly(copeland.id)
    assert len(wednesdays) == 4 and {c.status for c in wednesdays} == {"scheduled"}
    slot = conference_slot.slot_for(copeland.id)
    form = {"weekday": "4", "time": "09:30", "place": "Fire station", "version": str(slot.version)}
    conference_slot.save_slot(copeland, form, manager)
    scheduled = [c for c in weekly(copeland.id) if c.status == "scheduled"]
    assert [c.starts_at for c in scheduled][:2] == [at("2026-11-20T09:30"), at("2026-11-27T09:30")]
    assert {c.place for c in scheduled} == {"Fire station"}
    assert {c.status for c in wednesdays} == {"cancelled"}
    # Back to Wednesdays: the same conferences come back rather than duplicates.
    form = {"weekday": "2", "time": "10:00", "version": str(slot.version)}
    conference_slot.save_slot(copeland, form, manager)
    assert {c.status for c in wednesdays} == {"scheduled"} and len(weekly(copeland.id)) == 8
    stale = {"weekday": "2", "time": "11:00", "version": "1"}
    with pytest.raises(ValidationError):
        conference_slot.save_slot(copeland, stale, manager)


@time_machine.travel(at("2026-11-24T09:00"), tick=False)
def test_the_agenda_links_member_cases_in_constant_queries(app, client, world, _transaction):
    conference_id, case_id, _ = _setup_conference(app, world)
    with app.app_context():
        copeland = hub()
        a = _agencies(copeland)
        make_isa(copeland, [a["council"], a["police"]], ["identity"])
        db.session.commit()
    client.sign_in(world.email["coordinator"])
    path = f"/conferences/{conference_id}"
    page = client.get(path).get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in page  # police are on CPL-7: the case links through
    with count_queries(_transaction) as small:
        assert client.get(path).status_code == 200
    with app.app_context():
        conference = db.session.get(Conference, conference_id)
        for n in range(10):
            case = make_case(hub(), f"CPL-X{n}", _agencies(hub())["housing"])
            conference_agenda.add_case(conference, case.reference, user(world.email["coordinator"]))
        db.session.commit()
    with count_queries(_transaction) as large:
        page = client.get(path).get_data(as_text=True)
    assert "CPL-X9" in page and 'href="/cases/' in page
    assert len(large) == len(small)


# -- what the builder takes, and when --------------------------------------------------------


def _signed_assessment(case, assessor, due_on: date, signed: str) -> RiskAssessment:
    assessment = RiskAssessment(
        case_id=case.id,
        kind="review",
        problem_type="personal",
        band=case.band,
        assessor_id=assessor.id,
        signed_at=at(signed),
        next_due_on=due_on,
        category="incident",
        origin_agency_id=assessor.agency_id,
    )
    db.session.add(assessment)
    db.session.flush()
    return assessment


def test_a_deadline_between_two_conferences_is_taken_by_the_earlier(ctx, world):
    """A standard referral is due ten working days on: the last weekly conference before its
    deadline takes it, so it is discussed in time rather than the week after."""
    copeland = hub()
    add_slot(copeland.id)
    standard = refer("2026-11-19T13:00", risk={}, category="environmental")
    assert standard.conference_due_by == at("2026-12-03T17:00")  # a Thursday
    conference_slot.ensure_weekly_conferences(date(2026, 11, 19))
    first, second = weekly(copeland.id)[:2]
    assert conference_agenda.following_weekly(first) == second.starts_at
    conference_agenda.build_agenda(first, at("2026-11-24T09:00"))
    conference_agenda.build_agenda(second, at("2026-12-01T09:00"))
    assert on_agenda(first) == []
    assert on_agenda(second) == [(standard.reference, "new_referral")]
    assert second.starts_at < standard.conference_due_by


def test_new_cases_reassessments_and_case_reviews_come_to_the_agenda(ctx, world):
    copeland = hub()
    add_slot(copeland.id)
    a = _agencies(copeland)
    worker = user(world.email["case_worker"])
    conference_slot.ensure_weekly_conferences(date(2026, 11, 19))
    conference, following = weekly(copeland.id)[:2]
    # Triaged into cases that await their first conference: one due before the following
    # weekly conference (this one must take it), one due after it (next week's will).
    waiting = make_case(copeland, "CPL-NEW", a["council"], stage="awaiting_conference")
    waiting.conference_due_by = at("2026-11-27T17:00")
    later = make_case(copeland, "CPL-NEW-LATER", a["council"], stage="awaiting_conference")
    later.conference_due_by = following.starts_at
    # The latest signed assessment decides when the reassessment falls due.
    overdue = make_case(copeland, "CPL-REASSESS", a["council"])
    _signed_assessment(overdue, worker, date(2026, 11, 20), "2026-10-23T10:00")
    renewed = make_case(copeland, "CPL-RENEWED", a["council"])
    _signed_assessment(renewed, worker, date(2026, 11, 20), "2026-10-23T10:00")
    _signed_assessment(renewed, worker, date(2026, 12, 18), "2026-11-20T10:00")
    # An ASB case review application on a case also due for review: listed once, as the
    # application, and the item points at it for the threshold decision.
    applied = make_case(copeland, "CPL-APPLIED", a["council"])
    applied.next_review_on = date(2026, 11, 20)
    review = case_reviews.open_review(
        copeland,
        source="application",
        applicant="victim",
        received_on=date(2026, 11, 18),
        actor=None,
        case=applied,
    )

    conference_agenda.build_agenda(conference, at("2026-11-23T10:00"))
    assert on_agenda(conference) == [
        ("CPL-APPLIED", "case_review"),
        ("CPL-NEW", "new_case"),
        ("CPL-REASSESS", "overdue_reassessment"),
    ]
    assert conference_agenda.agenda_items(conference)[0].case_review_id == review.id


def test_an_application_received_after_the_case_was_listed_is_linked_to_its_item(ctx, world):
    copeland = hub()
    add_slot(copeland.id)
    case = make_case(copeland, "CPL-1", _agencies(copeland)["council"])
    case.next_review_on = date(2026, 11, 20)
    conference_slot.ensure_weekly_conferences(date(2026, 11, 19))
    conference = weekly(copeland.id)[0]
    conference_agenda.build_agenda(conference, at("2026-11-23T10:00"))
    (item,) = conference_agenda.agenda_items(conference)
    assert item.case_review_id is None
    review = case_reviews.open_review(
        copeland,
        source="application",
        applicant="on_behalf",
        received_on=date(2026, 11, 23),
        actor=None,
        case=case,
    )
    assert conference_agenda.build_agenda(conference, at("2026-11-23T11:00")) == 0
    db.session.refresh(item)
    assert (item.reason, item.case_review_id) == ("review_due", review.id)


def test_an_urgent_conference_is_not_given_the_weekly_agenda(ctx, world):
    copeland = hub()
    add_slot(copeland.id)
    make_case(copeland, "CPL-EVAL", _agencies(copeland)["council"], stage="evaluation")
    urgent = Conference(hub_id=copeland.id, kind="urgent", starts_at=at("2026-11-24T15:00"))
    db.session.add(urgent)
    db.session.flush()
    assert conference_agenda.build_agenda(urgent, at("2026-11-24T09:00")) == 0
    assert on_agenda(urgent) == []


def test_building_an_agenda_takes_the_same_statements_however_many_cases(ctx, world):
    copeland = hub()
    add_slot(copeland.id)
    council = _agencies(copeland)["council"]
    conference_slot.ensure_weekly_conferences(date(2026, 11, 19))
    conference, following = weekly(copeland.id)[:2]
    counts = []
    for n, meeting in ((3, conference), (30, following)):
        for i in range(n):
            case = make_case(copeland, f"CPL-{meeting.id}-{i}", council, stage="evaluation")
            case.next_review_on = date(2026, 11, 1)
        db.session.flush()
        with count_queries(db.session.connection()) as statements:
            added = conference_agenda.build_agenda(meeting, meeting.starts_at - timedelta(hours=1))
        counts.append(len(statements))
        assert added == len(on_agenda(meeting)) >= n
    assert counts[0] == counts[1]


def test_the_slot_keeps_its_standing_attendees(app, client, world):
    client.sign_in(world.email["hub_manager"])
    path = f"/hubs/{world.hub_slug}/conferences/slot"
    a = world.agency_ids
    form = {"weekday": "2", "time": "10:00", "standing": [a["council"], a["police"]]}
    outsider = client.submit(path, {**form, "standing": [a["council"], a["outsider"]]})
    assert outsider.status_code == 400
    assert "Choose agencies that are partners of this hub" in outsider.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(ConferenceSlot)).first() is None
    assert client.submit(path, form).status_code == 302
    with app.app_context():
        slot = db.session.execute(select(ConferenceSlot)).scalar_one()
        assert {s.agency_id for s in slot.standing_attendees} == {a["council"], a["police"]}
        version = slot.version
    page = client.get(path).get_data(as_text=True)
    assert f'value="{a["police"]}" checked' in page
    # Unticking one removes it; the change is audited with before and after.
    changed = {**form, "standing": [a["police"]], "version": str(version)}
    assert client.submit(path, changed).status_code == 302
    with app.app_context():
        slot = db.session.execute(select(ConferenceSlot)).scalar_one()
        assert [s.agency_id for s in slot.standing_attendees] == [a["police"]]
        entry = db.session.execute(
            select(AuditEntry)
            .where(AuditEntry.action == "conference_slot_saved")
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).scalar_one()
        assert entry.details["before"]["standing"] == sorted([a["council"], a["police"]])
        assert entry.details["after"]["standing"] == [a["police"]]


def test_a_referral_triaged_before_the_meeting_becomes_its_case_on_the_agenda(ctx, world):
    from referrals import triage

    copeland = hub()
    add_slot(copeland.id)
    referral = refer("2026-11-19T09:00", risk={"fear_for_safety": True})
    conference_slot.ensure_weekly_conferences(date(2026, 11, 19))
    conference = weekly(copeland.id)[0]
    conference_agenda.build_agenda(conference, at("2026-11-23T10:00"))
    assert on_agenda(conference) == [(referral.reference, "new_referral")]
    with time_machine.travel(at("2026-11-23T11:00"), tick=False):
        triage.decide(
            referral,
            {"decision": "new_case", "title": "Noise, Mill Street", "reason": ""},
            user=user(world.email["coordinator"]),
        )
    (item,) = conference_agenda.agenda_items(conference)
    assert (item.referral_id, item.case_id) == (referral.id, referral.case_id)
    # The case awaits its conference, but it is already on this agenda: not listed twice.
    assert conference_agenda.build_agenda(conference, at("2026-11-23T12:00")) == 0


def test_new_cases_come_critical_first_then_by_deadline(ctx, world):
    copeland = hub()
    add_slot(copeland.id)
    council = _agencies(copeland)["council"]
    conference_slot.ensure_weekly_conferences(date(2026, 11, 19))
    conference = weekly(copeland.id)[0]
    for reference, band, due in (
        ("CPL-STANDARD", "standard", "2026-11-24T17:00"),
        ("CPL-CRITICAL-LATER", "critical", "2026-11-27T17:00"),
        ("CPL-CRITICAL", "critical", "2026-11-24T17:00"),
    ):
        case = make_case(copeland, reference, council, band=band, stage="awaiting_conference")
        case.conference_due_by = at(due)
    db.session.flush()
    conference_agenda.build_agenda(conference, at("2026-11-23T10:00"))
    assert [ref for ref, _ in on_agenda(conference)] == [
        "CPL-CRITICAL",
        "CPL-CRITICAL-LATER",
        "CPL-STANDARD",
    ]


def test_an_application_about_a_closed_case_still_comes_to_conference(ctx, world):
    copeland = hub()
    add_slot(copeland.id)
    closed = make_case(copeland, "CPL-CLOSED", _agencies(copeland)["council"], stage="closed")
    closed.next_review_on = date(2026, 11, 1)  # a closed case is not reviewed
    case_reviews.open_review(
        copeland, source="application", received_on=date(2026, 11, 20), actor=None, case=closed
    )
    conference_slot.ensure_weekly_conferences(date(2026, 11, 19))
    conference = weekly(copeland.id)[0]
    conference_agenda.build_agenda(conference, at("2026-11-23T10:00"))
    assert on_agenda(conference) == [("CPL-CLOSED", "case_review")]
