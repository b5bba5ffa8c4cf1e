"""The ASB case review finished (issue 14): every timescale with a controlled clock across
weekends and bank holidays (Christmas 2026 with its substitute Boxing Day, New Year 2027,
Easter 2027), met or missed; the daily reminders sent once across a restart; the qualifying
complaints counted from referrals, logged incidents and complaints to agencies, the same
incident reported to two agencies counted once, each count traced to its dated reports and
their records shown only under the section 115 rule; the SPoC prompted once at a victim's
second report; an application for a problem that is not yet a case opening one through
triage; the independent chair and the appeal's hearer; and the annual figures with their CSV
for whom they are for, a refusal audited."""

import csv
import io
from datetime import date, datetime

import pytest
import time_machine
from marshmallow import ValidationError
from sqlalchemy import func, select

from hub.casework import complaints, incidents
from hub.conferences import case_review_figures, case_reviews, review_steps, timescales
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import (
    AgencyComplaint,
    AuditEntry,
    Case,
    CaseAction,
    CaseReview,
    CaseReviewRecommendation,
    Incident,
    JobRun,
    Notification,
    Referral,
    VictimUpdate,
)
from hub.victims import milestones
from referrals import intake
from referrals.normalise import address_key, person_keys
from tests.support.factories import make_case
from tests.support.referral_data import hub, payload, user
from tests.victims.conftest import add_victim, at, build

CHRISTMAS_EVE = date(2026, 12, 24)  # a Thursday: Friday and Monday are bank holidays


def review_on(case, received_on: date, **fields) -> CaseReview:
    review = case_reviews.open_review(
        case.hub,
        source="application",
        applicant="victim",
        received_on=received_on,
        actor=None,
        case=case,
    )
    for key, value in fields.items():
        setattr(review, key, value)
    db.session.flush()
    return review


def states(review, today: date) -> dict[str, tuple[date, str]]:
    rules = timescales.settings_for(review.hub_id)
    return {
        s.step: (s.due_on, s.state.value) for s in timescales.timescales_of(review, today, rules)
    }


@pytest.fixture
def v(ctx, world):
    return build(world)


# -- timescales ---------------------------------------------------------------------------------


def test_acknowledgement_and_decision_skip_christmas_and_new_year(v):
    review = review_on(v.case, CHRISTMAS_EVE)
    # Two working days after Thursday 24 December: not Friday 25 (Christmas), not the weekend,
    # not Monday 28 (Boxing Day's substitute): Tuesday 29 and Wednesday 30.
    assert states(review, date(2026, 12, 30)) == {
        "acknowledge": (date(2026, 12, 30), "due"),
        "decide": (date(2027, 1, 12), "due"),  # ten working days, New Year's Day skipped
    }
    assert states(review, date(2026, 12, 31))["acknowledge"] == (date(2026, 12, 30), "missed")
    review.acknowledged_on = date(2026, 12, 30)
    assert states(review, date(2027, 2, 1))["acknowledge"][1] == "met"
    review.acknowledged_on = date(2026, 12, 31)
    assert states(review, date(2027, 2, 1))["acknowledge"][1] == "missed"
    # Decided at 23:30 on 12 January London time: that is the day that counts, not UTC's.
    review.decided_at = datetime(2027, 1, 12, 23, 30, tzinfo=LONDON)
    review.threshold_met = True
    assert states(review, date(2027, 2, 1))["decide"] == (date(2027, 1, 12), "met")
    review.decided_at = datetime(2027, 1, 13, 9, tzinfo=LONDON)
    assert states(review, date(2027, 2, 1))["decide"] == (date(2027, 1, 12), "missed")


def test_the_meeting_counts_calendar_days_and_the_letter_skips_easter(v):
    review = review_on(
        v.case,
        date(2027, 1, 4),
        decided_at=datetime(2027, 2, 25, 10, tzinfo=LONDON),
        threshold_met=True,
    )
    # 28 days from Thursday 25 February is Thursday 25 March.
    assert states(review, date(2027, 3, 25))["meet"] == (date(2027, 3, 25), "due")
    assert states(review, date(2027, 3, 26))["meet"] == (date(2027, 3, 25), "missed")
    review.held_on = date(2027, 3, 25)
    found = states(review, date(2027, 4, 2))
    assert found["meet"][1] == "met"
    # Five working days after the meeting, Good Friday and Easter Monday skipped: 5 April.
    assert found["outcome_letter"] == (date(2027, 4, 5), "due")
    review.outcome_sent_on = date(2027, 4, 6)
    assert states(review, date(2027, 4, 6))["outcome_letter"] == (date(2027, 4, 5), "missed")
    rules = timescales.settings_for(review.hub_id)
    # Twenty working days to appeal, the early May bank holiday skipped.
    review.outcome_sent_on = date(2027, 4, 5)
    assert timescales.appeal_by(review, rules) == date(2027, 5, 4)


def test_a_threshold_not_met_ends_at_the_decision_and_a_hub_sets_its_own_timescales(v):
    review = review_on(v.case, CHRISTMAS_EVE, decided_at=datetime(2027, 1, 5, 10, tzinfo=LONDON))
    review.threshold_met = False
    assert set(states(review, date(2027, 1, 6))) == {"acknowledge", "decide"}
    review_steps.save_timescales(
        v.hub,
        {
            "acknowledge_days": "1",
            "decision_days": "5",
            "meeting_days": "14",
            "outcome_days": "3",
            "appeal_days": "10",
        },
        v.people["hub_manager"],
    )
    assert states(review, date(2027, 1, 6))["acknowledge"] == (date(2026, 12, 29), "missed")
    with pytest.raises(ValidationError) as refused:
        review_steps.save_timescales(
            v.hub, {"acknowledge_days": "0", "decision_days": "x"}, v.people["hub_manager"]
        )
    assert set(refused.value.messages) >= {"acknowledge_days", "decision_days", "meeting_days"}


# -- reminders ----------------------------------------------------------------------------------


def run(when: str) -> list[str]:
    """The daily job at `when` (London), committed as the scheduler's runner does."""
    with time_machine.travel(at(when), tick=False):
        sent = timescales.send_reminders(date.fromisoformat(when[:10]))
        db.session.commit()
    return [k.split(":")[0] + ":" + k.split(":")[2] for k in sent]


def test_reminders_go_on_the_due_day_and_when_missed_once_across_a_restart(v):
    review_id = review_on(v.case, CHRISTMAS_EVE).id
    db.session.commit()
    assert run("2026-12-29T07:50") == []  # nothing due yet
    assert run("2026-12-30T07:50") == ["case_review_due:acknowledge"]
    assert run("2026-12-30T12:00") == []  # run again the same day
    db.session.expunge_all()  # a restart: nothing remembered in memory
    assert run("2026-12-30T07:50") == []
    assert run("2026-12-31T07:50") == ["case_review_missed:acknowledge"]
    assert run("2027-01-04T07:50") == []  # missed is told once, not every day
    review = db.session.get(CaseReview, review_id)
    review.acknowledged_on = date(2027, 1, 4)
    db.session.commit()
    assert run("2027-01-12T07:50") == ["case_review_due:decide"]
    texts = list(
        db.session.execute(
            select(Notification.text).where(Notification.case_id == review.case_id)
        ).scalars()
    )
    # Each of the hub's coordinators and managers, naming references and dates only.
    assert len(texts) == 3 * 2
    assert "acknowledged was due by 30 December 2026 and has been missed" in " ".join(texts)
    keys = db.session.execute(
        select(func.count()).select_from(JobRun).where(JobRun.job == timescales.JOB)
    ).scalar()
    assert keys == 3
    entries = db.session.execute(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "case_review_reminder_sent")
    ).scalar()
    assert entries == 3


# -- complaints ---------------------------------------------------------------------------------


def add_referral(v, when: str, agency, reference: str) -> Referral:
    """A referral on the case with its matching history row (what intake writes)."""
    row = Referral(
        hub_id=v.hub.id,
        agency_id=agency.id,
        user_id=v.people["referrer"].id,
        status="triaged",
        category="incident",
        origin_agency_id=agency.id,
        case_id=v.case.id,
        submitted_at=at(when),
        reference=reference,
    )
    db.session.add(row)
    db.session.flush()
    dob_key, addr_key = person_keys("Maureen Tallis", None, "14 Lowther Street, Whitehaven")
    db.session.add(
        Incident(
            hub_id=v.hub.id,
            occurred_on=at(when).date(),
            referral_id=row.id,
            case_id=v.case.id,
            victim_addr_key=addr_key,
            place_key=address_key("14 Lowther Street, Whitehaven"),
        )
    )
    db.session.flush()
    return row


def complaint(v, who: str, made_on: str, **changes):
    data = {
        "made_on": made_on,
        "complainant": "Maureen Tallis",
        "location": "14 Lowther Street",
        "summary": "Loud music again after midnight",
    } | changes
    return complaints.record_complaint(v.case, data, actor=v.people[who])


def prompts(v) -> list[str]:
    return list(
        db.session.execute(
            select(Notification.text).where(
                Notification.user_id == v.people["spoc"].id,
                Notification.text.contains("tell them they may ask for an ASB case review"),
            )
        ).scalars()
    )


def test_complaints_from_every_source_count_the_same_incident_once_and_trace_back(v):
    victim = add_victim(v)
    with time_machine.travel(at("2026-11-24T09:00"), tick=False):
        add_referral(v, "2026-05-01T10:00", v.council, "REF-2026-000001")  # outside the window
        add_referral(v, "2026-11-02T10:00", v.council, "REF-2026-000002")
        # The police logged the same night's incident: same day, another agency, same place.
        incidents.log_incident(
            v.case,
            {
                "occurred_on": "2026-11-02",
                "description": "Music until 3am",
                "location": "14 Lowther Street, Whitehaven",
                "reported_by": "The victim",
            },
            actor=v.people["coordinator"],
        )
        # The same agency twice on one day: two reports, counted separately.
        complaint(v, "referrer", "2026-11-02")
        assert complaints.count_complaints(v.case, date(2026, 11, 24)).count == 2
        assert len(prompts(v)) == 1
        # Housing heard of a different place that day from someone else: nothing to match.
        complaint(v, "case_worker", "2026-11-02", complainant="Ian Fell", location="Castle Park")
        # Housing's complaint of the 10th, and the same incident to the council that day.
        complaint(v, "case_worker", "2026-11-10")
        complaint(v, "spoc", "2026-11-10", location="14 Lowther St, Whitehaven")
        count = complaints.count_complaints(v.case, date(2026, 11, 24))
        assert (count.count, count.reports, count.threshold, count.met) == (4, 6, 3, True)
        review = review_on(v.case, date(2026, 11, 24))
        counted, traced = case_reviews.traced_complaints(review, v.people["spoc"])
        rows = [(t.number, t.repeat, t.complaint.made_on.day, t.agency) for t in traced]
        assert rows == [
            (1, False, 2, "Copeland Borough Council"),
            (1, True, 2, "Cumbria Constabulary"),
            (2, False, 2, "Copeland Borough Council"),
            (3, False, 2, "Home Group"),
            (4, False, 10, "Home Group"),
            (4, True, 10, "Copeland Borough Council"),
        ]
        assert traced[0].detail == "REF-2026-000002"
        assert traced[1].detail == "14 Lowther Street, Whitehaven"
        # Places and references shown are personal data: the read is audited, naming them.
        read = db.session.execute(
            select(AuditEntry).where(
                AuditEntry.action == "personal_data_read",
                AuditEntry.user_id == v.people["spoc"].id,
            )
        ).scalar_one()
        assert read.details["what"] == "case review complaints"
        assert read.target_id == str(v.case.id)
        assert len(sum(read.details["records"].values(), [])) == 6
        # An analyst's role reads no case records: the dates and counts, never the records.
        _, hidden = case_reviews.traced_complaints(review, v.people["analyst"])
        assert [t.detail for t in hidden] == [None] * 6
        assert [t.number for t in hidden] == [t.number for t in traced]
        analyst_reads = select(func.count()).where(
            AuditEntry.action == "personal_data_read",
            AuditEntry.user_id == v.people["analyst"].id,
        )
        assert db.session.execute(analyst_reads).scalar() == 0
    # Only one prompt to the SPoC, at the second report, whatever came after.
    prompted = db.session.execute(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "case_review_offer_prompted")
    ).scalar()
    assert prompted == 1
    assert victim.case_id == v.case.id


def test_the_second_report_prompts_the_spoc_once_and_telling_is_recorded(v):
    victim = add_victim(v)
    with time_machine.travel(at("2026-11-24T09:00"), tick=False):
        complaint(v, "case_worker", "2026-10-01")
        assert "case_review_offer" not in [
            m.key for m in milestones.case_milestones(v.people["spoc"], v.case)
        ]
        complaint(v, "case_worker", "2026-11-20")
        assert len(prompts(v)) == 1
        complaint(v, "case_worker", "2026-11-21")
        assert complaints.prompt_open_cases(date(2026, 11, 24)) == 0  # already prompted
        offer = [
            m
            for m in milestones.case_milestones(v.people["spoc"], v.case)
            if m.key == "case_review_offer"
        ]
        assert [m.at for m in offer] == [at("2026-11-20T00:00")]
        milestones.mark_told(
            v.case,
            victim,
            {"milestone": "case_review_offer", "channel": "phone"},
            actor=v.people["spoc"],
        )
    told = db.session.execute(select(VictimUpdate.milestone)).scalars()
    assert list(told) == ["case_review_offer"]
    # Prompted once (the in-app notice may since have gathered the case's later updates).
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "case_review_offer_prompted")
    ).scalar_one()
    assert entry.details["due_on"] == "2026-11-20"


def test_a_complaint_is_refused_field_by_field_and_writes_nothing(v):
    with time_machine.travel(at("2026-11-24T09:00"), tick=False):
        with pytest.raises(ValidationError) as refused:
            complaints.record_complaint(
                v.case,
                {"made_on": "2026-11-25", "complainant": "A B", "location": "X"},
                actor=v.people["case_worker"],
            )
        assert refused.value.messages == {
            "made_on": ["The date it was made must be today or earlier"]
        }
        with pytest.raises(ValidationError) as refused:
            complaints.record_complaint(v.case, {}, actor=v.people["case_worker"])
        assert set(refused.value.messages) == {"made_on", "complainant", "location"}
        # Restricted to nobody: refused before anything is written.
        with pytest.raises(ValidationError) as refused:
            complaint(v, "case_worker", "2026-11-20", sharing="restricted")
        assert "Choose at least one agency" in refused.value.messages["restricted_to"][0]
    written = db.session.execute(select(func.count()).select_from(AgencyComplaint)).scalar()
    assert written == 0


# -- an application for a problem that is not yet a case ------------------------------------------


@time_machine.travel(datetime(2026, 11, 23, 9, tzinfo=LONDON), tick=False)
def test_an_application_about_a_referral_opens_its_case_through_triage(ctx, world):
    copeland = hub()
    referral, _ = intake.submit_referral(payload(), user=user(world.email["referrer"]))
    form = {
        "referral_reference": referral.reference.lower(),
        "received_on": "2026-11-23",
        "applicant": "victim",
    }
    # A SPoC may record applications, but opening a case is the coordinators'.
    with pytest.raises(ValidationError) as refused:
        case_reviews.record_application(copeland, form, user(world.email["spoc"]))
    assert (
        "Opening a case is for the hub's coordinators"
        in (refused.value.messages["referral_reference"][0])
    )
    assert referral.case_id is None
    review = case_reviews.record_application(copeland, form, user(world.email["coordinator"]))
    case = db.session.get(Case, review.case_id)
    assert referral.case_id == case.id and referral.status == "triaged"
    assert case.reference.startswith("CPL-2026-")
    opened = db.session.execute(
        select(AuditEntry.action).where(AuditEntry.target_id == str(case.id))
    ).scalars()
    assert "case_opened" in list(opened)
    # The same referral again: its case now exists, and awaits its decision already.
    with pytest.raises(ValidationError) as refused:
        case_reviews.record_application(copeland, form, user(world.email["coordinator"]))
    assert "already has an application awaiting" in refused.value.messages["referral_reference"][0]
    for bad, message in [
        ({"referral_reference": "REF-NONE"}, "There is no referral REF-NONE"),
        ({"referral_reference": ""}, "Enter the case reference, or the referral's"),
    ]:
        with pytest.raises(ValidationError) as refused:
            case_reviews.record_application(copeland, form | bad, user(world.email["coordinator"]))
        assert message in str(refused.value.messages)


# -- the review: victim, chair, recommendations, letter, appeal ----------------------------------


def held_review(v) -> CaseReview:
    v.case.lead_agency_id = v.police.id
    review = review_on(
        v.case,
        date(2026, 11, 2),
        decided_at=datetime(2026, 11, 11, 10, tzinfo=LONDON),
        threshold_met=True,
        status="review_due",
    )
    return review


def step(change, review, actor, **form):
    change(review, form | {"version": str(review.version)}, actor)


@time_machine.travel(datetime(2026, 12, 18, 9, tzinfo=LONDON), tick=False)
def test_a_review_from_invitation_to_appeal(v):
    review = held_review(v)
    coordinator = v.people["coordinator"]
    step(review_steps.invite_victim, review, coordinator, victim_invited_on="2026-11-12")
    with pytest.raises(ValidationError) as refused:
        step(
            review_steps.record_victim_account,
            review,
            coordinator,
            victim_account="received",
            victim_account_on="2026-11-10",
        )
    assert "cannot be before the invitation" in refused.value.messages["victim_account_on"][0]
    step(
        review_steps.record_victim_account,
        review,
        coordinator,
        victim_account="received",
        victim_account_on="2026-11-16",
    )
    # Not from the lead agency (police), which handled the case.
    with pytest.raises(ValidationError) as refused:
        step(
            review_steps.record_chair,
            review,
            coordinator,
            chair_name="Pat Keel",
            chair_role="Inspector",
            chair_agency_id=str(v.police.id),
        )
    assert "must be independent of the case" in refused.value.messages["chair_agency_id"][0]
    step(
        review_steps.record_chair,
        review,
        coordinator,
        chair_name="Dr Ruth Marsh",
        chair_role="Community safety lead, Allerdale",
        chair_agency_id="",
    )
    action = review_steps.add_recommendation(
        review,
        {
            "description": "Share incident logs weekly",
            "agency_id": str(v.housing.id),
            "owner_id": str(v.people["case_worker"].id),
            "due_on": "2027-01-15",
        },
        coordinator,
    )
    assert db.session.get(CaseAction, action.id).case_id == v.case.id
    assert [r.action_id for r in review.recommendations] == [action.id]
    step(case_reviews.record_outcome, review, coordinator, held_on="2026-12-01", outcome="Done")
    step(
        review_steps.send_outcome_letter,
        review,
        coordinator,
        outcome_sent_on="2026-12-04",
        outcome_sent_by="post",
    )
    assert {
        s.step: s.state.value
        for s in timescales.timescales_of(
            review, date(2026, 12, 18), timescales.settings_for(v.hub.id)
        )
    } == {"acknowledge": "missed", "decide": "met", "meet": "met", "outcome_letter": "met"}
    # Twenty working days from 4 December, Christmas and Boxing Day's substitute skipped.
    with pytest.raises(ValidationError) as refused:
        step(review_steps.lodge_appeal, review, coordinator, appeal_lodged_on="2026-12-19")
    assert refused.value.messages == {"appeal_lodged_on": ["The date cannot be in the future"]}
    step(review_steps.lodge_appeal, review, coordinator, appeal_lodged_on="2026-12-17")
    with pytest.raises(ValidationError) as refused:
        step(
            review_steps.decide_appeal,
            review,
            coordinator,
            appeal_chair_name="Ruth Marsh",  # the first chair, without her title
            appeal_chair_role="Chief executive",
            appeal_upheld="no",
            appeal_decided_on="2026-12-18",
        )
    assert refused.value.messages == {
        "appeal_chair_name": ["The appeal must be heard by someone other than the review's chair"]
    }
    assert review.appeal_decided_on is None
    step(
        review_steps.decide_appeal,
        review,
        coordinator,
        appeal_chair_name="Sam Wood",
        appeal_chair_role="Chief executive",
        appeal_upheld="yes",
        appeal_decided_on="2026-12-18",
    )
    assert (review.appeal_upheld, review.appeal_chair_name) == (True, "Sam Wood")


@time_machine.travel(datetime(2027, 2, 1, 9, tzinfo=LONDON), tick=False)
def test_an_appeal_after_the_window_is_refused(v):
    review = held_review(v)
    review.chair_name, review.status = "Ruth Marsh", "completed"
    review.held_on, review.outcome_sent_on = date(2026, 12, 1), date(2026, 12, 4)
    with pytest.raises(ValidationError) as refused:
        step(
            review_steps.lodge_appeal,
            review,
            v.people["coordinator"],
            appeal_lodged_on="2027-01-08",
        )
    assert refused.value.messages == {
        "appeal_lodged_on": [
            "An appeal must be lodged within 20 working days of the outcome letter, "
            "by 6 January 2027"
        ]
    }


# -- the annual figures -------------------------------------------------------------------------


def test_the_annual_figures_count_each_step_in_its_financial_year(v):
    def add(received, **fields):
        return review_on(v.case, received, **fields) and db.session.flush()

    add(date(2026, 3, 31), status="not_met")  # the year before
    add(
        date(2026, 4, 1),
        status="not_met",
        threshold_met=False,
        decided_at=datetime(2026, 4, 8, 10, tzinfo=LONDON),
    )
    add(
        date(2026, 6, 1),
        status="completed",
        threshold_met=True,
        decided_at=datetime(2026, 6, 5, 10, tzinfo=LONDON),
        held_on=date(2026, 6, 20),
        outcome_sent_on=date(2026, 6, 24),
        appeal_lodged_on=date(2026, 7, 1),
        appeal_decided_on=date(2026, 7, 20),
        appeal_upheld=True,
    )
    # Received in March, held in April: an application of one year, a review of the next.
    add(date(2027, 3, 1), status="completed", threshold_met=True, held_on=date(2027, 4, 2))
    reviews = db.session.execute(select(CaseReview).order_by(CaseReview.id)).scalars().all()
    db.session.add(
        CaseAction(
            case_id=v.case.id,
            agency_id=v.housing.id,
            owner_id=v.people["case_worker"].id,
            description="Share logs",
            due_on=date(2026, 8, 1),
            status="open",
            created_by_id=v.people["coordinator"].id,
        )
    )
    db.session.flush()
    action_id = db.session.execute(select(func.max(CaseAction.id))).scalar()
    db.session.add(CaseReviewRecommendation(case_review_id=reviews[2].id, action_id=action_id))
    db.session.flush()
    figures = case_review_figures.annual_figures(v.hub, 2026)
    assert figures.counts == {
        "applications": 3,
        "referred": 0,
        "not_met": 1,
        "held": 1,
        "recommendations": 1,
        "appeals": 1,
        "upheld": 1,
    }
    assert case_review_figures.annual_figures(v.hub, 2027).counts["held"] == 1
    assert case_review_figures.financial_year(date(2027, 3, 31)) == 2026
    assert case_review_figures.years_of(v.hub, date(2027, 5, 1)) == [2027, 2026, 2025]


def test_the_figures_page_csv_and_print_for_analysts_and_a_refusal_audited(app, client, world):
    with app.app_context():
        copeland = hub()
        case = make_case(copeland, "CPL-ACR-9", copeland.agencies[0])
        review_on(
            case,
            date(2026, 5, 1),
            threshold_met=False,
            decided_at=datetime(2026, 5, 6, 10, tzinfo=LONDON),
        )
        db.session.commit()
    client.sign_in(world.email["analyst"])
    base = f"/hubs/{world.hub_slug}/case-reviews/figures"
    page = client.get(f"{base}?year=2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "April 2026 to March 2027" in html
    assert 'data-measure="not_met">1<' in html and 'data-measure="applications">1<' in html
    bad = client.get(f"{base}?year=last")
    assert bad.status_code == 400 and "Choose a year from the list" in bad.get_data(True)
    printed = client.get(f"{base}/print?year=2026")
    assert printed.status_code == 200 and "hub-print" in printed.get_data(True)
    exported = client.get(f"/hubs/{world.hub_slug}/case-reviews/figures.csv?year=2026")
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0] == ["Hub", "Financial year", "Measure", "Number"]
    assert rows[3][2:] == ["Applications where the threshold was not met", "1"]
    with app.app_context():
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "case_review_figures_exported")
        ).scalar_one()
        assert entry.details == {"format": "csv", "starts_on": "2026-04-01"}
    worker = app.test_client()
    worker.sign_in(world.email["case_worker"])
    assert worker.get(base).status_code == 404
    assert worker.get(f"/hubs/{world.hub_slug}/case-reviews/figures.csv").status_code == 404
    with app.app_context():
        denied = db.session.execute(
            select(AuditEntry.details).where(
                AuditEntry.action == "access_denied", AuditEntry.outcome == "denied"
            )
        ).scalars()
        assert {"what": "policy:case_review_figures"}.items() <= list(denied)[-1].items()


@time_machine.travel(datetime(2026, 12, 18, 9, tzinfo=LONDON), tick=False)
def test_the_review_page_shows_timescales_complaints_and_refuses_a_step_in_the_field(
    app, client, world
):
    with app.app_context():
        copeland = hub()
        case = make_case(copeland, "CPL-ACR-2", copeland.agencies[0])
        review = review_on(case, date(2026, 12, 10))
        db.session.commit()
        path = f"/case-reviews/{review.id}"
        version = review.version
    client.sign_in(world.email["coordinator"])
    html = client.get(path).get_data(as_text=True)
    assert "Timescales" in html and "14 December 2026" in html and "Missed" in html
    assert "0 complaints" in html
    early = client.submit(
        f"{path}/steps/acknowledge",
        {"acknowledged_on": "2026-12-09", "acknowledged_by": "post", "version": version},
        path,
    )
    assert early.status_code == 400 and 'href="#acknowledged_on"' in early.get_data(True)
    done = client.submit(
        f"{path}/steps/acknowledge",
        {"acknowledged_on": "2026-12-15", "acknowledged_by": "post", "version": version},
        path,
    )
    assert done.status_code == 302
    # The same form again, opened before that save: refused as stale (409), nothing written.
    stale = client.submit(
        f"{path}/steps/acknowledge",
        {"acknowledged_on": "2026-12-16", "acknowledged_by": "email", "version": version},
        path,
    )
    assert stale.status_code == 409
    register = client.get(f"/hubs/{world.hub_slug}/case-reviews").get_data(as_text=True)
    assert "Application acknowledged: <strong>missed</strong>" in register
    with app.app_context():
        assert db.session.get(CaseReview, review.id).acknowledged_on == date(2026, 12, 15)
    unknown = client.submit(f"{path}/steps/nothing", {"version": version}, path)
    assert unknown.status_code == 400


def test_a_step_missed_long_ago_is_history_not_a_reminder(v):
    review_on(v.case, date(2026, 9, 1))
    db.session.commit()
    # Acknowledgement was due 3 September and decision 15 September: the decision's miss is
    # news (within 28 days), the acknowledgement's is not.
    assert run("2026-10-10T07:50") == ["case_review_missed:decide"]


def test_a_review_the_partners_asked_for_has_no_acknowledgement(v):
    review = review_on(v.case, CHRISTMAS_EVE, source="conference", applicant=None)
    assert list(states(review, date(2026, 12, 31))) == ["decide"]
    with pytest.raises(ValidationError) as refused:
        review_steps.acknowledge(
            review, {"acknowledged_on": "2026-12-29", "version": str(review.version)}, None
        )
    assert refused.value.messages == {"form": ["Only an application is acknowledged"]}


@time_machine.travel(datetime(2026, 12, 18, 9, tzinfo=LONDON), tick=False)
def test_the_page_of_a_held_review_offers_the_letter_recommendations_and_appeal(app, client, world):
    with app.app_context():
        v = build(world)
        review = held_review(v)
        coordinator = v.people["coordinator"]
        step(review_steps.invite_victim, review, coordinator, victim_invited_on="2026-11-12")
        step(
            review_steps.record_chair,
            review,
            coordinator,
            chair_name="Ruth Marsh",
            chair_role="Community safety lead",
            chair_agency_id="",
        )
        db.session.commit()
        path, version = f"/case-reviews/{review.id}", review.version
    client.sign_in(world.email["coordinator"])
    html = client.get(path).get_data(as_text=True)
    assert "Ruth Marsh, Community safety lead (from outside the partnership)" in html
    assert "Their answer" in html and "Record the outcome" in html
    assert "Write it into the case as an action" in html
    done = client.submit(
        f"{path}/outcome", {"held_on": "2026-12-01", "outcome": "Done", "version": version}, path
    )
    assert done.status_code == 302
    html = client.get(path).get_data(as_text=True)
    assert "Date the outcome letter was sent" in html and "Review meeting held" in html
    assert "Preview the letter" in html and f"{path}/letters/outcome" in html
    sent = client.submit(
        f"{path}/steps/outcome_letter",
        {"outcome_sent_on": "2026-12-04", "outcome_sent_by": "email", "version": version + 1},
        path,
    )
    assert sent.status_code == 302
    html = client.get(path).get_data(as_text=True)
    assert "Date the appeal was lodged" in html and "By 6 January 2027" in html


@time_machine.travel(datetime(2026, 12, 29, 9, tzinfo=LONDON), tick=False)
def test_the_home_page_lists_steps_missed_or_due_within_two_working_days(app, client, world):
    with app.app_context():
        copeland = hub()
        case = make_case(copeland, "CPL-ACR-3", copeland.agencies[0])
        reference = review_on(case, CHRISTMAS_EVE).reference
        db.session.commit()
    client.sign_in(world.email["coordinator"])
    html = client.get("/").get_data(as_text=True)
    assert "ASB case review steps due" in html
    assert f"{reference}: application acknowledged" in html and "due 30 December 2026" in html
    assert "threshold decided" not in html  # 12 January: not yet
    worker = app.test_client()
    worker.sign_in(world.email["case_worker"])
    assert "ASB case review steps due" not in worker.get("/").get_data(as_text=True)
