"""Powers followed to the end: a respect order from proposal to expiry (the pre-application
risk assessment first, the court's interim and full orders, service, variation), breaches
logged and brought to the coordinators at once, reminders of expiry and review to the issuing
agency on the controlled clock, and the case on the weekly agenda ahead of the expiry."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from hub.analytics import powers as powers_return
from hub.analytics.periods import Filters
from hub.casework import powers
from hub.conferences import agenda as conference_agenda
from hub.conferences import slot as conference_slot
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import (
    Agency,
    AuditEntry,
    Case,
    ConferenceSlot,
    Hub,
    Intervention,
    JobRun,
    Notification,
    PowerBreach,
    PowerStep,
)
from tests.conftest import HubClient
from tests.support.factories import make_case, make_isa

TODAY = datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)  # a Monday
ALL = ["identity", "incident", "housing", "victim_contact"]


@pytest.fixture
def pw(app, world):
    """CPL-500: council (referrer), police and housing members, all signed."""
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council, police, housing = (
            db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police", "housing")
        )
        make_isa(hub, [council, police, housing], ALL, reference="ISA-PW")
        case = make_case(hub, "CPL-500", council, police, housing, stage="active")
        db.session.commit()
        return case.id


def _as(app, world, who):
    app.test_client_class = HubClient
    client = app.test_client()
    client.sign_in(world.email[who])
    return client


def _record(client, case_id, **changes) -> int:
    form = {
        "type": "respect_order",
        "subject": "Jordan Pike",
        "subject_age_group": "adult",
        "issuing_officer": "S Council ASB Officer",
        "conditions": "Not to enter Mill Street; not to contact William Hartley",
        "category": "incident",
        "status": "proposed",
        **changes,
    }
    response = client.submit(f"/cases/{case_id}/interventions", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return db.session.execute(select(func.max(Intervention.id))).scalar()


def _step(client, case_id, item_id, **form):
    with client.application.app_context():
        version = db.session.get(Intervention, item_id).version
    return client.submit(
        f"/cases/{case_id}/interventions/{item_id}/steps", {"version": str(version), **form}
    )


@time_machine.travel(TODAY, tick=False)
def test_a_respect_order_from_proposal_to_expiry(app, world, pw):
    council = _as(app, world, "spoc")
    with app.app_context():
        item_id = _record(council, pw)
    # Not before the pre-application risk assessment.
    refused = _step(council, pw, item_id, step="applied", on="2026-11-02", court="Whitehaven")
    assert refused.status_code == 400
    assert "pre-application risk assessment" in refused.get_data(as_text=True)
    assert _step(council, pw, item_id, step="risk_assessed", on="2026-11-02").status_code == 302
    # An application names its court.
    no_court = _step(council, pw, item_id, step="applied", on="2026-11-03")
    assert no_court.status_code == 400 and "Enter the court" in no_court.get_data(as_text=True)
    applied = _step(
        council,
        pw,
        item_id,
        step="applied",
        on="2026-11-03",
        court="Whitehaven Magistrates' Court",
        hearing_on="2026-11-10",
    )
    assert applied.status_code == 302
    # Granted needs interim or full.
    assert _step(council, pw, item_id, step="granted", on="2026-11-10").status_code == 400
    assert (
        _step(
            council,
            pw,
            item_id,
            step="granted",
            on="2026-11-10",
            order_kind="interim",
            hearing_on="2026-11-17",
        ).status_code
        == 302
    )
    assert (
        _step(
            council,
            pw,
            item_id,
            step="granted",
            on="2026-11-17",
            order_kind="full",
            step_expires_on="2027-11-16",
            step_review_on="2027-05-17",
        ).status_code
        == 302
    )
    assert _step(council, pw, item_id, step="served", on="2026-11-18").status_code == 302
    # A variation says what changed.
    assert _step(council, pw, item_id, step="varied", on="2026-11-20").status_code == 400
    varied = _step(
        council, pw, item_id, step="varied", on="2026-11-20", note="Exclusion zone widened"
    )
    assert varied.status_code == 302
    # A step in the future, or out of order, is refused with its reason.
    assert _step(council, pw, item_id, step="expired", on="2026-11-24").status_code == 400
    wrong = _step(council, pw, item_id, step="applied", on="2026-11-21", court="X")
    assert wrong.status_code == 400 and "the next step can be" in wrong.get_data(as_text=True)

    page = council.get(f"/cases/{pw}/interventions/{item_id}").get_data(as_text=True)
    assert "Varied" in page and "Full order" in page and "Whitehaven Magistrates" in page
    assert "Exclusion zone widened" in page and "Expires 16 November 2027" in page
    with app.app_context():
        item = db.session.get(Intervention, item_id)
        assert (item.status, item.order_kind, item.served_on, item.expires_on) == (
            "varied",
            "full",
            date(2026, 11, 18),
            date(2027, 11, 16),
        )
        steps = db.session.execute(
            select(PowerStep.step)
            .where(PowerStep.intervention_id == item_id)
            .order_by(PowerStep.id)
        ).scalars()
        assert list(steps) == [
            "proposed",
            "risk_assessed",
            "applied",
            "granted",
            "granted",
            "served",
            "varied",
        ]
        assert (
            db.session.execute(
                select(func.count()).where(AuditEntry.action == "power_step_recorded")
            ).scalar()
            == 6
        )
    # It ends: discharged early, its expiry is watched no more.
    assert _step(council, pw, item_id, step="discharged", on="2026-11-23").status_code == 302
    with app.app_context():
        assert db.session.get(Intervention, item_id).expires_on == date(2026, 11, 23)


@time_machine.travel(TODAY, tick=False)
def test_a_respect_order_cannot_be_recorded_as_already_applied_for(app, world, pw):
    council = _as(app, world, "spoc")
    response = council.submit(
        f"/cases/{pw}/interventions",
        {
            "type": "respect_order",
            "subject": "Jordan Pike",
            "issuing_officer": "S Officer",
            "category": "incident",
            "status": "applied",
        },
    )
    assert response.status_code == 400
    assert "pre-application risk assessment" in response.get_data(as_text=True)


@time_machine.travel(TODAY, tick=False)
def test_only_the_issuing_agency_records_steps(app, world, pw):
    council = _as(app, world, "spoc")
    with app.app_context():
        item_id = _record(council, pw, type="youth_injunction", status="proposed")
    police = _as(app, world, "coordinator")
    refused = _step(police, pw, item_id, step="applied", on="2026-11-20", court="Youth court")
    assert refused.status_code == 400
    assert "Only the issuing agency" in refused.get_data(as_text=True)
    assert _as(app, world, "other_hub").get(f"/cases/{pw}/interventions/{item_id}").status_code == (
        404
    )


@time_machine.travel(TODAY, tick=False)
def test_a_stale_step_is_refused(app, world, pw):
    council = _as(app, world, "spoc")
    with app.app_context():
        item_id = _record(council, pw, type="community_protection_notice", status="proposed")
    stale = council.submit(
        f"/cases/{pw}/interventions/{item_id}/steps",
        {"version": "0", "step": "served", "on": "2026-11-20"},
    )
    assert stale.status_code == 409
    with app.app_context():
        assert db.session.get(Intervention, item_id).status == "proposed"


@time_machine.travel(TODAY, tick=False)
def test_a_breach_is_logged_by_any_member_and_comes_to_the_coordinator_at_once(
    app, world, pw, outbox
):
    council = _as(app, world, "spoc")
    with app.app_context():
        item_id = _record(
            council,
            pw,
            type="community_protection_notice",
            status="served",
            served_on="2026-11-02",
            expires_on="2027-05-01",
        )
    housing = _as(app, world, "case_worker")  # another member reports it
    form = {
        "occurred_on": "2026-11-21",
        "what": "Played amplified music at 1am in breach of condition 2",
        "reported_by": "Neighbour at Flat 5",
        "action_taken": "Fixed penalty notice considered; evidence passed to the council",
        "form_token": "bb11",
    }
    response = housing.submit(f"/cases/{pw}/interventions/{item_id}/breaches", form)
    assert response.status_code == 302
    # The same form again: one breach.
    housing.submit(f"/cases/{pw}/interventions/{item_id}/breaches", form)
    with app.app_context():
        assert db.session.execute(select(func.count(PowerBreach.id))).scalar() == 1
        told = db.session.execute(
            select(Notification).where(Notification.user_id == world.user_id["coordinator"])
        ).scalars()
        assert any("breach of a community protection notice" in n.text for n in told)
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "power_breach_reported")
        ).scalar_one()
        assert entry.details["recipients"] == [world.user_id["coordinator"]]
    assert any(
        m["To"] == world.email["coordinator"] and "breach reported on case CPL-500" in m["Subject"]
        for m in outbox
    )
    # No personal words in the notice or email.
    assert not any("Flat 5" in m.get_content() or "music" in m.get_content() for m in outbox)
    page = council.get(f"/cases/{pw}/interventions/{item_id}").get_data(as_text=True)
    assert 'data-testid="breach-log"' in page and "Neighbour at Flat 5" in page
    tab = council.get(f"/cases/{pw}/interventions").get_data(as_text=True)
    assert "Breached (1)" in tab
    # The powers return counts it as breached.
    with app.test_request_context():
        hub = db.session.get(Hub, world.hub_id)
        filters = Filters(start=date(2026, 11, 1), end=date(2026, 11, 1))
        rows = powers_return.powers_return(hub, filters)
        assert [(r.power, r.breached) for r in rows] == [("community_protection_notice", 1)]


@time_machine.travel(TODAY, tick=False)
def test_a_power_not_in_force_is_not_breached(app, world, pw):
    council = _as(app, world, "spoc")
    with app.app_context():
        item_id = _record(council, pw, type="community_protection_notice", status="proposed")
    response = council.submit(
        f"/cases/{pw}/interventions/{item_id}/breaches",
        {"occurred_on": "2026-11-21", "what": "Music", "reported_by": "Neighbour"},
    )
    assert response.status_code == 400
    assert "only a power in force is breached" in response.get_data(as_text=True)


# -- expiry and review reminders, and the agenda ------------------------------------------------


def _served_power(world, case_id, expires_on, review_on=None) -> Intervention:
    item = Intervention(
        case_id=case_id,
        type="criminal_behaviour_order",
        issuing_officer="PC Police",
        subject="Jordan Pike",
        status="served",
        served_on=date(2025, 12, 1),
        expires_on=expires_on,
        review_on=review_on,
        category="incident",
        origin_agency_id=world.agency_ids["police"],
        recorded_by_id=world.user_id["coordinator"],
    )
    db.session.add(item)
    db.session.flush()
    return item


def test_expiry_reminds_the_issuing_agency_four_weeks_then_one_week_ahead_once_each(
    ctx, world, pw, outbox
):
    item = _served_power(world, pw, expires_on=date(2026, 12, 21))
    with time_machine.travel(datetime(2026, 11, 20, 7, 40, tzinfo=LONDON), tick=False):
        assert powers.power_reminders(date(2026, 11, 20)) == []  # 31 days ahead: not yet
    with time_machine.travel(datetime(2026, 11, 23, 7, 40, tzinfo=LONDON), tick=False):
        sent = powers.power_reminders(date(2026, 11, 23))
        assert [(d.kind, d.notice, [u.id for u in people]) for d, people in sent] == [
            ("expiry", 28, [world.user_id["coordinator"]])
        ]
        assert powers.power_reminders(date(2026, 11, 23)) == []  # a rerun sends nothing
        assert powers.power_reminders(date(2026, 11, 24)) == []  # nor the next day
    with time_machine.travel(datetime(2026, 12, 14, 7, 40, tzinfo=LONDON), tick=False):
        sent = powers.power_reminders(date(2026, 12, 14))
        assert [(d.kind, d.notice) for d, _ in sent] == [("expiry", 7)]
    db.session.commit()
    assert [m["Subject"] for m in outbox] == [
        "Focus Hub: a power expires on case CPL-500",
        "Focus Hub: a power expires on case CPL-500",
    ]
    assert (
        db.session.execute(
            select(func.count(JobRun.id)).where(JobRun.key.like(f"power_expiry:{item.id}:%"))
        ).scalar()
        == 2
    )


def test_a_review_date_and_a_lapsed_expiry_both_remind(ctx, world, pw):
    _served_power(world, pw, expires_on=date(2026, 11, 20), review_on=date(2026, 11, 30))
    with time_machine.travel(TODAY, tick=False):
        sent = powers.power_reminders(TODAY.date())
    assert sorted((d.kind, d.notice) for d, _ in sent) == [("expiry", 7), ("review", 7)]


def test_an_ended_power_or_a_closed_case_reminds_no_one(ctx, world, pw):
    item = _served_power(world, pw, expires_on=date(2026, 12, 1))
    item.status = "discharged"
    hub = db.session.get(Hub, world.hub_id)
    council = db.session.get(Agency, world.agency_ids["council"])
    closed = make_case(hub, "CPL-501", council, stage="closed")
    _served_power(world, closed.id, expires_on=date(2026, 12, 1))
    with time_machine.travel(TODAY, tick=False):
        assert powers.power_reminders(TODAY.date()) == []


def test_a_power_expiring_comes_to_the_weekly_agenda_ahead_of_time(ctx, world, pw):
    hub = db.session.get(Hub, world.hub_id)
    db.session.add(ConferenceSlot(hub_id=hub.id, weekday=2, time="10:00", place="Town hall"))
    db.session.flush()
    council = db.session.get(Agency, world.agency_ids["council"])
    later = make_case(hub, "CPL-502", council, stage="active")
    _served_power(world, pw, expires_on=date(2026, 12, 8))  # 13 days after the conference
    _served_power(world, later.id, expires_on=date(2027, 2, 1))  # months away
    conference_slot.ensure_weekly_conferences(date(2026, 11, 19))
    from hub.models import Conference

    conference = (
        db.session.execute(
            select(Conference).where(Conference.hub_id == hub.id).order_by(Conference.starts_at)
        )
        .scalars()
        .first()
    )
    assert conference.starts_at.astimezone(LONDON).date() == date(2026, 11, 25)
    conference_agenda.build_agenda(conference, datetime(2026, 11, 23, 10, 0, tzinfo=LONDON))
    items = [
        (db.session.get(Case, i.case_id).reference, i.reason)
        for i in conference_agenda.agenda_items(conference)
    ]
    assert items == [("CPL-500", "power_due")]


def test_the_power_types_include_the_respect_order_and_injunctions():
    from hub.models.casework import INTERVENTION_TYPES

    for key in ("respect_order", "youth_injunction", "housing_injunction"):
        assert INTERVENTION_TYPES[key][1] is True
        assert key in powers.COURT_POWERS
    assert timedelta(days=max(powers.NOTICE_DAYS)).days == 28
