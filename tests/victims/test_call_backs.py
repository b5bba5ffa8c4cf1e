"""Call-backs with a controlled clock: the band's cadence in working days (England and Wales
bank holidays skipped), due times stored in UTC from London wall-clock times across the clock
change, a reached victim keeping the promise, and the daily reminders: the SPoC on the day,
the coordinators, the SPoC and their agency's managers once a call-back is missed by a working
day, each once however often the job runs. The late May bank holiday is Monday 25 May 2026."""

from datetime import date

import pytest
import time_machine
from sqlalchemy import select

from hub.core.locking import StaleForm
from hub.extensions import db
from hub.models import AuditEntry, CallBack, JobRun, Notification, VictimSettings
from hub.permissions import hub_today
from hub.victims import call_backs, contacts, reminders
from tests.support.factories import make_user
from tests.victims.conftest import add_victim, at

SPOKE = {
    "channel": "phone",
    "outcome": "spoke",
    "told": "We will ring again next week",
    "risk_now": "same",
}


def run(when: str) -> list[tuple[str, list[str]]]:
    """The daily job at `when` (London), committed as the scheduler's runner does."""
    with time_machine.travel(at(when), tick=False):
        sent = reminders.call_back_reminders(hub_today())
        db.session.commit()
    return [(r.kind, sorted(u.email for u in to)) for r, to in sent]


def test_the_default_call_back_follows_the_band_in_working_days(v):
    v.case.band = "high"
    # Friday 22 May 2026: five working days on, skipping the bank holiday, is Monday 1 June.
    assert call_backs.default_due_on(v.case, date(2026, 5, 22)) == date(2026, 6, 1)
    v.case.band = "critical"
    assert call_backs.default_due_on(v.case, date(2026, 5, 22)) == date(2026, 5, 27)
    db.session.add(VictimSettings(hub_id=v.hub.id, critical_days=1))
    db.session.flush()
    assert call_backs.default_due_on(v.case, date(2026, 5, 22)) == date(2026, 5, 26)


def test_due_times_are_london_wall_clock_stored_in_utc(v, victim):
    spoc = v.people["spoc"]
    with time_machine.travel(at("2026-03-27T09:00"), tick=False):
        row = call_backs.set_call_back(
            v.case,
            victim,
            call_backs.at_local(date(2026, 3, 30), call_backs.DEFAULT_TIME),
            actor=spoc,
        )
        db.session.commit()
    assert row.due_at.isoformat() == "2026-03-30T09:00:00+00:00"  # 10am BST after the change
    assert call_backs.state_of(row, at("2026-03-30T09:59")) == "today"
    assert call_backs.state_of(row, at("2026-03-30T10:01")) == "late"
    assert call_backs.state_of(row, at("2026-03-31T00:01")) == "overdue"


def test_a_reached_victim_keeps_the_promise_and_a_missed_call_does_not(v, victim):
    spoc = v.people["spoc"]
    with time_machine.travel(at("2026-11-24T09:00"), tick=False):
        call_backs.set_call_back(v.case, victim, at("2026-11-25T10:00"), actor=spoc)
        db.session.commit()
    with time_machine.travel(at("2026-11-25T10:05"), tick=False):
        contacts.record_contact(
            v.case,
            victim,
            {
                "contact_on": "2026-11-25",
                "contact_time": "10:00",
                "channel": "phone",
                "outcome": "no_answer",
            },
            actor=spoc,
        )
        db.session.commit()
        (row,) = db.session.execute(select(CallBack)).scalars()
        assert row.status == "open"  # nobody answered: the promise still stands
        made = contacts.record_contact(
            v.case,
            victim,
            dict(SPOKE, contact_on="2026-11-25", contact_time="10:04", next_on="2026-12-02"),
            actor=spoc,
        )
        db.session.commit()
    rows = list(db.session.execute(select(CallBack).order_by(CallBack.id)).scalars())
    assert [(r.status, r.contact_id) for r in rows] == [("done", made.id), ("open", None)]
    assert rows[1].due_at.isoformat() == "2026-12-02T10:00:00+00:00"


def test_the_same_contact_form_sent_twice_records_one_contact(v, victim):
    form = dict(SPOKE, contact_on="2026-11-24", contact_time="09:00", form_token="ab12")
    with time_machine.travel(at("2026-11-24T09:30"), tick=False):
        first = contacts.record_contact(v.case, victim, dict(form), actor=v.people["spoc"])
        second = contacts.record_contact(v.case, victim, dict(form), actor=v.people["spoc"])
        db.session.commit()
    assert first.id == second.id


def test_a_worse_risk_tells_the_coordinators_with_nothing_personal(v, victim, outbox):
    coordinator = v.people["coordinator"]
    with time_machine.travel(at("2026-11-24T09:30"), tick=False):
        contacts.record_contact(
            v.case,
            victim,
            dict(
                SPOKE,
                contact_on="2026-11-24",
                contact_time="09:00",
                risk_now="higher",
                reported="He followed me home from the bus stop",
            ),
            actor=v.people["spoc"],
        )
        db.session.commit()
    (email,) = [m for m in outbox if m["To"] == coordinator.email]
    text = email.get_content()
    assert "CPL-V1" in text and "worse" in text
    assert "bus stop" not in text and victim.name not in text
    notices = (
        db.session.execute(select(Notification.text).where(Notification.user_id == coordinator.id))
        .scalars()
        .all()
    )
    assert notices == ["A victim on case CPL-V1 reports that things are worse."]


def test_the_spoc_is_reminded_on_the_day_once(v, victim, outbox):
    spoc = v.people["spoc"]
    with time_machine.travel(at("2026-11-23T09:00"), tick=False):
        call_backs.set_call_back(v.case, victim, at("2026-11-25T14:00"), actor=spoc)
        db.session.commit()
    assert run("2026-11-24T07:45") == []
    assert run("2026-11-25T07:45") == [("call_back_due", [spoc.email])]
    assert run("2026-11-25T07:45") == []  # a restart, a second run: nothing twice
    assert run("2026-11-25T12:00") == []
    (email,) = [m for m in outbox if m["To"] == spoc.email]
    assert "25 November 2026 at 14:00" in email.get_content()
    assert victim.name not in email.get_content()


def test_a_call_back_missed_by_a_working_day_is_escalated_once_across_the_bank_holiday(
    v, victim, outbox
):
    spoc, coordinator = v.people["spoc"], v.people["coordinator"]
    manager = make_user("manager@council-asb.example", v.council, ("agency_manager", None))
    with time_machine.travel(at("2026-05-20T09:00"), tick=False):
        call_backs.set_call_back(v.case, victim, at("2026-05-22T10:00"), actor=spoc)
        db.session.commit()
    assert run("2026-05-22T07:45") == [("call_back_due", [spoc.email])]
    # Saturday to Tuesday: the weekend, the bank holiday, and Tuesday, the working day's grace.
    for day in ("23", "24", "25", "26"):
        assert run(f"2026-05-{day}T07:45") == []
    escalated = run("2026-05-27T07:45")
    assert escalated == [
        ("call_back_missed", sorted([spoc.email, coordinator.email, manager.email]))
    ]
    assert run("2026-05-27T07:45") == [] and run("2026-05-28T07:45") == []
    keys = (
        db.session.execute(select(JobRun.key).where(JobRun.job == "call_back_reminders"))
        .scalars()
        .all()
    )
    assert len(keys) == 2
    entry = db.session.execute(
        select(AuditEntry.details).where(AuditEntry.action == "call_back_missed_reminder_sent")
    ).scalar_one()
    assert entry["due_on"] == "2026-05-22"
    # Moved to a new day, the call-back is reminded again on that day.
    with time_machine.travel(at("2026-05-28T09:00"), tick=False):
        call_backs.set_call_back(v.case, victim, at("2026-05-29T10:00"), actor=spoc)
        db.session.commit()
    assert run("2026-05-29T07:45") == [("call_back_due", [spoc.email])]


def test_a_spoc_who_may_no_longer_keep_the_victim_is_stood_in_for_by_coordinators(v, outbox):
    victim = add_victim(v)
    spoc, coordinator = v.people["spoc"], v.people["coordinator"]
    with time_machine.travel(at("2026-11-23T09:00"), tick=False):
        call_backs.set_call_back(v.case, victim, at("2026-11-25T10:00"), actor=spoc)
        db.session.commit()
    spoc.is_active_account = False
    db.session.commit()
    assert run("2026-11-25T07:45") == [("call_back_due", [coordinator.email])]


def test_call_backs_on_closed_cases_are_not_reminded(v, victim):
    with time_machine.travel(at("2026-11-23T09:00"), tick=False):
        call_backs.set_call_back(v.case, victim, at("2026-11-25T10:00"), actor=v.people["spoc"])
        db.session.commit()
    v.case.stage = "closed"
    db.session.commit()
    assert run("2026-11-25T07:45") == []


def test_two_spocs_scheduling_at_once_leave_one_call_back_and_the_loser_is_told(
    v, victim, monkeypatch
):
    spoc, coordinator = v.people["spoc"], v.people["coordinator"]
    with time_machine.travel(at("2026-11-23T09:00"), tick=False):
        call_backs.set_call_back(v.case, victim, at("2026-11-25T10:00"), actor=spoc)
        db.session.commit()
        # The second read the victim before the first saved: it sees no open call-back.
        monkeypatch.setattr(call_backs, "open_call_back", lambda _victim: None)
        with pytest.raises(StaleForm):
            call_backs.set_call_back(v.case, victim, at("2026-11-26T10:00"), actor=coordinator)
    rows = db.session.execute(select(CallBack.due_at).where(CallBack.victim_id == victim.id))
    assert [r.isoformat() for r in rows.scalars()] == ["2026-11-25T10:00:00+00:00"]
