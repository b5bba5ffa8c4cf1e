"""Urgent conferences: a week of referrals of every band around Christmas (bank holidays on
Friday 25 and Monday 28 December 2026) and a weekend proposes an urgent conference exactly
when a critical or high deadline falls before the weekly conference that would take it,
reuses one that fits, never holds it after the deadline, and tells the coordinators once.
The coordinator confirms or declines it."""

from datetime import date, datetime
from itertools import count

import time_machine
from sqlalchemy import func, select

from hub.conferences import jobs, urgent
from hub.conferences import slot as conference_slot
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import (
    AgendaItem,
    AuditEntry,
    Conference,
    ConferenceSlot,
    DeadlineBreach,
    Notification,
    Referral,
)
from referrals import intake
from tests.conferences.test_conferences import on_agenda
from tests.support.referral_data import hub, payload, user

WEDNESDAY = 2
CRITICAL = {"risk": {"threat_to_life": True}}
HIGH: dict = {}  # the default payload scores high
MEDIUM = {"risk": {"fear_for_safety": True}}
STANDARD = {"risk": {}, "category": "environmental"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


_NAMES = (
    f"{first} {last}{'y' * n}"
    for n in count()
    for last in ("Oak", "Pine", "Rowan", "Yew", "Elm")
    for first in "ABCDEFGHJK"
)


def refer(when: str, band: dict) -> Referral:
    """A referral about different people at a different place each time, so that repeat
    matching does not raise one band with another's history."""
    n = next(_NAMES)
    changes = dict(band)
    changes["location"] = {
        "address": f"{len(n)} {n} Road, Whitehaven",
        "postcode": "CA28 7XY",
        "lat": None,
        "lon": None,
    }
    changes["people"] = [{"role": "victim", "name": n}]
    with time_machine.travel(at(when), tick=False):
        return intake.submit_referral(payload(**changes), user=user("referrer@council.example"))[0]


def add_slot(hub_id: int, **kw) -> ConferenceSlot:
    slot = ConferenceSlot(
        hub_id=hub_id,
        weekday=WEDNESDAY,
        time="10:00",
        place="Whitehaven police station",
        online_link="https://meet.example/copeland",
        **kw,
    )
    db.session.add(slot)
    db.session.flush()
    return slot


def conferences(hub_id: int, kind: str) -> list[Conference]:
    return list(
        db.session.execute(
            select(Conference)
            .where(Conference.hub_id == hub_id, Conference.kind == kind)
            .order_by(Conference.starts_at)
        ).scalars()
    )


def urgent_of(referral: Referral) -> list[Conference]:
    return list(
        db.session.execute(
            select(Conference)
            .join(AgendaItem, AgendaItem.conference_id == Conference.id)
            .where(AgendaItem.referral_id == referral.id, AgendaItem.reason == "urgent")
        ).scalars()
    )


def notices() -> list[str]:
    return list(db.session.execute(select(Notification.text).order_by(Notification.id)).scalars())


def test_a_christmas_week_of_referrals_gets_the_right_urgent_conferences(ctx, world, outbox):
    copeland = hub()
    add_slot(copeland.id)
    conference_slot.ensure_weekly_conferences(date(2026, 12, 18))
    w1, w2 = conferences(copeland.id, "weekly")[:2]
    assert (w1.starts_at, w2.starts_at) == (at("2026-12-23T10:00"), at("2026-12-30T10:00"))

    # Saturday: critical, due at the end of Monday, before Wednesday's conference. Urgent, on
    # Monday at the slot's time.
    saturday = refer("2026-12-19T11:00", CRITICAL)
    assert saturday.conference_due_by == at("2026-12-21T17:00")
    (a,) = urgent_of(saturday)
    assert (a.kind, a.status, a.starts_at) == ("urgent", "proposed", at("2026-12-21T10:00"))
    assert (a.place, a.online_link) == (
        "Whitehaven police station",
        "https://meet.example/copeland",
    )
    assert a.agenda_built_at is not None and saturday.reference in a.reason

    # Monday morning: high, medium and standard are all due at or after a weekly conference
    # that takes them; the high one's deadline IS Wednesday's conference. No urgent one.
    high_mon = refer("2026-12-21T09:00", HIGH)
    medium = refer("2026-12-21T09:30", MEDIUM)
    standard = refer("2026-12-21T09:45", STANDARD)
    assert [r.band for r in (high_mon, medium, standard)] == ["high", "medium", "standard"]
    assert high_mon.conference_due_by == medium.conference_due_by == w1.starts_at
    assert all(urgent_of(r) == [] for r in (high_mon, medium, standard))

    # Monday noon: critical due Tuesday 17:00. Monday's urgent conference has begun, so a new
    # one on Tuesday at 10:00.
    critical_mon = refer("2026-12-21T12:00", CRITICAL)
    (b,) = urgent_of(critical_mon)
    assert b.id != a.id and b.starts_at == at("2026-12-22T10:00")

    # Tuesday 08:00: critical, but Wednesday's conference is beyond the agenda cut-off and
    # before the end of the next working day, so it is the deadline. No urgent conference.
    critical_tue = refer("2026-12-22T08:00", CRITICAL)
    assert critical_tue.conference_due_by == w1.starts_at and urgent_of(critical_tue) == []

    # Tuesday noon: high, inside Wednesday's cut-off, three working days across Christmas
    # gives Tuesday 29th 17:00, before the 30th's conference. Wednesday's weekly conference
    # falls before the deadline: it joins that agenda as an urgent item.
    high_tue = refer("2026-12-22T12:00", HIGH)
    assert high_tue.conference_due_by == at("2026-12-29T17:00")
    assert urgent_of(high_tue) == [w1]
    assert len(conferences(copeland.id, "urgent")) == 2

    # Christmas Eve afternoon, before four days off: critical due Tuesday 29th 17:00. Urgent
    # on Tuesday 29th at 10:00 - the next working day.
    eve = refer("2026-12-24T15:00", CRITICAL)
    assert eve.conference_due_by == at("2026-12-29T17:00")
    (d,) = urgent_of(eve)
    assert d.starts_at == at("2026-12-29T10:00")
    # Christmas Day (a bank holiday): the same deadline, so the same urgent conference.
    christmas = refer("2026-12-25T14:00", CRITICAL)
    assert urgent_of(christmas) == [d]
    assert [r for r, _ in on_agenda(d)] == [eve.reference, christmas.reference]
    assert d.reason.count("\n") == 1 and christmas.reference in d.reason

    # Sunday evening: high due at the 30th's conference (beyond the cut-off). None.
    high_sun = refer("2026-12-27T20:00", HIGH)
    assert high_sun.conference_due_by == w2.starts_at and urgent_of(high_sun) == []

    # Never after the deadline, never in the past.
    every = [saturday, critical_mon, high_tue, eve, christmas]
    for referral in every:
        for conference in urgent_of(referral):
            assert referral.submitted_at < conference.starts_at <= referral.conference_due_by
    assert len(conferences(copeland.id, "urgent")) == 3

    # Each coordinator told once per referral, in the app and by an email with a link only,
    # sent when the submission commits.
    assert len(notices()) == 5
    db.session.commit()
    assert notices()[0].startswith("Urgent conference proposed for 21 December 2026 at 10:00am")
    assert "added to the weekly conference on 23 December 2026" in notices()[2]
    assert len(outbox) == 5 and {m["To"] for m in outbox} == {"coord@police.example"}
    bodies = [m.get_content() for m in outbox]
    assert f"http://hub.test/conferences/{a.id}/urgent" in bodies[0]
    assert f"http://hub.test/conferences/{w1.id}" in bodies[2]
    for body in bodies:
        assert "Hartley" not in body and "Road" not in body and "REF-" not in body

    # The hourly job, run twice, adds nothing: no conference, item or notice.
    items = db.session.execute(select(func.count()).select_from(AgendaItem)).scalar()
    with time_machine.travel(at("2026-12-22T13:00"), tick=False):
        jobs.conference_job()
        jobs.conference_job()
    assert len(conferences(copeland.id, "urgent")) == 3 and len(notices()) == 5
    # ... but the weekly agenda, open since Monday 10:00, is built by the rules as they are:
    # the urgent item first, then whatever is due by Wednesday's start, critical first.
    assert on_agenda(w1) == [
        (high_tue.reference, "urgent"),
        (saturday.reference, "new_referral"),
        (critical_mon.reference, "new_referral"),
        (critical_tue.reference, "new_referral"),
        (high_mon.reference, "new_referral"),
        (medium.reference, "new_referral"),
    ]
    added = db.session.execute(select(func.count()).select_from(AgendaItem)).scalar() - items
    assert added == 5
    assert (
        db.session.execute(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action.like("urgent_conference_%"))
        ).scalar()
        == 5
    )


def test_the_hourly_job_proposes_what_the_submission_did_not(ctx, world, outbox):
    """A hub sets its slot after critical referrals arrived: the safety net proposes their
    urgent conferences, two hours before the deadline or at once, never in the past."""
    copeland = hub()
    first = refer("2026-12-21T09:00", CRITICAL)
    second = refer("2026-12-21T09:05", CRITICAL)
    assert first.conference_due_by == at("2026-12-22T17:00") and urgent_of(first) == []
    add_slot(copeland.id)
    with time_machine.travel(at("2026-12-22T11:00"), tick=False):
        jobs.conference_job()
        jobs.conference_job()
    (conference,) = conferences(copeland.id, "urgent")
    # Wednesday 10:00 is past the deadline: two hours before it instead.
    assert conference.starts_at == at("2026-12-22T15:00")
    assert [r for r, _ in on_agenda(conference)] == [first.reference, second.reference]
    assert len(notices()) == 2 and len(outbox) == 0  # the job's commit sends them
    db.session.commit()
    assert len(outbox) == 2

    # The coordinator declines it; the job does not propose another for the same referrals.
    urgent.decline(
        conference,
        {"reason": "Both already safeguarded by police", "edit_version": "1"},
        user("coord@police.example"),
        at("2026-12-22T11:30"),
    )
    late = refer("2026-12-21T09:10", CRITICAL)  # arrives with the slot in place: proposed now
    with time_machine.travel(at("2026-12-22T15:50"), tick=False):
        jobs.conference_job()
    assert len(conferences(copeland.id, "urgent")) == 2
    (again,) = urgent_of(late)
    assert again.id != conference.id


def test_a_late_job_run_never_proposes_in_the_past_or_after_the_deadline(ctx, world):
    copeland = hub()
    referral = refer("2026-12-21T09:00", CRITICAL)
    add_slot(copeland.id)
    # After the deadline nothing is proposed: it is overdue (see the timeliness page).
    assert urgent.propose_due(at("2026-12-22T17:01")) == []
    with time_machine.travel(at("2026-12-22T15:50"), tick=False):
        jobs.conference_job()
    (conference,) = urgent_of(referral)
    assert conference.starts_at == at("2026-12-22T16:00")


def test_proposed_start_rules():
    slot = conference_slot.scoring_slot(ConferenceSlot(weekday=WEDNESDAY, time="10:00"))
    due = at("2026-12-29T17:00")
    # The next working day after Christmas Eve is Tuesday 29th.
    assert urgent.proposed_start(due, at("2026-12-24T15:00"), slot) == at("2026-12-29T10:00")
    # Less than two hours' notice: two hours before the deadline.
    assert urgent.proposed_start(due, at("2026-12-29T09:00"), slot) == at("2026-12-29T15:00")
    # Later still: the next quarter hour, never after the deadline.
    assert urgent.proposed_start(due, at("2026-12-29T16:10"), slot) == at("2026-12-29T16:15")
    assert urgent.proposed_start(due, at("2026-12-29T16:50"), slot) == due
    assert urgent.proposed_start(due, due, slot) is None
    assert urgent.needs_urgent("critical", due, slot)
    assert not urgent.needs_urgent("critical", at("2026-12-30T10:00"), slot)
    assert not urgent.needs_urgent("medium", due, slot)


def test_submitting_twice_creates_nothing_twice(ctx, world):
    copeland = hub()
    add_slot(copeland.id)
    referrer = user("referrer@council.example")
    with time_machine.travel(at("2026-12-24T15:00"), tick=False):
        first, _ = intake.submit_referral(payload(**CRITICAL), user=referrer, idempotency_key="k")
        again, created = intake.submit_referral(
            payload(**CRITICAL), user=referrer, idempotency_key="k"
        )
        assert again.id == first.id and not created
        weekly = conference_slot.scoring_slot(conference_slot.slot_for(copeland.id))
        assert urgent.propose_for(first, at("2026-12-24T15:00"), weekly) is None
    assert len(conferences(copeland.id, "urgent")) == 1 and len(notices()) == 1


# -- the coordinator's answer ----------------------------------------------------------------


def _proposed(app) -> tuple[int, int]:
    with app.app_context():
        copeland = hub()
        add_slot(copeland.id)
        referral = refer("2026-12-24T15:00", CRITICAL)
        (conference,) = urgent_of(referral)
        db.session.commit()
        return conference.id, referral.id


@time_machine.travel(at("2026-12-24T16:00"), tick=False)
def test_a_coordinator_confirms_with_a_new_time_warned_if_late(app, client, world):
    conference_id, _ = _proposed(app)
    client.sign_in(world.email["coordinator"])
    index = client.get(f"/hubs/{world.hub_slug}/conferences").get_data(as_text=True)
    assert f"/conferences/{conference_id}/urgent" in index
    page = client.get(f"/conferences/{conference_id}").get_data(as_text=True)
    assert "Confirm or decline this urgent conference" in page
    form = client.get(f"/conferences/{conference_id}/urgent").get_data(as_text=True)
    assert 'value="2026-12-29"' in form and 'value="10:00"' in form

    path = f"/conferences/{conference_id}/urgent/confirm"
    past = client.submit(path, {"day": "2026-12-24", "time": "09:00", "edit_version": "1"})
    assert past.status_code == 400 and "Choose a date and time in the future" in past.get_data(
        as_text=True
    )
    bad = client.submit(path, {"day": "2026-13-01", "time": "25:00", "edit_version": "1"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Enter a real date" in text and "Enter the time as" in text
    late = client.submit(
        path,
        {"day": "2026-12-30", "time": "09:00", "place": "Fire station", "edit_version": "1"},
        follow_redirects=True,
    )
    text = late.get_data(as_text=True)
    assert late.status_code == 200 and "Urgent conference confirmed" in text
    assert "after the deadline for referral REF-2026-" in text
    with app.app_context():
        conference = db.session.get(Conference, conference_id)
        assert (conference.status, conference.starts_at, conference.place) == (
            "scheduled",
            at("2026-12-30T09:00"),
            "Fire station",
        )
        assert db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "urgent_conference_confirmed")
        ).scalar_one()
    # Answered already: a second answer (a stale form) is refused, nothing changes.
    stale = client.submit(
        f"/conferences/{conference_id}/urgent/decline", {"reason": "x", "edit_version": "1"}
    )
    assert stale.status_code == 400
    assert "not a proposed urgent conference" in stale.get_data(as_text=True)


@time_machine.travel(at("2026-12-24T16:00"), tick=False)
def test_declining_needs_a_reason_which_explains_the_breach(app, client, world):
    conference_id, referral_id = _proposed(app)
    client.sign_in(world.email["coordinator"])
    path = f"/conferences/{conference_id}/urgent/decline"
    empty = client.submit(path, {"reason": "  ", "edit_version": "1"})
    assert empty.status_code == 400
    assert "Enter why the urgent conference is not needed" in empty.get_data(as_text=True)
    stale = client.submit(path, {"reason": "Not needed", "edit_version": "0"})
    assert stale.status_code == 400 and "Someone else" in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Conference, conference_id).status == "proposed"
    ok = client.submit(path, {"reason": "Victim moved to a refuge", "edit_version": "1"})
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.get(Conference, conference_id).status == "cancelled"
        breach = db.session.execute(
            select(DeadlineBreach).where(DeadlineBreach.referral_id == referral_id)
        ).scalar_one()
        assert breach.reason == "Urgent conference declined: Victim moved to a refuge"


@time_machine.travel(at("2026-12-24T16:00"), tick=False)
def test_only_coordinators_and_hub_managers_answer(app, client, world):
    conference_id, _ = _proposed(app)
    for persona in ("case_worker", "analyst", "other_hub"):
        browser = app.test_client()
        browser.sign_in(world.email[persona])
        assert browser.get(f"/conferences/{conference_id}/urgent").status_code == 404
        answer = browser.submit(
            f"/conferences/{conference_id}/urgent/decline", {"reason": "x", "edit_version": "1"}
        )
        assert answer.status_code == 404
    with app.app_context():
        assert db.session.get(Conference, conference_id).status == "proposed"
    client.sign_in(world.email["hub_manager"])
    assert client.get(f"/conferences/{conference_id}/urgent").status_code == 200
    # The coordinator's notification links to the conference.
    browser = app.test_client()
    browser.sign_in(world.email["coordinator"])
    page = browser.get("/notifications").get_data(as_text=True)
    assert f'href="/conferences/{conference_id}"' in page and "Urgent conference proposed" in page


def test_an_urgent_item_a_coordinator_removes_is_not_proposed_again(ctx, world, outbox):
    """High on Tuesday noon, due the next Tuesday: it joins Wednesday's weekly conference as
    an urgent item. The coordinator removes it (it is being handled elsewhere); the hourly
    job neither puts it back nor, once Wednesday is near, proposes an urgent conference."""
    from hub.conferences import agenda as conference_agenda

    copeland = hub()
    add_slot(copeland.id)
    conference_slot.ensure_weekly_conferences(date(2026, 12, 18))
    w1 = conferences(copeland.id, "weekly")[0]
    high = refer("2026-12-22T12:00", HIGH)
    assert urgent_of(high) == [w1]
    (item,) = [i for i in conference_agenda.agenda_items(w1) if i.referral_id == high.id]
    conference_agenda.remove_item(w1, item, user("coord@police.example"))
    told = len(notices())
    for moment in ("2026-12-22T13:00", "2026-12-23T08:30", "2026-12-23T09:30"):
        with time_machine.travel(at(moment), tick=False):
            assert urgent.propose_due(at(moment)) == []
            jobs.conference_job()
    assert conferences(copeland.id, "urgent") == [] and len(notices()) == told
    assert [r for r, _ in on_agenda(w1)].count(high.reference) == 0
