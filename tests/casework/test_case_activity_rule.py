"""The activity feed filters through the section 115 rule exactly as the records it is about;
every write on a case is audited."""

from sqlalchemy import select

from hub import permissions as perm
from hub.casework import actions as case_actions
from hub.casework import assessments, cases, evaluations, interventions, notes, plans
from hub.casework.activity import log
from hub.extensions import db
from hub.models import Activity, Agency, AuditEntry, Hub, User
from tests.support.factories import make_case, make_isa, make_note


def setup(world):
    hub = db.session.get(Hub, world.hub_id)
    council, police, housing = (
        db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police", "housing")
    )
    user = {k: db.session.get(User, world.user_id[k]) for k in world.user_id}
    return hub, council, police, housing, user


def visible(user, case):
    perm.g.pop("_casework_access", None)
    query = select(Activity).where(perm.visible_activity())
    params = perm.visible_activity_params(user, case)
    return {a.summary for a in db.session.execute(query, params).scalars()}


def test_feed_entries_follow_their_records(app, ctx, world):
    hub, council, police, housing, user = setup(world)
    make_isa(hub, [council, police], ["incident", "health"], reference="ISA-A")
    make_isa(hub, [housing], ["incident"], reference="ISA-B")  # housing: no health
    case = make_case(hub, "CPL-A1", council, police, housing)
    spoc = user["spoc"]  # council
    log(case, spoc, "stage_changed", "case data")
    health = make_note(case, council, spoc, category="health")
    log(case, spoc, "note_added", "health note", record=health)
    secret = make_note(case, council, spoc, restricted_to=[police])
    log(case, spoc, "note_added", "restricted note", record=secret)

    assert visible(user["spoc"], case) == {"case data", "health note", "restricted note"}
    assert visible(user["coordinator"], case) == {"case data", "health note", "restricted note"}
    assert visible(user["case_worker"], case) == {"case data"}  # no health; not named
    assert visible(user["analyst"], case) == set()  # role reads no case data
    other = make_case(hub, "CPL-A2", police)
    log(other, user["coordinator"], "stage_changed", "police only")
    assert visible(user["case_worker"], other) == set()  # not a member


def test_every_write_is_audited(app, ctx, world):
    hub, council, police, housing, user = setup(world)
    make_isa(hub, [council, housing], ["incident"], reference="ISA-W")
    case = make_case(hub, "CPL-W1", council, housing, stage="referred")
    manager = user["hub_manager"]
    notes.add_note(case, {"body": "b", "category": "incident"}, actor=manager)
    cases.update_case(
        case,
        {"title": "New title", "lead_agency_id": housing.id, "version": case.version},
        actor=manager,
    )
    plans.save_plan(
        case, {"objective": "o", "success_measures": "m", "version": "0"}, actor=manager
    )
    action = case_actions.add_action(
        case,
        {
            "description": "d",
            "agency_id": council.id,
            "owner_id": manager.id,
            "due_on": "2030-01-01",
        },
        actor=manager,
    )
    done = {
        "description": "d",
        "agency_id": council.id,
        "owner_id": manager.id,
        "due_on": "2030-01-01",
        "status": "done",
        "version": action.version,
    }
    case_actions.update_action(case, action, done, actor=manager)
    assessments.record_assessment(
        case,
        {"kind": "initial", "problem_type": "nuisance", "category": "incident", "sign": True},
        actor=manager,
    )
    interventions.record_intervention(
        case,
        {"type": "advice", "subject": "Flat 1", "issuing_officer": "O", "category": "incident"},
        actor=manager,
    )
    case.stage, case.lead_agency_id = "evaluation", council.id
    evaluations.save_evaluation(
        case,
        {"outcome": "reduced", "summary": "s", "measure_0_met": "met", "victim_not_asked": "n"},
        actor=manager,
    )
    actions = set(
        db.session.execute(
            select(AuditEntry.action).where(AuditEntry.user_id == manager.id)
        ).scalars()
    )
    assert {
        "case_note_added",
        "case_updated",
        "plan_saved",
        "action_added",
        "action_updated",
        "risk_assessment_recorded",
        "risk_assessment_signed",
        "intervention_recorded",
        "evaluation_saved",
    } <= actions
    kinds = [a.kind for a in db.session.execute(select(Activity).order_by(Activity.id)).scalars()]
    assert kinds == [
        "note_added",
        "case_updated",
        "plan_saved",
        "action_added",
        "action_updated",
        "risk_signed",
        "intervention_recorded",
        "evaluation_saved",
    ]


def test_notification_email_waits_for_the_commit(app, ctx, world, outbox):
    from hub.casework.activity import follow

    hub, council, police, housing, user = setup(world)
    make_isa(hub, [council, housing], ["incident"], reference="ISA-M")
    case = make_case(hub, "CPL-M1", council, housing)
    follow(case, user["case_worker"])
    db.session.commit()
    log(case, user["spoc"], "stage_changed", "moved")
    assert outbox == []
    db.session.rollback()  # the write failed: nobody hears of it
    db.session.commit()
    assert outbox == []
    log(case, user["spoc"], "stage_changed", "moved")
    db.session.commit()
    assert [m["To"] for m in outbox] == [world.email["case_worker"]]
