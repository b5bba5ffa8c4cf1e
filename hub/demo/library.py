"""The demo hub's evaluated cases and its library of lessons, built through the areas' own
services (intake, triage, casework, the evaluation, drafting and review), so the demo passes
every check a real hub's records do, the personal-data check among them. Idempotent: a case
is found by its referral's idempotency key, a lesson by its title."""

from datetime import timedelta

from sqlalchemy import select

from hub.casework import (
    assessments,
    cases,
    evaluations,
    interventions,
    membership,
    plans,
    stages,
)
from hub.demo.lessons import LESSONS
from hub.extensions import db
from hub.lessons import drafting
from hub.models import Case, Hub, Lesson, Referral, User
from hub.permissions import hub_today
from referrals import intake, triage

ASB_OFFICER = "asb.officer@copeland.example"
COORDINATOR = "ps.coordinator@cumbria-police.example"
MANAGER = "hub.manager@copeland.example"
HOUSING = "tenancy@homegroup.example"

# Two problems the hub worked and closed: the referral, the plan, what was used and when
# (days before today), and the evaluation the lead agency (Home Group) wrote.
EVALUATED = [
    dict(
        key="demo-evaluated-1",
        title="Late-night noise, Bransty flats",
        lesson="noise_mediation_flats",
        payload={
            "about": "problem",
            "category": "nuisance",
            "summary": "Loud music most nights from an upstairs flat, Bransty",
            "description": "Tenants of the flats below report music and shouting after "
            "midnight four or five nights a week for three months; one works early shifts and "
            "is not sleeping.",
            "first_incident_on": "2026-02-01",
            "incident_count": 9,
            "location": {
                "address": "Flat 6, 3 Bransty Row, Whitehaven",
                "postcode": "CA28 7XE",
                "lat": 54.5530,
                "lon": -3.5880,
            },
            "people": [
                {"role": "victim", "name": "Janet Moffat", "date_of_birth": "1968-03-02"},
                {"role": "subject", "name": "Ryan Stoddart", "date_of_birth": "1994-11-20"},
            ],
            "consent": {"given": True},
            "risk": {"repeat": True, "health_affected": True},
        },
        plan={
            "objective": "Stop the late-night noise so the tenants below can sleep",
            "success_measures": "No noise complaints for eight weeks\nThe tenant agrees quiet "
            "hours with the neighbours",
            "scanning": "Nine reports in three months, all after midnight",
            "response": "Warning letter from Home Group, then mediation",
        },
        used=[("warning_letter", 200), ("mediation", 170)],
        evaluation={
            "outcome": "ceased",
            "summary": "No noise reports since the mediation; the tenant now uses headphones "
            "after 11pm",
            "objective_result": "Met: the tenants below report unbroken nights",
            "measure_0_met": "met",
            "measure_1_met": "met",
            "worked_warning_letter": "partly",
            "worked_mediation": "worked",
            "victim_satisfaction": "5",
            "victim_words": "It is like living somewhere new",
            "officer_hours": "11",
        },
    ),
    dict(
        key="demo-evaluated-2",
        title="Teenagers gathering, Castle Park play area",
        lesson="youth_park_diversion",
        payload={
            "about": "place",
            "category": "nuisance",
            "summary": "Young people drinking and damaging the play area, Castle Park",
            "description": "Groups of up to fifteen teenagers in the play area most summer "
            "evenings: drinking, a swing broken, dog walkers shouted at.",
            "first_incident_on": "2026-04-10",
            "incident_count": 12,
            "location": {
                "address": "Castle Park play area, Whitehaven",
                "postcode": "CA28 7PX",
                "lat": 54.5470,
                "lon": -3.5800,
            },
            "people": [],
            "consent": {"given": True},
            "risk": {"repeat": True, "community_impact": True, "children_affected": True},
        },
        plan={
            "objective": "Make the play area safe to use in the evenings again",
            "success_measures": "Reports halved over the summer\nNo damage to the equipment",
            "scanning": "Twelve reports since April, mostly Friday and Saturday evenings",
            "response": "Dispersal on the worst weekends; youth workers in the park; letters "
            "to parents",
        },
        used=[("dispersal", 190), ("diversion", 175), ("warning_letter", 160)],
        evaluation={
            "outcome": "reduced",
            "summary": "Reports fell from twelve to four over the summer; the Friday football "
            "session drew most of the group",
            "objective_result": "Partly met: quieter, though one group moved on to the next "
            "estate for a fortnight",
            "measure_0_met": "met",
            "measure_1_met": "partly",
            "worked_dispersal": "did_not",
            "worked_diversion": "worked",
            "worked_warning_letter": "partly",
            "victim_not_asked": "A problem of a place: residents were asked at the park "
            "meeting instead",
            "officer_hours": "46",
        },
    ),
]


def _user(email: str) -> User:
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def _evaluated_case(hub: Hub, spec: dict, people: dict) -> tuple[Case, bool]:
    referral, _ = intake.submit_referral(
        spec["payload"] | {"hub": hub.slug}, user=people["officer"], idempotency_key=spec["key"]
    )
    if referral.status == "submitted":
        triage.decide(
            referral,
            {
                "decision": "new_case",
                "title": spec["title"],
                "reason": "Meets the hub's threshold: conference to agree a plan.",
            },
            user=people["coordinator"],
        )
    case = db.session.get(Case, db.session.get(Referral, referral.id).case_id)
    if case.stage == "closed":
        return case, False
    housing = people["housing"]
    manager = people["manager"]
    for member in (housing, people["coordinator"]):
        membership.add_member(
            case,
            member.agency_id,
            route="conference",
            reason="Agreed at conference: a partner in the plan",
            actor=manager,
        )
    cases.update_case(
        case,
        {"title": spec["title"], "lead_agency_id": housing.agency_id, "version": case.version},
        actor=manager,
    )
    plans.save_plan(case, {**spec["plan"], "version": "0"}, actor=housing)
    today = hub_today()
    for kind, days_ago in spec["used"]:
        interventions.record_intervention(
            case,
            {
                "type": kind,
                "issuing_officer": "Home Group tenancy team",
                "subject": "The flat" if spec["payload"]["about"] != "place" else "The play area",
                "category": "incident",
                "served_on": (today - timedelta(days=days_ago)).isoformat(),
            },
            actor=housing,
        )
    for stage in ("active", "evaluation"):
        stages.move_stage(case, stage, case.version, actor=manager)
    assessments.record_assessment(
        case,
        {"kind": "at_closure", "problem_type": "nuisance", "category": "incident", "sign": True},
        actor=manager,
    )
    draft = evaluations.save_evaluation(case, spec["evaluation"], actor=housing)
    evaluations.sign_evaluation(case, {"version": draft.version}, actor=manager)
    stages.move_stage(case, "closed", case.version, actor=manager)
    return case, True


def _lesson_form(spec: dict) -> dict:
    return {
        "title": spec["title"],
        "problem": spec["problem"],
        "context": spec["context"],
        "people_roles": spec["people_roles"],
        "tried": spec["tried"],
        "worked": spec["worked"],
        "not_worked": spec["not_worked"],
        "asb_category": spec["category"],
        "place_type": spec["place"],
        "outcome": spec["outcome"],
        "interventions": spec["interventions"],
        "tags": ", ".join(spec["tags"]),
        "submit": "1",
    }


def build_demo_library(hub: Hub) -> int:
    """The evaluated cases, then the library: each lesson drafted by a partner, checked and
    published by the hub manager; two drawn from the evaluated cases. Returns rows created."""
    people = {
        "officer": _user(ASB_OFFICER),
        "coordinator": _user(COORDINATOR),
        "manager": _user(MANAGER),
        "housing": _user(HOUSING),
    }
    for user in people.values():
        db.session.expire(user.agency, ["hubs"])  # memberships may be new in this transaction
    created = 0
    drawn: dict[str, Case] = {}
    for spec in EVALUATED:
        case, new = _evaluated_case(hub, spec, people)
        created += new
        drawn[spec["lesson"]] = case
    titles = set(db.session.execute(select(Lesson.title).where(Lesson.hub_id == hub.id)).scalars())
    authors = [people["officer"], people["housing"], people["coordinator"]]
    for n, spec in enumerate(LESSONS):
        if spec["title"] in titles:
            continue
        author = authors[n % len(authors)]
        case = drawn.get(spec["key"])
        source = "evaluation" if case is not None else "own"
        if case is not None:
            author = people["housing"]  # the lead agency, which may read the evaluation
        lesson = drafting.create_draft(
            hub, _lesson_form(spec), actor=author, source=source, case=case
        )
        reviewer = people["manager"] if author.id != people["manager"].id else people["coordinator"]
        drafting.review(lesson, {"decision": "publish", "version": lesson.version}, actor=reviewer)
        created += 1
    return created
