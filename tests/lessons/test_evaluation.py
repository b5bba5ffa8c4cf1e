"""The formal evaluation: before and after computed from the hub's records, written by the lead
agency, signed off by a supervisor, immutable once signed, and the gate a case closes through."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
import time_machine
from marshmallow import ValidationError
from sqlalchemy import select

from hub.casework import assessments, evaluations, stages
from hub.core.locking import StaleForm
from hub.extensions import db
from hub.models import (
    Agency,
    AuditEntry,
    ContextIncident,
    ContextMonthCount,
    Evaluation,
    Hub,
    Incident,
    Intervention,
    Plan,
    Referral,
    User,
)
from tests.support.factories import make_case, make_isa

ALL = ["identity", "incident", "housing", "victim_contact"]


@pytest.fixture
def ev(ctx, world):
    return build(world)


def build(world):
    """CPL-EV: council (referrer) and housing; housing leads; at the evaluation stage, with a
    plan of two success measures."""
    hub = db.session.get(Hub, world.hub_id)
    council, police, housing = (
        db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police", "housing")
    )
    make_isa(hub, [council, police, housing], ALL, reference="ISA-EV")
    case = make_case(hub, "CPL-EV", council, housing, stage="evaluation")
    case.lead_agency_id = housing.id
    db.session.add(
        Plan(
            case_id=case.id,
            objective="Stop the late-night noise at Mill Street flats",
            success_measures="- No noise complaints for eight weeks\n- Tenant keeps the ABC",
        )
    )
    db.session.flush()
    people = {k: db.session.get(User, v) for k, v in world.user_id.items()}
    return SimpleNamespace(hub=hub, case=case, council=council, housing=housing, **people)


def form(**changes) -> dict:
    data = {
        "outcome": "reduced",
        "summary": "Complaints fell from ten a month to two",
        "measure_0_met": "met",
        "measure_1_met": "partly",
        "measure_1_result": "One breach in week three",
        "victim_satisfaction": "4",
        "victim_words": "It is much quieter",
        "officer_hours": "14.5",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def intervene(s, served: date, kind="acceptable_behaviour_contract") -> Intervention:
    item = Intervention(
        case_id=s.case.id,
        type=kind,
        issuing_officer="H Officer",
        subject="Flat 3",
        served_on=served,
        category="incident",
        origin_agency_id=s.housing.id,
        recorded_by_id=s.case_worker.id,
    )
    db.session.add(item)
    db.session.flush()
    return item


def incident(s, on: date, *, case=None, place="mill street 3", referral=None, victim=None):
    db.session.add(
        Incident(
            hub_id=s.hub.id,
            occurred_on=on,
            place_key=place,
            victim_key=victim,
            case_id=case.id if case else None,
            referral_id=referral.id if referral else None,
        )
    )
    db.session.flush()


def referral(s, incidents: int) -> Referral:
    row = Referral(
        hub_id=s.hub.id,
        agency_id=s.council.id,
        user_id=s.referrer.id,
        status="submitted",
        incident_count=incidents,
        category="incident",
        origin_agency_id=s.council.id,
    )
    db.session.add(row)
    db.session.flush()
    return row


# -- before and after -----------------------------------------------------------------------------


def test_windows_are_equal_calendar_days_bank_holidays_included():
    """90 days each side, bank holidays counted like any day (incidents do not stop for
    them); each window says how many working days and weekday bank holidays it held."""
    w = evaluations.windows(date(2027, 1, 4), date(2027, 2, 1), 90, today=date(2027, 6, 1))
    assert (w.before_from, w.before_to) == (date(2026, 10, 6), date(2027, 1, 3))
    assert (w.after_from, w.after_to) == (date(2027, 2, 2), date(2027, 5, 2))
    assert (w.before_to - w.before_from).days + 1 == 90 == (w.after_to - w.after_from).days + 1
    assert w.after_complete
    # Christmas 2026: the 25th (Friday), Boxing Day's substitute (Monday 28th), New Year's Day.
    working, holidays = evaluations.working_days(date(2026, 12, 21), date(2027, 1, 3))
    assert holidays == 3
    assert working == 10 - 3
    unfinished = evaluations.windows(date(2027, 1, 4), date(2027, 2, 1), 90, date(2027, 2, 11))
    assert not unfinished.after_complete and unfinished.after_days_so_far == 10


def test_counts_the_case_people_and_places_in_each_window(ev):
    s = ev
    intervene(s, date(2026, 12, 24))
    intervene(s, date(2027, 1, 4), kind="community_protection_warning")
    report = referral(s, incidents=3)
    # The case's own incident gives its keys: the place, and the victim.
    incident(s, date(2026, 11, 2), case=s.case, victim="n:ann|d:1980", referral=report)
    incident(s, date(2026, 12, 23), place="mill street 3")  # the day before the first: before
    incident(s, date(2026, 12, 25), place="mill street 3")  # between first and last: neither
    incident(s, date(2027, 1, 5), place=None, victim="n:ann|d:1980")  # the day after: after
    incident(s, date(2027, 4, 4), place="mill street 3")  # the 90th day after: after
    incident(s, date(2027, 4, 5), place="mill street 3")  # the 91st: outside
    incident(s, date(2027, 1, 6), place="another street 9")  # another place: never
    figures = evaluations.before_after(s.case, 90, today=date(2027, 6, 1))
    assert figures["measurable"] and figures["first"] == "2026-12-24"
    assert figures["before"] == {
        "from": "2026-09-25",
        "to": "2026-12-23",
        "incidents": 3 + 1,  # the referral reported three
        "referrals": 1,
        "working_days": 64,
        "bank_holidays": 0,
    }
    assert figures["after"]["incidents"] == 2 and figures["after"]["referrals"] == 0
    assert figures["after"]["complete"] and figures["police_uk"] is None
    # A shorter window sees less.
    short = evaluations.before_after(s.case, 30, today=date(2027, 6, 1))
    assert short["before"]["incidents"] == 1 and short["after"]["incidents"] == 1


def test_no_incidents_and_no_interventions(ev):
    s = ev
    assert evaluations.before_after(s.case, 90) == {"measurable": False, "window_days": 90}
    intervene(s, date(2026, 10, 1))
    figures = evaluations.before_after(s.case, 90, today=date(2026, 11, 1))
    assert figures["before"]["incidents"] == 0 and figures["after"]["incidents"] == 0
    assert figures["located"] is False
    assert not figures["after"]["complete"] and figures["after"]["days_so_far"] == 31


def test_police_uk_context_once_imported(ev):
    s = ev
    intervene(s, date(2026, 7, 15))
    db.session.add(Incident(hub_id=s.hub.id, occurred_on=date(2026, 5, 1), cell="100:200"))
    db.session.flush()
    db.session.execute(
        Incident.__table__.update().values(case_id=s.case.id).where(Incident.cell == "100:200")
    )
    for month, n in ((date(2026, 5, 1), 4), (date(2026, 9, 1), 1), (date(2027, 3, 1), 9)):
        for i in range(n):
            db.session.add(
                ContextIncident(
                    hub_id=s.hub.id,
                    source_key=f"{month}-{i}",
                    month=month,
                    month_index=month.year * 12 + month.month - 1,
                    crime_type="Anti-social behaviour",
                    is_asb=True,
                    lat=0,
                    lon=0,
                    cell="100:201",  # beside the case's cell
                )
            )
    db.session.add(
        ContextMonthCount(hub_id=s.hub.id, month=date(2026, 9, 1), is_asb=True, incidents=1)
    )
    db.session.flush()
    figures = evaluations.before_after(s.case, 90, today=date(2026, 12, 1))
    police = figures["police_uk"]
    assert police["before"] == 4 and police["after"] == 1  # March 2027 is in neither
    assert police["latest_month"] == "2026-09-01" and police["after_covered"] is False


# -- writing, signing, correcting -----------------------------------------------------------------


def test_the_lead_agency_writes_and_a_supervisor_signs(ev):
    s = ev
    with pytest.raises(ValidationError) as refused:
        evaluations.save_evaluation(s.case, form(), actor=s.spoc)  # council: not the lead
    assert "lead agency" in refused.value.messages["form"][0]
    saved = evaluations.save_evaluation(s.case, form(), actor=s.case_worker)
    assert saved.number == 1 and saved.signed_at is None
    assert saved.objective.startswith("Stop the late-night noise")
    assert [m["met"] for m in saved.measures] == ["met", "partly"]
    with pytest.raises(ValidationError) as refused:
        evaluations.sign_evaluation(s.case, {"version": saved.version}, actor=s.case_worker)
    assert "coordinator or hub manager" in refused.value.messages["form"][0]
    signed = evaluations.sign_evaluation(s.case, {"version": saved.version}, actor=s.hub_manager)
    assert signed.signed_by_id == s.hub_manager.id and signed.measured == {
        "measurable": False,
        "window_days": 90,
    }
    actions = db.session.execute(
        select(AuditEntry.action).where(AuditEntry.target_id == str(s.case.id))
    ).scalars()
    assert {"evaluation_saved", "evaluation_signed"} <= set(actions)


def test_only_at_the_evaluation_stage(ev):
    s = ev
    s.case.stage = "active"
    with pytest.raises(ValidationError) as refused:
        evaluations.save_evaluation(s.case, form(), actor=s.case_worker)
    assert "evaluation stage" in refused.value.messages["form"][0]


def test_every_field_message_at_once_and_nothing_written(ev):
    s = ev
    intervene(s, date(2026, 10, 1))
    bad = form(
        outcome="great",
        summary="",
        measure_0_met=None,
        victim_satisfaction=None,
        officer_hours="lots",
        window_days="3",
        worked_acceptable_behaviour_contract="maybe",
    )
    with pytest.raises(ValidationError) as refused:
        evaluations.save_evaluation(s.case, bad, actor=s.case_worker)
    assert set(refused.value.messages) == {
        "outcome",
        "summary",
        "measure_0_met",
        "victim_satisfaction",
        "officer_hours",
        "window_days",
        "worked_acceptable_behaviour_contract",
    }
    assert "why they were not asked" in refused.value.messages["victim_satisfaction"][0]
    both = form(victim_not_asked="Not reachable")
    with pytest.raises(ValidationError) as refused:
        evaluations.save_evaluation(s.case, both, actor=s.case_worker)
    assert list(refused.value.messages) == ["victim_not_asked"]
    assert db.session.execute(select(Evaluation.id)).first() is None


def test_signed_is_immutable_and_a_correction_is_a_new_version(ev):
    s = ev
    draft = evaluations.save_evaluation(s.case, form(), actor=s.case_worker)
    again = evaluations.save_evaluation(
        s.case, form(summary="Complaints fell to one", version=draft.version), actor=s.case_worker
    )
    assert again.id == draft.id and again.summary == "Complaints fell to one"
    with pytest.raises(StaleForm):  # a form opened before the last save
        evaluations.save_evaluation(s.case, form(version=1), actor=s.case_worker)
    signed = evaluations.sign_evaluation(s.case, {"version": again.version}, actor=s.hub_manager)
    with pytest.raises(ValidationError) as refused:
        evaluations.save_evaluation(
            s.case, form(summary="Rewritten", version=signed.version), actor=s.case_worker
        )
    assert "start a correction" in refused.value.messages["form"][0]
    correction = evaluations.start_correction(
        s.case, {"version": signed.version}, actor=s.case_worker
    )
    assert (correction.number, correction.supersedes_id) == (2, signed.id)
    assert correction.signed_at is None and correction.summary == "Complaints fell to one"
    evaluations.save_evaluation(
        s.case,
        form(summary="Complaints fell to one; one later", version=correction.version),
        actor=s.case_worker,
    )
    db.session.expire_all()
    first = db.session.get(Evaluation, signed.id)
    assert first.summary == "Complaints fell to one" and first.signed_at is not None
    assert [e.number for e in evaluations.evaluations_of(s.case)] == [2, 1]


def test_a_case_closes_only_with_a_signed_evaluation(ev):
    s = ev
    assessments.record_assessment(
        s.case,
        {"kind": "at_closure", "problem_type": "nuisance", "category": "incident", "sign": True},
        actor=s.hub_manager,
    )

    def close():
        stages.move_stage(s.case, "closed", s.case.version, actor=s.hub_manager)

    with pytest.raises(ValidationError) as refused:
        close()
    assert "without a signed evaluation" in refused.value.messages["stage"][0]
    draft = evaluations.save_evaluation(s.case, form(), actor=s.case_worker)
    with pytest.raises(ValidationError):
        close()
    evaluations.sign_evaluation(s.case, {"version": draft.version}, actor=s.hub_manager)
    close()
    assert s.case.stage == "closed"


def test_signing_keeps_the_figures_as_they_were(ev):
    s = ev
    intervene(s, date(2026, 9, 1))
    incident(s, date(2026, 8, 1), case=s.case)
    draft = evaluations.save_evaluation(s.case, form(window_days="60"), actor=s.case_worker)
    with time_machine.travel(datetime(2026, 12, 1, 12, tzinfo=UTC), tick=False):
        signed = evaluations.sign_evaluation(
            s.case, {"version": draft.version}, actor=s.hub_manager
        )
    assert signed.measured["window_days"] == 60 and signed.measured["before"]["incidents"] == 1
    incident(s, date(2026, 8, 2), place="mill street 3")  # recorded later
    assert evaluations.tab(s.hub_manager, s.case)["figures"]["before"]["incidents"] == 1


# -- the tab --------------------------------------------------------------------------------------


def test_the_tab_shows_the_figures_and_the_form_to_the_lead(app, client, world):
    # No request context around the client's requests (each needs its own).
    with app.app_context():
        s = build(world)
        intervene(s, date(2026, 9, 1))
        incident(s, date(2026, 8, 1), case=s.case)
        db.session.commit()
        url = f"/cases/{s.case.id}"
    client.sign_in(world.email["case_worker"])
    page = client.get(f"{url}/evaluation").get_data(as_text=True)
    assert 'data-testid="before-after"' in page and 'data-testid="evaluation-form"' in page
    assert "Success measure: No noise complaints for eight weeks" in page
    refused = client.submit(f"{url}/evaluation", form(outcome="", version="0"))
    assert refused.status_code == 400
    assert 'href="#outcome"' in refused.get_data(as_text=True)
    saved = client.submit(f"{url}/evaluation", form(version="0"))
    assert saved.status_code == 302
    page = client.get(f"{url}/evaluation").get_data(as_text=True)
    assert "Complaints fell from ten a month to two" in page
    with app.app_context():
        reads = list(
            db.session.execute(
                select(AuditEntry.details).where(AuditEntry.action == "personal_data_read")
            ).scalars()
        )
    assert any(d.get("what") == "evaluation" for d in reads)
    client.submit("/sign-out", token_from="/")
    client.sign_in(world.email["hub_manager"])
    assert client.submit(f"{url}/evaluation/sign", {"version": 1}).status_code == 302
    page = client.get(f"{url}/evaluation").get_data(as_text=True)
    assert 'data-testid="signed-evaluation"' in page and "Draft a lesson for the library" in page
    assert 'data-testid="evaluation-form"' not in page
