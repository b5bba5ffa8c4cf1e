"""Overdue reminders: the daily job reminds an overdue action's owner, and the assessor of an
overdue risk reassessment, once per due date, through the permission rule, with a link and
nothing personal; a coordinator who may work the case stands in for someone who no longer can.
Weeks of November 2026 (Monday 23rd) and the late May bank holiday (Monday 25 May 2026)."""

from datetime import date, datetime
from types import SimpleNamespace

import pytest
import time_machine
from sqlalchemy import select

from hub.casework import reminders
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    Agency,
    AuditEntry,
    CaseAction,
    CaseMembership,
    DataCategory,
    Hub,
    JobRun,
    Notification,
    RiskAssessment,
    User,
)
from hub.permissions import hub_today
from tests.conftest import count_queries
from tests.support.factories import make_case, make_isa, make_user

DESCRIPTION = "Visit Jordan Pike at 3 Mill Street about the threats"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.fixture
def w(ctx, world):
    """Copeland with an ISA signed by council, police and housing. The case worker (housing)
    owns the work; the coordinator is police's."""
    hub = db.session.get(Hub, world.hub_id)
    agencies = {k: db.session.get(Agency, v) for k, v in world.agency_ids.items()}
    make_isa(
        hub,
        [agencies["council"], agencies["police"], agencies["housing"]],
        [c.value for c in DataCategory],
        reference="ISA-REMINDERS",
    )
    people = {k: db.session.get(User, v) for k, v in world.user_id.items()}
    db.session.commit()
    return SimpleNamespace(hub=hub, people=people, **agencies)


def case_of(w, reference: str, *members, **kw):
    return make_case(w.hub, reference, *(members or (w.council, w.housing, w.police)), **kw)


def action(case, owner: User, due_on: date, status: str = "open") -> CaseAction:
    row = CaseAction(
        case_id=case.id,
        agency_id=owner.agency_id,
        owner_id=owner.id,
        description=DESCRIPTION,
        due_on=due_on,
        status=status,
    )
    db.session.add(row)
    db.session.flush()
    return row


def assessment(case, assessor: User, signed: str | None, next_due_on: date | None):
    row = RiskAssessment(
        case_id=case.id,
        kind="initial",
        problem_type="personal",
        band="high",
        assessor_id=assessor.id,
        category="incident",
        origin_agency_id=assessor.agency_id,
        signed_at=at(signed) if signed else None,
        next_due_on=next_due_on,
    )
    db.session.add(row)
    db.session.flush()
    return row


def run(when: str) -> list[tuple[str, list[str]]]:
    """The job at `when` (London time), committed as the scheduler's runner does. Returns
    (key, recipients' emails) for what it sent."""
    with time_machine.travel(at(when), tick=False):
        sent = reminders.overdue_reminders(hub_today())
        db.session.commit()
    return [(item.key, sorted(u.email for u in to)) for item, to in sent]


def notices(user: User) -> list[str]:
    query = select(Notification.text).where(Notification.user_id == user.id)
    return list(db.session.execute(query.order_by(Notification.id)).scalars())


def audited(name: str) -> list[dict]:
    query = select(AuditEntry.details).where(AuditEntry.action == name).order_by(AuditEntry.id)
    return list(db.session.execute(query).scalars())


# -- overdue actions ----------------------------------------------------------------------------


def test_an_overdue_action_reminds_its_owner_once_with_a_link_and_nothing_personal(w, outbox):
    worker = w.people["case_worker"]
    case = case_of(w, "CPL-R1")
    late = action(case, worker, date(2026, 11, 23))
    db.session.commit()

    assert run("2026-11-24T07:30") == [(f"action_overdue:{late.id}:2026-11-23", [worker.email])]
    (email,) = outbox
    body = email.get_content()
    assert email["To"] == worker.email
    assert email["Subject"] == "Focus Hub: an action is overdue on case CPL-R1"
    assert "23 November 2026" in body
    assert f"http://hub.test/cases/{case.id}/actions/{late.id}" in body
    assert "Jordan Pike" not in email.as_string() and "Mill Street" not in email.as_string()
    assert notices(worker) == [
        "An action is overdue on case CPL-R1: it was due on 23 November 2026."
    ]
    (details,) = audited("overdue_reminder_sent")
    assert details == {
        "kind": "action_overdue",
        "record_id": late.id,
        "due_on": "2026-11-23",
        "recipients": [worker.id],
    }

    # Again the same morning (a restarted scheduler), and the days after: nothing new.
    assert run("2026-11-24T09:00") == []
    assert run("2026-11-25T07:30") == []
    assert run("2026-11-30T07:30") == []
    assert len(outbox) == 1 and len(notices(worker)) == 1


def test_restarts_through_a_week_neither_lose_nor_repeat_a_reminder(w, outbox):
    worker = w.people["case_worker"]
    case = case_of(w, "CPL-R2")
    sunday = action(case, worker, date(2026, 11, 22))
    wednesday = action(case, worker, date(2026, 11, 25))
    db.session.commit()
    sent = []
    # Started Monday, restarted Monday and Tuesday, down all Thursday, back on Friday.
    for when in (
        "2026-11-23T07:30",
        "2026-11-23T15:00",
        "2026-11-24T07:30",
        "2026-11-24T07:31",
        "2026-11-25T07:30",  # Wednesday's action is due today: not yet overdue
        "2026-11-27T11:00",
        "2026-11-27T11:05",
        "2026-11-28T07:30",
    ):
        sent += [(when, key) for key, _ in run(when)]
    assert sent == [
        ("2026-11-23T07:30", f"action_overdue:{sunday.id}:2026-11-22"),
        ("2026-11-27T11:00", f"action_overdue:{wednesday.id}:2026-11-25"),
    ]
    assert len(outbox) == 2
    keys = db.session.execute(select(JobRun.key).where(JobRun.job == "overdue_reminders"))
    assert sorted(keys.scalars()) == sorted(key for _, key in sent)


def test_a_moved_due_date_that_passes_is_reminded_again(w, outbox):
    worker = w.people["case_worker"]
    late = action(case_of(w, "CPL-R3"), worker, date(2026, 11, 20))
    db.session.commit()
    assert len(run("2026-11-23T07:30")) == 1
    late.due_on = date(2026, 11, 27)  # the owner agrees a new date
    db.session.commit()
    assert run("2026-11-24T07:30") == []
    assert run("2026-11-27T07:30") == []  # due today
    assert run("2026-11-28T07:30") == [(f"action_overdue:{late.id}:2026-11-27", [worker.email])]
    assert run("2026-11-29T07:30") == []
    assert [m["Subject"] for m in outbox] == ["Focus Hub: an action is overdue on case CPL-R3"] * 2
    assert "27 November 2026" in outbox[1].get_content()


def test_due_today_done_cancelled_or_on_a_closed_case_is_not_overdue(w, outbox):
    worker = w.people["case_worker"]
    case = case_of(w, "CPL-R4")
    action(case, worker, date(2026, 11, 24))
    action(case, worker, date(2026, 11, 2), status="done")
    action(case, worker, date(2026, 11, 2), status="cancelled")
    action(case_of(w, "CPL-R4-CLOSED", stage="closed"), worker, date(2026, 11, 2))
    db.session.commit()
    assert run("2026-11-24T23:59") == []
    assert outbox == [] and notices(worker) == []


def test_a_deactivated_owner_is_not_emailed_an_entitled_coordinator_is(w, outbox):
    worker, coordinator = w.people["case_worker"], w.people["coordinator"]
    case = case_of(w, "CPL-R5")
    late = action(case, worker, date(2026, 11, 20))
    worker.is_active_account = False
    db.session.commit()
    assert run("2026-11-23T07:30") == [
        (f"action_overdue:{late.id}:2026-11-20", [coordinator.email])
    ]
    (email,) = outbox
    assert email["To"] == coordinator.email
    assert "as a coordinator of the hub" in email.get_content()
    assert DESCRIPTION not in email.as_string()
    assert notices(worker) == [] and len(notices(coordinator)) == 1


def test_an_owner_whose_agency_left_the_case_is_not_emailed_an_entitled_coordinator_is(w, outbox):
    worker, coordinator = w.people["case_worker"], w.people["coordinator"]
    case = case_of(w, "CPL-R6")
    late = action(case, worker, date(2026, 11, 20))
    membership = db.session.execute(
        select(CaseMembership).where(
            CaseMembership.case_id == case.id, CaseMembership.agency_id == w.housing.id
        )
    ).scalar_one()
    membership.removed_at = utcnow()
    db.session.commit()
    assert run("2026-11-23T07:30") == [
        (f"action_overdue:{late.id}:2026-11-20", [coordinator.email])
    ]
    assert [m["To"] for m in outbox] == [coordinator.email]


def test_when_nobody_may_be_reminded_it_is_audited_and_sent_once_someone_may(w, outbox):
    """Police (the coordinator's agency) is not on the case and the owner has left: nobody
    entitled can be told, and nobody else is. Once police join the case, the coordinator is."""
    worker, coordinator = w.people["case_worker"], w.people["coordinator"]
    case = case_of(w, "CPL-R7", w.council, w.housing)
    late = action(case, worker, date(2026, 11, 20))
    worker.is_active_account = False
    db.session.commit()
    assert run("2026-11-23T07:30") == []
    assert run("2026-11-24T07:30") == []
    assert outbox == [] and notices(coordinator) == []
    (details,) = audited("overdue_reminder_not_sent")  # audited once, not daily
    assert details["record_id"] == late.id and details["due_on"] == "2026-11-20"
    db.session.add(
        CaseMembership(case_id=case.id, agency_id=w.police.id, route="conference", reason="test")
    )
    db.session.commit()
    assert run("2026-11-25T07:30") == [
        (f"action_overdue:{late.id}:2026-11-20", [coordinator.email])
    ]
    assert run("2026-11-26T07:30") == []
    assert [m["To"] for m in outbox] == [coordinator.email]


# -- overdue risk reassessments ----------------------------------------------------------------


def test_an_overdue_reassessment_reminds_the_assessor_once_until_a_newer_one_is_signed(w, outbox):
    worker = w.people["case_worker"]
    case = case_of(w, "CPL-R8")
    first = assessment(case, worker, "2026-10-24T10:00", date(2026, 11, 23))
    db.session.commit()
    assert run("2026-11-23T07:30") == []  # due today
    assert run("2026-11-24T07:30") == [
        (f"reassessment_overdue:{first.id}:2026-11-23", [worker.email])
    ]
    (email,) = outbox
    assert email["Subject"] == "Focus Hub: a risk reassessment is overdue on case CPL-R8"
    assert f"http://hub.test/cases/{case.id}/risk" in email.get_content()
    assert notices(worker) == [
        "A risk reassessment is overdue on case CPL-R8: it was due on 23 November 2026."
    ]
    assert run("2026-11-25T07:30") == []
    # A draft does not move the date; a newer signed assessment does.
    assessment(case, worker, None, None)
    second = assessment(case, worker, "2026-11-25T12:00", date(2026, 12, 23))
    db.session.commit()
    assert run("2026-11-26T07:30") == []
    assert run("2026-12-23T07:30") == []
    assert run("2026-12-24T07:30") == [
        (f"reassessment_overdue:{second.id}:2026-12-23", [worker.email])
    ]
    assert len(outbox) == 2


def test_a_newer_signed_assessment_with_a_later_date_means_no_reminder(w, outbox):
    worker = w.people["case_worker"]
    case = case_of(w, "CPL-R9")
    assessment(case, worker, "2026-09-01T10:00", date(2026, 10, 1))
    assessment(case, worker, "2026-10-01T10:00", date(2026, 12, 30))
    assessment(case_of(w, "CPL-R9-CLOSED", stage="closed"), worker, "2026-09-01T10:00", None)
    db.session.commit()
    assert run("2026-11-24T07:30") == []
    assert outbox == []


def test_the_lead_agencys_coordinator_stands_in_for_a_departed_assessor(w, outbox):
    worker = w.people["case_worker"]
    council_coordinator = make_user("coord@council.example", w.council, ("coordinator", w.hub))
    case = case_of(w, "CPL-R10")
    case.lead_agency_id = w.council.id
    due = assessment(case, worker, "2026-10-24T10:00", date(2026, 11, 20))
    no_lead = case_of(w, "CPL-R11")
    other = assessment(no_lead, worker, "2026-10-24T10:00", date(2026, 11, 20))
    worker.is_active_account = False
    db.session.commit()
    everyone = sorted([council_coordinator.email, w.people["coordinator"].email])
    assert run("2026-11-23T07:30") == [
        (f"reassessment_overdue:{due.id}:2026-11-20", [council_coordinator.email]),
        (f"reassessment_overdue:{other.id}:2026-11-20", everyone),
    ]


# -- the clock ----------------------------------------------------------------------------------


def test_the_london_date_counts_over_a_bank_holiday_weekend(w, outbox):
    """Due Friday 22 May 2026; Monday 25 May is a bank holiday. At 23:30 UTC on Friday it is
    already Saturday in London (BST): overdue, reminded once, not again over the weekend."""
    worker = w.people["case_worker"]
    late = action(case_of(w, "CPL-R12"), worker, date(2026, 5, 22))
    db.session.commit()
    with time_machine.travel(datetime.fromisoformat("2026-05-22T22:59:00+00:00"), tick=False):
        assert reminders.overdue_reminders(hub_today()) == []  # 23:59 on Friday in London
    with time_machine.travel(datetime.fromisoformat("2026-05-22T23:30:00+00:00"), tick=False):
        assert hub_today() == date(2026, 5, 23)
        (sent,) = reminders.overdue_reminders(hub_today())
        db.session.commit()
    assert sent[0].key == f"action_overdue:{late.id}:2026-05-22"
    for day in ("2026-05-23", "2026-05-24", "2026-05-25", "2026-05-26"):
        assert run(f"{day}T07:30") == []
    assert len(outbox) == 1


def test_emails_wait_for_the_commit_and_a_rolled_back_run_sends_and_claims_nothing(w, outbox):
    worker = w.people["case_worker"]
    late = action(case_of(w, "CPL-R13"), worker, date(2026, 11, 20))
    db.session.commit()
    with time_machine.travel(at("2026-11-23T07:30"), tick=False):
        assert len(reminders.overdue_reminders(hub_today())) == 1
        assert outbox == []  # not before the commit
        db.session.rollback()
    assert outbox == [] and notices(worker) == [] and audited("overdue_reminder_sent") == []
    assert db.session.execute(select(JobRun.id)).first() is None
    # The run after a failed one sends it.
    assert run("2026-11-23T08:00") == [(f"action_overdue:{late.id}:2026-11-20", [worker.email])]
    assert len(outbox) == 1


def test_finding_what_is_due_takes_the_same_statements_however_many_cases(w, _transaction):
    worker = w.people["case_worker"]

    def add_cases(first: int, n: int) -> None:
        for i in range(first, first + n):
            case = case_of(w, f"CPL-Q{i}")
            action(case, worker, date(2026, 11, 20))
            action(case, worker, date(2026, 11, 30))  # not yet due
            assessment(case, worker, "2026-10-20T10:00", date(2026, 11, 20))
            action(case_of(w, f"CPL-Q{i}-CLOSED", stage="closed"), worker, date(2026, 11, 20))
        db.session.commit()

    add_cases(0, 2)
    assert len(run("2026-11-23T07:30")) == 4
    with count_queries(_transaction) as few:
        assert run("2026-11-24T07:30") == []
    add_cases(2, 20)
    assert len(run("2026-11-24T08:00")) == 40
    with count_queries(_transaction) as many:
        assert run("2026-11-25T07:30") == []
    assert len(many) == len(few) == 3  # overdue actions, overdue reassessments, reminded


def test_the_scheduler_and_run_job_know_the_job(app, world, outbox):
    from hub.clock.scheduler import JOBS

    spec = JOBS["overdue_reminders"]
    assert (spec.trigger, spec.trigger_args, spec.run_at_start) == (
        "cron",
        {"hour": 7, "minute": 30},
        True,
    )
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        agencies = [db.session.get(Agency, i) for i in world.agency_ids.values()]
        make_isa(hub, agencies, ["incident"], reference="ISA-CLI")
        worker = db.session.get(User, world.user_id["case_worker"])
        case = make_case(hub, "CPL-CLI", *agencies[:3])
        late = action(case, worker, date(2026, 11, 20))
        db.session.commit()
        ids = (case.id, late.id)
    runner = app.test_cli_runner()
    assert "overdue_reminders" in runner.invoke(args=["hub", "jobs"]).output
    with time_machine.travel(at("2026-11-23T07:30"), tick=False):
        first = runner.invoke(args=["hub", "run-job", "overdue_reminders"])
        second = runner.invoke(args=["hub", "run-job", "overdue_reminders"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    (email,) = outbox  # built outside any request, by the command
    assert "http://hub.test/cases/{}/actions/{}".format(*ids) in email.get_content()
