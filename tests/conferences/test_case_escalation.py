"""Rising risk on an open case convenes the partners (issue 12, section 1).

A case's deadline, from intake, triage, a signed reassessment, a conference decision or a new
incident, drives conferences exactly as a referral's does: an urgent item on a weekly conference
before the deadline, or an urgent conference proposed within it; the coordinators told in the
hub and by email; the timeliness record kept. The clock is controlled, across the Christmas 2026
bank holidays (Friday 25 and Monday 28 December) and a weekend; the hub meets on Wednesdays at
10:00 (weekly conferences on 23 and 30 December).
"""

from datetime import date, timedelta

import time_machine
from sqlalchemy import select

from hub.casework import assessments, cases, deadlines
from hub.conferences import agenda, timeliness, urgent
from hub.conferences import slot as conference_slot
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    AgendaItem,
    AuditEntry,
    Case,
    CaseDeadline,
    Conference,
    DeadlineBreach,
    DeadlineSource,
    HubScoringSettings,
    Notification,
    Referral,
)
from hub.models.sharing import DataCategory
from referrals import intake, triage
from scoring import DEFAULT_RULESET
from tests.conferences.test_conference_urgent import STANDARD, add_slot, at, conferences, refer
from tests.support.factories import make_isa
from tests.support.referral_data import hub, payload, user


def _isa():
    copeland = hub()
    make_isa(copeland, [user(e).agency for e in ("coord@police.example",)], list(DataCategory))


def open_active_case(when: str = "2026-12-01T09:00", risk=STANDARD) -> Case:
    """A standard referral triaged into a case, which had its first conference (held) and is
    now active: it owes the partners nothing until its risk rises."""
    referral = refer(when, risk)
    with time_machine.travel(at(when) + timedelta(hours=1), tick=False):
        triage.decide(
            referral,
            {"decision": "new_case", "title": "Noise, Mill Street", "reason": "Meets threshold"},
            user=user("coord@police.example"),
        )
    case = db.session.get(Case, referral.case_id)
    first = Conference(
        hub_id=case.hub_id,
        kind="urgent",
        status="held",
        starts_at=at(when) + timedelta(days=2),
        started_at=at(when) + timedelta(days=2),
    )
    db.session.add(first)
    db.session.flush()
    db.session.add(
        AgendaItem(conference_id=first.id, case_id=case.id, reason="new_case", position=1)
    )
    case.stage = "active"
    db.session.flush()
    return case


def reassess(case: Case, when: str, answers: list[str]):
    with time_machine.travel(at(when), tick=False):
        return assessments.record_assessment(
            case,
            {
                "kind": "on_change",
                "problem_type": "personal",
                "answers": answers,
                "category": "incident",
                "sign": True,
            },
            actor=user("coord@police.example"),
        )


def items_of(case: Case) -> list[tuple[Conference, AgendaItem]]:
    return list(
        db.session.execute(
            select(Conference, AgendaItem)
            .join(AgendaItem, AgendaItem.conference_id == Conference.id)
            .where(AgendaItem.case_id == case.id, Conference.status != "held")
            .order_by(Conference.starts_at)
        ).all()
    )


def notices() -> list[str]:
    """What the hub told people about conferences (a referrer also hears of triage)."""
    return list(
        db.session.execute(
            select(Notification.text)
            .where(Notification.conference_id.is_not(None))
            .order_by(Notification.id)
        ).scalars()
    )


def setup_hub():
    copeland = hub()
    add_slot(copeland.id)
    _isa()
    conference_slot.ensure_weekly_conferences(date(2026, 12, 18))
    return copeland


def test_a_reassessment_raising_an_active_case_to_critical_on_christmas_eve_convenes_it(
    ctx, world, outbox
):
    copeland = setup_hub()
    case = open_active_case()
    assert case.band == "standard" and case.stage == "active"
    outbox.clear()

    # Thursday 24 December, 15:00: a threat to life. Critical: due by the end of the next
    # working day, Tuesday 29th (Friday and Monday are bank holidays), a day before the weekly
    # conference on the 30th.
    assessment = reassess(case, "2026-12-24T15:00", ["threat_to_life", "targeted"])
    assert assessment.band == "critical" and case.band == "critical"
    assert case.conference_due_by == at("2026-12-29T17:00")
    (deadline,) = [d for d in deadlines.of_case(case) if d.source == "reassessment"]
    assert (deadline.band, deadline.due_by, deadline.record_id) == (
        "critical",
        at("2026-12-29T17:00"),
        assessment.id,
    )

    # An urgent conference on the next working day at the slot's time, within the deadline.
    ((conference, item),) = items_of(case)
    assert (conference.kind, conference.status, conference.starts_at) == (
        "urgent",
        "proposed",
        at("2026-12-29T10:00"),
    )
    assert item.reason == "urgent" and case.reference in conference.reason
    # Coordinators told in the hub and by email, naming nobody.
    (text,) = notices()
    assert case.reference in text and "risk reassessment" in text and "Confirm or decline" in text
    db.session.commit()  # mail goes when the transaction commits
    (mail,) = [m for m in outbox if m["To"] == "coord@police.example"]
    assert mail["Subject"] == "Focus Hub: a case needs an urgent conference"
    body = mail.get_content()
    assert f"http://hub.test/conferences/{conference.id}/urgent" in body
    assert case.title not in body and "Road" not in body

    # The hourly safety net finds nothing more to do.
    with time_machine.travel(at("2026-12-24T16:00"), tick=False):
        assert urgent.propose_due(utcnow()) == []
    assert len(notices()) == 1

    # Timeliness: not yet due; held on Tuesday morning, met.
    now = at("2026-12-24T16:00")
    (row,) = timeliness.case_rows(copeland, now)
    assert (row.reference, row.band, row.outcome.value, row.source) == (
        case.reference,
        "critical",
        "pending",
        "reassessment",
    )
    conference.status = "held"
    conference.started_at = conference.starts_at
    db.session.flush()
    (row,) = timeliness.case_rows(copeland, at("2026-12-29T12:00"))
    assert row.outcome.value == "met" and row.held_at == at("2026-12-29T10:00")
    # Met: the case no longer owes a conference, so the next agenda does not take it again.
    assert (
        db.session.execute(
            select(CaseDeadline.id).join(Case).where(deadlines.owed(), Case.id == case.id)
        ).all()
        == []
    )


def test_a_raise_to_high_at_the_weekend_goes_to_the_weekly_agenda_as_risk_raised(ctx, world):
    copeland = setup_hub()
    case = open_active_case()
    # Saturday 19 December: high is due in 3 working days (Wednesday 23rd, 17:00), so the
    # weekly conference that morning takes it: no urgent conference, an agenda item.
    reassess(case, "2026-12-19T11:00", ["targeted", "fear_for_safety", "threats_or_violence"])
    assert case.band == "high"
    assert case.conference_due_by == at("2026-12-23T10:00")
    assert items_of(case) == [] and notices() == []
    w1 = conferences(copeland.id, "weekly")[0]
    with time_machine.travel(at("2026-12-21T12:00"), tick=False):
        agenda.build_agenda(w1, utcnow())
    (item,) = [i for i in agenda.agenda_items(w1) if i.case_id == case.id]
    assert item.reason == "risk_raised"

    # Not held in time (the conference is cancelled): overdue on the timeliness record, and the
    # next weekly agenda still takes it.
    w1.status = "cancelled"
    db.session.flush()
    (row,) = timeliness.case_rows(copeland, at("2026-12-24T09:00"))
    assert row.outcome.value == "overdue" and row.late == "1 working day"
    w2 = conferences(copeland.id, "weekly")[1]
    with time_machine.travel(at("2026-12-29T09:00"), tick=False):
        agenda.build_agenda(w2, utcnow())
    assert [i.reason for i in agenda.agenda_items(w2) if i.case_id == case.id] == ["risk_raised"]


def test_a_medium_raise_is_due_at_the_next_weekly_conference(ctx, world):
    copeland = setup_hub()
    case = open_active_case()
    # Monday 21 December, after the agenda cut-off for Wednesday 23rd (24 hours): medium goes
    # to the conference after it, Wednesday 30th.
    # Fear for safety (8), personal (6) and the case's own incident as history (victim 3,
    # place 2): 19, medium.
    reassess(case, "2026-12-22T11:00", ["fear_for_safety"])
    assert case.band == "medium" and case.conference_due_by == at("2026-12-30T10:00")
    w1, w2 = conferences(copeland.id, "weekly")[:2]
    with time_machine.travel(at("2026-12-22T12:00"), tick=False):
        agenda.build_agenda(w1, utcnow())
    with time_machine.travel(at("2026-12-29T12:00"), tick=False):
        agenda.build_agenda(w2, utcnow())
    # w1 would have been in time too, but its next weekly conference is w2, so w1 need not
    # take it; w2 must.
    assert [i.reason for i in agenda.agenda_items(w2) if i.case_id == case.id] == ["risk_raised"]


def test_a_conference_decision_raising_the_band_convenes_within_the_new_deadline(
    ctx, world, outbox
):
    setup_hub()
    case = open_active_case()
    chair = user("coord@police.example")
    w1 = conferences(case.hub_id, "weekly")[0]
    # At the conference on Wednesday 23rd the partners raise the case to critical: the next
    # working day ends on Thursday 24th, before the next weekly conference.
    with time_machine.travel(at("2026-12-23T11:00"), tick=False):
        cases.set_band_at_conference(
            case, "critical", actor=chair, conference=w1, today=date(2026, 12, 23)
        )
    (deadline,) = [d for d in deadlines.of_case(case) if d.source == "conference"]
    assert deadline.due_by == at("2026-12-24T17:00") and deadline.record_id == w1.id
    ((conference, _),) = [(c, i) for c, i in items_of(case) if c.kind == "urgent"]
    assert conference.starts_at == at("2026-12-24T10:00")
    assert any("conference decision" in n for n in notices())
    # Lowering the band sets no deadline.
    with time_machine.travel(at("2026-12-23T11:30"), tick=False):
        cases.set_band_at_conference(
            case, "medium", actor=chair, conference=w1, today=date(2026, 12, 23)
        )
    assert len(deadlines.of_case(case)) == 2  # the intake's and the conference's


def test_the_incident_hook_raises_the_band_and_convenes(ctx, world, outbox):
    """hub.casework.deadlines.raise_case_band: what a new incident on the case calls."""
    setup_hub()
    case = open_active_case()
    worker = user("coord@police.example")
    # Sunday 27 December: critical is due at the end of Tuesday 29th (Monday is a bank
    # holiday); an urgent conference on Tuesday at 10:00.
    with time_machine.travel(at("2026-12-27T20:00"), tick=False):
        deadline = deadlines.raise_case_band(
            case,
            "critical",
            source=DeadlineSource.INCIDENT,
            now=utcnow(),
            actor=worker,
            record_id=7,
        )
    assert deadline.due_by == at("2026-12-29T17:00") and deadline.source == "incident"
    ((conference, _),) = items_of(case)
    assert (conference.kind, conference.starts_at) == ("urgent", at("2026-12-29T10:00"))
    # The same band again, or a lower one, does nothing.
    with time_machine.travel(at("2026-12-27T21:00"), tick=False):
        assert deadlines.raise_case_band(case, "critical", source="incident", now=utcnow()) is None
        assert deadlines.raise_case_band(case, "high", source="incident", now=utcnow()) is None
    actions = set(db.session.execute(select(AuditEntry.action)).scalars())
    assert {"case_band_raised", "case_deadline_set", "urgent_conference_proposed"} <= actions


def test_a_declined_urgent_conference_keeps_its_reason_for_the_breach(ctx, world):
    copeland = setup_hub()
    case = open_active_case()
    reassess(case, "2026-12-24T15:00", ["threat_to_life"])
    ((conference, _),) = items_of(case)
    coordinator = user("coord@police.example")
    with time_machine.travel(at("2026-12-24T16:00"), tick=False):
        urgent.decline(
            conference,
            {
                "reason": "Police safeguarding in place",
                "edit_version": str(conference.edit_version),
            },
            coordinator,
            utcnow(),
        )
        # Declined: not proposed again by the safety net.
        assert urgent.propose_due(utcnow()) == []
    (breach,) = db.session.execute(select(DeadlineBreach)).scalars()
    assert breach.referral_id is None and "Police safeguarding" in breach.reason
    (row,) = timeliness.case_rows(copeland, at("2026-12-30T12:00"))
    assert row.outcome.value == "overdue" and "Police safeguarding" in row.reason


def test_a_case_opened_before_the_hub_had_a_slot_is_convened_by_the_hourly_job(ctx, world):
    """The demo's defect: critical referrals triaged into cases before any conference existed
    were never convened. The case's deadline is its own, so the safety net finds it."""
    copeland = hub()
    _isa()
    critical = refer("2026-12-21T09:00", {"risk": {"threat_to_life": True}})
    with time_machine.travel(at("2026-12-21T09:30"), tick=False):
        triage.decide(
            critical,
            {"decision": "new_case", "title": "Threats", "reason": "Critical"},
            user=user("coord@police.example"),
        )
    case = db.session.get(Case, critical.case_id)
    assert case.conference_due_by == at("2026-12-22T17:00") and items_of(case) == []
    add_slot(copeland.id)
    conference_slot.ensure_weekly_conferences(date(2026, 12, 21))
    with time_machine.travel(at("2026-12-21T10:00"), tick=False):
        ((conference, need),) = urgent.propose_due(utcnow())
    assert need.case_id == case.id and conference.starts_at == at("2026-12-22T10:00")
    ((c, item),) = items_of(case)
    assert c.id == conference.id and item.reason == "urgent"
    # Its deadline is the referral's own: the timeliness record counts it on the referral.
    assert timeliness.case_rows(copeland, at("2026-12-21T10:00")) == []
    (row,) = timeliness.rows(copeland, at("2026-12-21T10:00"))
    assert row.reference == critical.reference and row.outcome.value == "pending"


def test_triage_of_a_critical_referral_does_not_convene_twice(ctx, world):
    """The referral's urgent conference (proposed at intake) becomes the case's at triage."""
    setup_hub()
    critical = refer("2026-12-21T09:00", {"risk": {"threat_to_life": True}})
    with time_machine.travel(at("2026-12-21T09:30"), tick=False):
        triage.decide(
            critical,
            {"decision": "new_case", "title": "Threats", "reason": "Critical"},
            user=user("coord@police.example"),
        )
        assert urgent.propose_due(utcnow()) == []
    case = db.session.get(Case, critical.case_id)
    ((conference, item),) = items_of(case)
    assert conference.kind == "urgent" and item.reason == "urgent"
    assert len(notices()) == 1


def test_a_more_urgent_referral_added_to_an_active_case_convenes_it(ctx, world):
    setup_hub()
    case = open_active_case()
    later = refer("2026-12-24T15:00", {"risk": {"threat_to_life": True}})
    # Proposed at intake for the referral itself.
    with time_machine.travel(at("2026-12-24T15:30"), tick=False):
        triage.decide(
            later,
            {"decision": "added_to_case", "case_id": case.id, "reason": "Same victim"},
            user=user("coord@police.example"),
        )
    assert case.band == "critical" and case.conference_due_by == at("2026-12-29T17:00")
    ((conference, item),) = items_of(case)
    assert conference.kind == "urgent" and conference.starts_at == at("2026-12-29T10:00")


def test_reassessment_scores_by_the_hubs_ruleset_and_the_cases_history(ctx, world):
    copeland = setup_hub()
    rules = DEFAULT_RULESET.to_dict()
    rules["version"] = "copeland-2026.2"
    rules["factors"]["targeted"]["points"] = 20
    db.session.add(
        HubScoringSettings(hub_id=copeland.id, ruleset=rules, ruleset_version="copeland-2026.2")
    )
    db.session.flush()
    case = open_active_case("2026-12-01T09:00")
    first_referral = db.session.execute(
        select(Referral).where(Referral.case_id == case.id)
    ).scalar_one()
    # The same victim at the same address referred again a week later, added to the case: its
    # history now holds two incidents.
    with time_machine.travel(at("2026-12-08T10:00"), tick=False):
        repeat, _ = intake.submit_referral(
            payload(
                risk={},
                category="environmental",
                location={
                    "address": first_referral.address,
                    "postcode": "CA28 7XY",
                    "lat": None,
                    "lon": None,
                },
                people=[{"role": "victim", "name": first_referral.people[0].name}],
            ),
            user=user("referrer@council.example"),
        )
        triage.decide(
            repeat,
            {"decision": "added_to_case", "case_id": case.id, "reason": "Same victim"},
            user=user("coord@police.example"),
        )
    assessment = reassess(case, "2026-12-10T10:00", ["targeted"])
    assert assessment.ruleset_version == "copeland-2026.2"
    factors = {line["factor"]: line["points"] for line in assessment.explanation}
    assert factors["targeted"] == 20
    # Two incidents for the same victim and place in the last 30 days count, as at intake.
    assert factors["repeat_victim"] > 0 and factors["repeat_place"] > 0


# -- a coordinator's band at triage, and "don't know" answers ----------------------------------


def test_a_coordinator_raises_the_band_at_triage_with_a_reason_kept_on_the_referral(ctx, world):
    from marshmallow import ValidationError

    setup_hub()
    medium = refer("2026-12-24T09:00", {"risk": {"fear_for_safety": True}})
    assert medium.band == "medium"
    coordinator = user("coord@police.example")
    form = {
        "decision": "new_case",
        "title": "Threats, Mill Street",
        "reason": "",
        "band": "critical",
    }
    with time_machine.travel(at("2026-12-24T10:00"), tick=False):
        try:
            triage.decide(medium, form, user=coordinator)
        except ValidationError as refused:
            assert "band_reason" in refused.messages
        else:
            raise AssertionError("a changed band needs a reason")
        reason = "Police intelligence: the subject has a knife and named the victim"
        triage.decide(medium, form | {"band_reason": reason}, user=coordinator)
    assert (medium.triage_band, medium.triage_band_reason, medium.band) == (
        "critical",
        reason,
        "medium",
    )
    case = db.session.get(Case, medium.case_id)
    assert case.band == "critical" and case.conference_due_by == at("2026-12-29T17:00")
    (raised,) = [d for d in deadlines.of_case(case) if d.source == "triage"]
    assert raised.due_by == at("2026-12-29T17:00")
    ((conference, _),) = items_of(case)
    assert conference.kind == "urgent" and conference.starts_at == at("2026-12-29T10:00")
    # The reason is on the record, not in the audit log.
    (entry,) = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "case_band_set_at_triage")
    ).scalars()
    assert entry.details["after"] == {"band": "critical"} and "knife" not in str(entry.details)


def test_dont_know_answers_are_kept_and_shown_to_the_coordinator(ctx, world, client):
    answers = {"targeted": True, "vulnerable": "unknown", "fear_for_safety": "unknown"}
    with time_machine.travel(at("2026-12-21T09:00"), tick=False):
        referral, _ = intake.submit_referral(
            payload(risk=answers), user=user("referrer@council.example")
        )
        assert referral.risk_unknown == ["fear_for_safety", "vulnerable"]
        assert referral.risk["vulnerable"] is False and referral.risk["targeted"] is True
        # Scored as no: no fear-for-safety line.
        assert "fear_for_safety" not in {line["factor"] for line in referral.explanation}
        db.session.commit()
        client.sign_in("coord@police.example")
        page = client.get(f"/triage/{referral.id}").get_data(as_text=True)
    assert "Risk answers: don&#39;t know" in page or "Risk answers: don't know" in page
    assert "Does the victim fear for their safety?" in page
