"""Running a conference: the chair opens and ends it, records attendance, takes notes on each
item and records decisions that are written straight into the case (or referral) through the
casework, triage and sharing services. Every refusal writes nothing at all."""

from datetime import date, timedelta

import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select, update

from hub.casework import assessments, evaluations, plans
from hub.casework import cases as case_service
from hub.conferences import decisions, running
from hub.core.locking import StaleForm
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    Activity,
    Agency,
    AgendaItem,
    AgendaReason,
    Attendance,
    AuditEntry,
    Case,
    CaseAction,
    CaseMembership,
    CaseNote,
    CaseReview,
    Conference,
    ConferenceDecision,
    ConferenceSlot,
    ConferenceStatus,
    Plan,
    StandingAttendee,
)
from hub.models.casework import EVALUATION_OUTCOMES
from referrals import intake
from tests.support.factories import make_agency, make_case, make_isa
from tests.support.referral_data import hub, payload, user

CATEGORIES = ["identity", "incident", "housing"]


@pytest.fixture
def setting(ctx, world):
    return build(world)


def build(world):
    """Copeland's conference in progress, chaired by the police coordinator, with two cases
    (police a member of both) and a new referral on its agenda."""
    copeland = hub()
    a = {k: db.session.get(Agency, v) for k, v in world.agency_ids.items()}
    make_isa(copeland, [a["council"], a["police"], a["housing"]], CATEGORIES, reference="ISA-RUN")
    case = make_case(copeland, "CPL-RUN-1", a["council"], a["police"], stage="active")
    waiting = make_case(
        copeland, "CPL-RUN-2", a["council"], a["police"], stage="awaiting_conference"
    )
    referral = intake.submit_referral(payload(), user=user(world.email["referrer"]))[0]
    conference = Conference(hub_id=copeland.id, starts_at=utcnow() + timedelta(hours=1))
    db.session.add(conference)
    db.session.flush()
    items = {}
    for position, (key, values) in enumerate(
        [
            ("case", {"case_id": case.id}),
            ("waiting", {"case_id": waiting.id}),
            ("referral", {"referral_id": referral.id}),
        ],
        start=1,
    ):
        items[key] = AgendaItem(
            conference_id=conference.id,
            reason=AgendaReason.REVIEW_DUE.value,
            position=position,
            **values,
        )
        db.session.add(items[key])
    db.session.flush()
    chair = user(world.email["coordinator"])
    running.start_conference(conference, conference.edit_version, actor=chair)
    db.session.flush()
    return type(
        "Setting",
        (),
        {
            "conference": conference,
            "case": case,
            "waiting": waiting,
            "referral": referral,
            "items": items,
            "chair": chair,
            "agencies": a,
            "world": world,
        },
    )


def decide(s, item_key: str, kind: str, case=None, **data):
    item = s.items[item_key]
    case = case or item.case
    form = {"kind": kind, "version": s.conference.edit_version, **data}
    if case is not None:
        form["case_version"] = case.version
    return decisions.record_decision(s.conference, item, form, actor=s.chair)


def snapshot(case: Case) -> dict:
    """Everything a decision could write, to show a refusal wrote none of it."""
    db.session.expire_all()
    counts = {
        model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar()
        for model in (
            ConferenceDecision,
            CaseAction,
            CaseMembership,
            CaseNote,
            CaseReview,
            Activity,
            AuditEntry,
            Plan,
            Attendance,
        )
    }
    fresh = db.session.get(Case, case.id)
    fields = {
        k: getattr(fresh, k)
        for k in (
            "stage",
            "band",
            "lead_agency_id",
            "lead_agreed_conference_id",
            "next_review_on",
            "version",
        )
    }
    return {"counts": counts, "case": fields}


def refused(s, fn, case=None) -> dict:
    """Call fn, expect a refusal, roll back as the blueprint does, and return the messages."""
    before = snapshot(case or s.case)
    with db.session.begin_nested() as nested:
        with pytest.raises(ValidationError) as info:
            fn()
        nested.rollback()
    assert snapshot(case or s.case) == before
    return info.value.messages


# -- opening and closing ----------------------------------------------------------------------


def test_the_chair_starts_and_ends_a_scheduled_conference_and_it_is_audited(setting):
    s = setting
    c = s.conference
    assert c.status == ConferenceStatus.LIVE.value
    assert c.chair_id == s.chair.id and c.started_at is not None
    running.end_conference(c, c.edit_version, actor=s.chair)
    assert c.status == ConferenceStatus.HELD.value and c.ended_at is not None
    actions = db.session.execute(
        select(AuditEntry.action).where(AuditEntry.target_id == str(c.id))
    ).scalars()
    assert {"conference_started", "conference_ended"} <= set(actions)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("cancelled", "This conference was cancelled, so it cannot be started"),
        ("proposed", "This urgent conference has not been confirmed yet, so it cannot be started"),
        ("held", "This conference has already been held"),
        ("live", "This conference is already in progress"),
    ],
)
def test_only_a_scheduled_conference_can_start(setting, status, message):
    s = setting
    s.conference.status = status
    db.session.flush()
    messages = refused(
        s,
        lambda: running.start_conference(s.conference, s.conference.edit_version, actor=s.chair),
    )
    assert messages == {"form": [message]}


def test_a_stale_start_form_is_refused(setting):
    s = setting
    s.conference.status = ConferenceStatus.SCHEDULED.value
    db.session.flush()
    with pytest.raises(StaleForm):
        running.start_conference(s.conference, s.conference.edit_version - 1, actor=s.chair)


# -- attendance -------------------------------------------------------------------------------


def test_expected_agencies_are_standing_attendees_and_case_members_of_the_hub(setting):
    s = setting
    copeland = hub()
    fire = make_agency("Cumbria Fire", "fire", copeland)
    stranger = make_agency("Not a partner", "health")
    slot = ConferenceSlot(hub_id=copeland.id, weekday=2, time="10:00")
    db.session.add(slot)
    db.session.flush()
    for agency in (fire, stranger):
        db.session.add(StandingAttendee(slot_id=slot.id, agency_id=agency.id))
    db.session.flush()
    names = [a.name for a in running.expected_agencies(s.conference)]
    assert names == ["Copeland Borough Council", "Cumbria Constabulary", "Cumbria Fire"]


def test_attendance_by_agency_and_person(setting):
    s = setting
    c = s.conference
    housing_worker = user(s.world.email["case_worker"])
    running.record_attendance(
        c,
        {
            "agency_id": housing_worker.agency_id,
            "user_id": housing_worker.id,
            "status": "present",
            "version": c.edit_version,
        },
        actor=s.chair,
    )
    running.record_attendance(
        c,
        {
            "agency_id": s.agencies["council"].id,
            "name": "Pat Visitor",
            "status": "present",
            "version": c.edit_version,
        },
        actor=s.chair,
    )
    # Recording the same person again changes their status rather than adding a row.
    running.record_attendance(
        c,
        {
            "agency_id": s.agencies["council"].id,
            "name": "pat visitor",
            "status": "apologies",
            "version": c.edit_version,
        },
        actor=s.chair,
    )
    rows = [(a.agency_id, a.user_id, a.name, a.status) for a in running.attendance_of(c)]
    assert sorted(rows, key=str) == sorted(
        [
            (housing_worker.agency_id, housing_worker.id, "", "present"),
            (s.agencies["council"].id, None, "Pat Visitor", "apologies"),
        ],
        key=str,
    )


def test_attendance_refusals(setting):
    s = setting
    c = s.conference
    council = s.agencies["council"].id
    police_user = s.chair

    def attend(**data):
        return lambda: running.record_attendance(
            c, {"version": c.edit_version, "status": "present", **data}, actor=s.chair
        )

    assert refused(s, attend(agency_id=s.agencies["outsider"].id, name="X")) == {
        "agency_id": ["Choose an agency that is a partner of this hub"]
    }
    assert refused(s, attend(agency_id=council, user_id=police_user.id)) == {
        "user_id": ["Choose a person from that agency"]
    }
    assert refused(s, attend(agency_id=council)) == {
        "user_id": ["Choose who attended, or type their name"]
    }


# -- notes ------------------------------------------------------------------------------------


def test_a_discussion_note_is_a_case_note_under_the_agenda_item(setting):
    s = setting
    item = s.items["case"]
    note = running.add_item_note(
        s.conference,
        item,
        {"body": "Partners agree the noise is nightly", "category": "incident"},
        actor=s.chair,
    )
    assert note.case_id == s.case.id and note.agenda_item_id == item.id
    assert item.discussed_at is not None
    entry = db.session.execute(select(Activity).where(Activity.record_id == note.id)).scalar_one()
    assert entry.kind == "note_added" and entry.category == "incident"
    assert running.item_notes(s.chair, s.conference, item) == [note]
    # A member agency whose agreement does not cover the category is refused, as on the case.
    assert refused(
        s,
        lambda: running.add_item_note(
            s.conference, item, {"body": "x", "category": "health"}, actor=s.chair
        ),
    ) == {"category": ["Your agency's information-sharing agreements do not cover this category"]}


def test_a_referral_takes_a_decision_before_notes(setting):
    s = setting
    messages = refused(
        s,
        lambda: running.add_item_note(
            s.conference, s.items["referral"], {"body": "x", "category": "incident"}, actor=s.chair
        ),
    )
    assert messages == {
        "body": ["Open a case from the referral (or decline it) before adding notes"]
    }


# -- every decision writes the case -----------------------------------------------------------


def test_lead_agency_is_agreed_at_the_conference(setting):
    s = setting
    d = decide(s, "case", "lead_agency", agency_id=s.agencies["council"].id)
    case = s.case
    assert case.lead_agency_id == s.agencies["council"].id
    assert case.lead_agreed_by_id == s.chair.id and case.lead_agreed_at is not None
    assert case.lead_agreed_conference_id == s.conference.id
    assert d.summary == "Lead agency: Copeland Borough Council" and d.case_id == case.id
    assert s.items["case"].discussed_at is not None
    assert db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "case_lead_agreed")
    ).scalar_one()


def test_add_member_by_conference(setting):
    s = setting
    housing = s.agencies["housing"]
    d = decide(s, "case", "add_member", agency_id=housing.id, reason="Tenancy is theirs")
    membership = db.session.execute(
        select(CaseMembership).where(
            CaseMembership.case_id == s.case.id, CaseMembership.agency_id == housing.id
        )
    ).scalar_one()
    assert membership.route == "conference" and membership.reason == "Tenancy is theirs"
    assert d.summary == "Home Group added as a member agency"


def test_band_override_needs_a_reason_and_brings_the_review_forward(setting):
    s = setting
    s.case.next_review_on = date.today() + timedelta(days=300)
    db.session.flush()
    assert refused(s, lambda: decide(s, "case", "band", band="critical")) == {
        "reason": ["Enter the reason for setting the band"]
    }
    d = decide(s, "case", "band", band="critical", reason="Threats escalated this week")
    assert s.case.band == "critical" and d.reason == "Threats escalated this week"
    assert s.case.next_review_on < date.today() + timedelta(days=300)
    assert d.summary == "Band set to critical (was high)"


def test_action_is_added_to_the_case(setting):
    s = setting
    due = (date.today() + timedelta(days=14)).isoformat()
    d = decide(
        s,
        "case",
        "action",
        description="Fit a noise monitor",
        agency_id=s.chair.agency_id,
        owner_id=s.chair.id,
        due_on=due,
    )
    action = db.session.get(CaseAction, d.action_id)
    assert action.case_id == s.case.id and action.owner_id == s.chair.id
    assert "Fit a noise monitor" in d.summary


def test_next_review_date_is_set_and_not_in_the_past(setting):
    s = setting
    assert refused(
        s,
        lambda: decide(
            s, "case", "next_review", review_on=(date.today() - timedelta(days=1)).isoformat()
        ),
    ) == {"review_on": ["The next review date cannot be in the past"]}
    day = date.today() + timedelta(days=28)
    decide(s, "case", "next_review", review_on=day.isoformat())
    assert s.case.next_review_on == day


def test_refer_to_a_case_review(setting):
    s = setting
    d = decide(s, "case", "case_review")
    review = db.session.get(CaseReview, d.details["case_review_id"])
    assert review.source == "conference" and review.case_id == s.case.id


def test_close_applies_the_stage_checks(setting):
    s = setting
    messages = refused(s, lambda: decide(s, "case", "close"))
    assert "A case cannot close without a signed closure risk assessment" in messages["form"][0]
    assessments.record_assessment(
        s.case,
        {"kind": "at_closure", "problem_type": "personal", "category": "incident", "sign": True},
        actor=s.chair,
    )
    # The lead agency (police, the chair's) evaluates at the evaluation stage; a supervisor
    # (the chair, a coordinator) signs it off.
    s.case.stage, s.case.lead_agency_id = "evaluation", s.chair.agency_id
    evaluation = evaluations.save_evaluation(
        s.case,
        {
            "outcome": next(iter(EVALUATION_OUTCOMES)),
            "summary": "Quiet now",
            "victim_satisfaction": "4",
        },
        actor=s.chair,
    )
    evaluations.sign_evaluation(s.case, {"version": evaluation.version}, actor=s.chair)
    decide(s, "case", "close", reason="Problem resolved")
    assert s.case.stage == "closed" and s.case.closed_at is not None


def test_open_a_waiting_case_needs_the_lead_and_saves_the_objective(setting):
    s = setting
    waiting = s.waiting
    assert refused(s, lambda: decide(s, "waiting", "open_case"), waiting) == {
        "form": ["Agree the lead agency before opening the case"]
    }
    decide(s, "waiting", "lead_agency", agency_id=s.chair.agency_id)
    assert refused(s, lambda: decide(s, "waiting", "open_case"), waiting) == {
        "objective": ["Enter the plan's objective"]
    }
    decide(
        s,
        "waiting",
        "open_case",
        objective="Stop the nightly noise",
        success_measures="No complaints for six weeks",
    )
    assert waiting.stage == "active"
    assert plans.plan_of(waiting).objective == "Stop the nightly noise"


def test_decline_a_waiting_case_closes_it_without_closure_checks(setting):
    s = setting
    assert refused(s, lambda: decide(s, "waiting", "decline"), s.waiting) == {
        "reason": ["Enter the reason for declining"]
    }
    d = decide(s, "waiting", "decline", reason="Not ASB: a civil boundary dispute")
    assert s.waiting.stage == "closed" and d.reason.startswith("Not ASB")
    assert db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "case_closed_unopened")
    ).scalar_one()


def test_a_referral_is_opened_as_a_case_through_triage(setting):
    s = setting
    d = decide(s, "referral", "open_case", title="Youths at Mill Street")
    referral = s.referral
    assert referral.status == "triaged" and referral.decision == "new_case"
    assert s.items["referral"].case_id == referral.case_id == d.case_id
    case = db.session.get(Case, d.case_id)
    assert case.stage == "awaiting_conference" and case.title == "Youths at Mill Street"
    # Now a case on the agenda: the partners go on to agree its lead.
    decide(s, "referral", "lead_agency", agency_id=s.agencies["council"].id)
    assert case.lead_agreed_conference_id == s.conference.id


def test_a_referral_is_declined_through_triage_with_a_reason(setting):
    s = setting
    assert refused(s, lambda: decide(s, "referral", "decline")) == {
        "reason": ["Enter the reason for declining"]
    }
    assert refused(s, lambda: decide(s, "referral", "band", band="high", reason="x")) == {
        "kind": ["Open a case from the referral, or decline it, before any other decision"]
    }
    d = decide(s, "referral", "decline", reason="Signposted to mediation instead")
    assert s.referral.decision == "declined" and d.referral_id == s.referral.id
    assert d.case_id is None


# -- refusals write nothing -------------------------------------------------------------------


def test_a_decision_on_an_item_of_another_conference_or_removed_is_refused(setting):
    s = setting
    other = Conference(hub_id=s.conference.hub_id, starts_at=utcnow() + timedelta(days=7))
    db.session.add(other)
    db.session.flush()
    stray = make_case(hub(), "CPL-ELSEWHERE", s.agencies["police"])
    foreign = AgendaItem(conference_id=other.id, case_id=stray.id, reason="review_due", position=1)
    db.session.add(foreign)
    db.session.flush()
    s.items["foreign"] = foreign
    assert refused(
        s, lambda: decide(s, "foreign", "next_review", review_on="2099-01-01"), stray
    ) == {"item": ["That item is not on this conference's agenda"]}
    s.items["case"].removed = True
    db.session.flush()
    assert refused(s, lambda: decide(s, "case", "next_review", review_on="2099-01-01")) == {
        "item": ["That item is not on this conference's agenda"]
    }


def test_no_decision_unless_the_conference_is_live(setting):
    s = setting
    for status in ("scheduled", "held"):
        s.conference.status = status
        db.session.flush()
        assert refused(s, lambda: decide(s, "case", "next_review", review_on="2099-01-01")) == {
            "form": ["The conference is not in progress: decisions are recorded while it runs"]
        }


def test_nothing_changes_once_the_minutes_are_approved(setting):
    s = setting
    s.conference.minutes_approved_at = utcnow()
    db.session.flush()
    for fn in (
        lambda: decide(s, "case", "next_review", review_on="2099-01-01"),
        lambda: running.add_item_note(
            s.conference, s.items["case"], {"body": "x", "category": "incident"}, actor=s.chair
        ),
        lambda: running.end_conference(s.conference, s.conference.edit_version, actor=s.chair),
    ):
        message = refused(s, fn)["form"][0]
        assert message.startswith("The minutes were approved on ")
        assert message.endswith("; nothing about this conference can change")


def test_stale_case_or_conference_versions_are_refused(setting):
    s = setting
    before = snapshot(s.case)
    form = {"kind": "next_review", "review_on": "2099-01-01", "case_version": s.case.version - 1}
    with pytest.raises(StaleForm):
        decisions.record_decision(
            s.conference,
            s.items["case"],
            {**form, "version": s.conference.edit_version},
            actor=s.chair,
        )
    with pytest.raises(StaleForm):
        decisions.record_decision(
            s.conference,
            s.items["case"],
            {**form, "case_version": s.case.version, "version": s.conference.edit_version - 1},
            actor=s.chair,
        )
    assert snapshot(s.case) == before


def test_bad_decisions_are_refused_with_their_messages(setting):
    s = setting
    due = (date.today() + timedelta(days=7)).isoformat()
    assert refused(
        s,
        lambda: decide(
            s, "case", "action", description="Visit", agency_id=s.chair.agency_id, due_on=due
        ),
    ) == {"owner_id": ["Choose the owner"]}
    assert refused(
        s, lambda: decide(s, "case", "lead_agency", agency_id=s.agencies["housing"].id)
    ) == {"agency_id": ["Choose an agency that is a member of the case"]}


def test_a_chair_whose_agency_is_not_a_member_may_only_add_members(setting):
    s = setting
    outsider_case = make_case(hub(), "CPL-RUN-3", s.agencies["council"])
    item = AgendaItem(
        conference_id=s.conference.id, case_id=outsider_case.id, reason="review_due", position=9
    )
    db.session.add(item)
    db.session.flush()
    s.items["outsider"] = item
    messages = refused(
        s, lambda: decide(s, "outsider", "next_review", review_on="2099-01-01"), outsider_case
    )
    assert "Your agency is not a member of case CPL-RUN-3" in messages["form"][0]
    decide(s, "outsider", "add_member", agency_id=s.chair.agency_id, reason="Police to attend")
    decide(s, "outsider", "next_review", review_on="2099-01-01")
    assert outsider_case.next_review_on == date(2099, 1, 1)


# -- partners following -----------------------------------------------------------------------


def test_partners_see_decisions_only_on_cases_they_may_open(setting):
    s = setting
    decide(s, "case", "lead_agency", agency_id=s.agencies["council"].id)
    member = user(s.world.email["spoc"])  # council: a member of the case
    outsider = user(s.world.email["case_worker"])  # housing: not a member
    assert decisions.decisions_for(member, s.conference)[0]["summary"] == (
        "Lead agency: Copeland Borough Council"
    )
    [row] = decisions.decisions_for(outsider, s.conference)
    assert row["reference"] == "CPL-RUN-1" and not row["visible"]
    assert row["summary"] is None and row["kind"] is None and row["case_id"] is None
    assert decisions.decisions_marker(s.conference) == row["id"]


# -- through the pages ------------------------------------------------------------------------
#
# Each request runs in an application context of its own, as in production; the test reads
# and writes the database in its own contexts between requests.


@pytest.fixture
def served(app, world):
    with app.app_context():
        s = build(world)
        other = Conference(hub_id=s.conference.hub_id, starts_at=utcnow() + timedelta(days=7))
        db.session.add(other)
        db.session.flush()
        stray = make_case(hub(), "CPL-ELSEWHERE", s.agencies["police"])
        foreign = AgendaItem(
            conference_id=other.id, case_id=stray.id, reason="review_due", position=1
        )
        db.session.add(foreign)
        db.session.commit()
        ids = {
            "conference": s.conference.id,
            "case": s.case.id,
            "items": {k: v.id for k, v in s.items.items()} | {"foreign": foreign.id},
            "agencies": {k: v.id for k, v in s.agencies.items()},
            "chair_agency": s.chair.agency_id,
            "email": world.email,
        }
    return type("Served", (), ids)


def page_state(app, s, item_key: str) -> dict:
    with app.app_context():
        item = db.session.get(AgendaItem, s.items[item_key])
        state = snapshot(item.case)
        state["counts"].pop("AuditEntry")  # a request's own sign-in and page reads are audited
        return state


def post_decision(app, client, s, item_key: str, **data):
    with app.app_context():
        item = db.session.get(AgendaItem, s.items[item_key])
        conference = db.session.get(Conference, s.conference)
        form = {"version": conference.edit_version, "case_version": item.case.version, **data}
    url = f"/conferences/{s.conference}/live"
    return client.submit(f"{url}/items/{s.items[item_key]}/decisions", form, token_from=url)


def test_the_chair_runs_an_item_through_the_page(app, client, served):
    s = served
    client.sign_in(s.email["coordinator"])
    page = client.get(f"/conferences/{s.conference}/live?item={s.items['case']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "CPL-RUN-1" in html and "Agree the lead agency" in html
    response = post_decision(
        app, client, s, "case", kind="lead_agency", agency_id=s.agencies["council"]
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Case, s.case).lead_agreed_conference_id == s.conference
    # The case page says where the lead was agreed.
    overview = client.get(f"/cases/{s.case}").get_data(as_text=True)
    assert "agreed at the conference on" in overview


@pytest.mark.parametrize(
    ("item_key", "data", "field", "message"),
    [
        (
            "foreign",
            {"kind": "next_review", "review_on": "2099-01-01"},
            "next_review-form",
            "That item is not on this conference&#39;s agenda",
        ),
        (
            "case",
            {"kind": "action", "description": "Visit", "due_on": "2099-01-01"},
            "action-owner_id",
            "Choose the owner",
        ),
        (
            "case",
            {"kind": "lead_agency", "agency_id": "housing"},
            "lead_agency-agency_id",
            "Choose an agency that is a member of the case",
        ),
    ],
)
def test_bad_decisions_through_the_page_are_400_and_change_nothing(
    app, client, served, item_key, data, field, message
):
    s = served
    data = dict(data)
    data["agency_id"] = s.agencies.get(data.get("agency_id"), s.chair_agency)
    client.sign_in(s.email["coordinator"])
    before = page_state(app, s, item_key)
    response = post_decision(app, client, s, item_key, **data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html and f'href="#{field}"' in html
    assert message in html
    assert page_state(app, s, item_key) == before


def test_only_the_hubs_coordinators_and_managers_run_it(app, client, served):
    s = served
    client.sign_in(s.email["case_worker"])
    url = f"/conferences/{s.conference}/live"
    assert client.get(url).status_code == 404
    assert client.submit(url + "/end", {"version": 2}).status_code == 404
    with app.app_context():
        assert db.session.get(Conference, s.conference).status == "live"


def test_partners_follow_decisions_by_polling(app, client, served):
    s = served
    client.sign_in(s.email["coordinator"])
    post_decision(app, client, s, "case", kind="lead_agency", agency_id=s.agencies["council"])
    with app.app_context():
        marker = decisions.decisions_marker(db.session.get(Conference, s.conference))
    url = f"/conferences/{s.conference}/decisions"
    client = app.test_client()
    client.sign_in(s.email["spoc"])  # council: a member of the case
    page = client.get(f"/conferences/{s.conference}").get_data(as_text=True)
    assert "Lead agency: Copeland Borough Council" in page
    quiet = client.get(f"{url}?since={marker}", headers={"HX-Request": "true"})
    assert quiet.status_code == 204
    fresh = client.get(f"{url}?since=0", headers={"HX-Request": "true"})
    assert fresh.status_code == 200 and "Lead agency: Copeland" in fresh.get_data(as_text=True)
    assert "HX-Request" in fresh.headers["Vary"]
    client = app.test_client()
    client.sign_in(s.email["case_worker"])  # housing: not a member
    html = client.get(f"{url}?since=0", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "CPL-RUN-1" in html and "decision recorded" in html
    assert "Copeland Borough Council" not in html


def test_a_decision_racing_a_partners_save_is_refused_as_stale_not_a_500(
    app, client, served, monkeypatch
):
    """Found by the load mix: a partner saved the case between the decision's version check
    and its write, so the case's UPDATE matched no row. The chair is told, nothing is kept."""
    s = served
    real = case_service.set_next_review_at_conference

    def after_another_save(case, *args, **kwargs):
        table = Case.__table__
        db.session.connection().execute(  # the partner's save, unseen by this session
            update(table).where(table.c.id == case.id).values(version=table.c.version + 1)
        )
        return real(case, *args, **kwargs)

    monkeypatch.setattr(case_service, "set_next_review_at_conference", after_another_save)
    client.sign_in(s.email["coordinator"])
    before = page_state(app, s, "case")
    response = post_decision(app, client, s, "case", kind="next_review", review_on="2099-01-01")
    assert response.status_code == 409
    assert "Someone else changed this" in response.get_data(as_text=True)
    assert page_state(app, s, "case") == before
