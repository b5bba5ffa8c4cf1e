"""Demo referrals for the Copeland demo hub: a handful of realistic referrals from different
partners, scored through the real intake, and three of them triaged into cases. Idempotent: each
is submitted with a fixed idempotency key, so running the demo again adds nothing."""

from sqlalchemy import select

from hub.casework import assessments, cases, evaluations, plans, stages
from hub.extensions import db
from hub.models import Hub, HubScoringSettings, User
from referrals import intake, triage

# (referrer email, idempotency key, payload without "hub", triage: None | (coordinator, form))
DEMO_REFERRALS = [
    (
        "asb.officer@copeland.example",
        "demo-referral-1",
        {
            "about": "person",
            "category": "personal",
            "summary": "Older man targeted by youths at his flat, Mill Street",
            "description": "A group of four or five youths gathers outside his ground-floor flat "
            "most evenings, bangs on the windows and shouts abuse about his disability. He has "
            "stopped going out after dark and says he is not sleeping.",
            "first_incident_on": "2026-08-01",
            "incident_count": 14,
            "location": {
                "address": "Flat 2, 14 Mill Street, Whitehaven",
                "postcode": "CA28 7QY",
                "lat": 54.5487,
                "lon": -3.5862,
            },
            "people": [
                {
                    "role": "victim",
                    "name": "Brian Tyson",
                    "date_of_birth": "1951-06-14",
                    "vulnerabilities": ["age", "disability", "isolation"],
                },
                {"role": "subject", "name": "Kyle Bewley", "age_band": "10_17"},
            ],
            "consent": {"given": True},
            "incident_category": "asb_personal",
            "asb_type": "intimidation",
            "hate_strands": ["disability"],
            "crime_reference": "CR/2026/041187",
            "risk": {
                "targeted": True,
                "repeat": True,
                "vulnerable": True,
                "hate_motivated": True,
                "fear_for_safety": True,
                "health_affected": True,
                "isolated": True,
            },
        },
        ("ps.coordinator@cumbria-police.example", "Disability hate, Mill Street flats"),
    ),
    (
        "tenancy@homegroup.example",
        "demo-referral-2",
        {
            "about": "place",
            "category": "nuisance",
            "summary": "Drug litter and gatherings in the stairwell, Hensingham flats",
            "description": "Tenants report people gathering in the communal stairwell late at "
            "night, needles left on the landing and the entry door wedged open.",
            "first_incident_on": "2026-09-12",
            "incident_count": 6,
            "location": {"address": "Block C, Overend Road, Hensingham", "postcode": "CA28 8RF"},
            "people": [
                {"role": "victim", "name": "Residents of Block C", "is_group": True},
            ],
            "consent": {"given": True},
            "incident_category": "asb_nuisance",
            "asb_type": "drugs",
            "risk": {
                "community_impact": True,
                "escalating": True,
                "children_affected": True,
                "fear_for_safety": "unknown",
            },
        },
        ("ps.coordinator@cumbria-police.example", "Drug litter and gatherings, Block C stairwell"),
    ),
    (
        "pcso@cumbria-police.example",
        "demo-referral-3",
        {
            "about": "person",
            "category": "personal",
            "summary": "Neighbour dispute escalating to threats, Cleator Moor",
            "description": "Long-running dispute over parking. Last week the neighbour "
            "threatened to 'burn the house down' with the victim's children present.",
            "first_incident_on": "2026-06-20",
            "incident_count": 9,
            "location": {"address": "7 Jacktrees Road, Cleator Moor", "postcode": "CA25 5AU"},
            "people": [
                {
                    "role": "victim",
                    "name": "Sarah Wilson",
                    "date_of_birth": "1987-01-30",
                    "vulnerabilities": ["children"],
                },
                {"role": "household_member", "name": "Ellie Wilson", "age_band": "under_10"},
                {"role": "subject", "name": "Gary Fisher", "date_of_birth": "1979-11-02"},
            ],
            "consent": {"given": False, "reason": "Risk of harm to children; s115 disclosure"},
            "risk": {
                "targeted": True,
                "threats_or_violence": True,
                "fear_for_safety": True,
                "children_affected": True,
                "escalating": True,
                "threat_to_life": True,
            },
        },
        ("ps.coordinator@cumbria-police.example", "Threats to a family, Cleator Moor"),
    ),
    (
        "support@ageuk-westcumbria.example",
        "demo-referral-4",
        {
            "about": "problem",
            "category": "environmental",
            "summary": "Repeated fly-tipping behind Lowther Street shops",
            "description": "Bags of household waste and a mattress dumped behind the shops "
            "every week; rats seen by the sheltered housing next door.",
            "first_incident_on": "2026-10-01",
            "incident_count": 5,
            "location": {
                "address": "Rear of 40 Lowther Street, Whitehaven",
                "postcode": "CA28 7DN",
            },
            "people": [],
            "consent": {"given": True},
            "risk": {"community_impact": True},
        },
        None,
    ),
    (
        "community.safety@cumbria.example",
        "demo-referral-5",
        {
            "about": "person",
            "category": "personal",
            "summary": "Same victim again: stones thrown at windows, Mill Street",
            "description": "Stones thrown at the windows of the same ground-floor flat on two "
            "nights this week; one window cracked.",
            "first_incident_on": "2026-11-02",
            "incident_count": 2,
            "location": {
                "address": "Flat 2, 14 Mill St., Whitehaven",
                "postcode": "ca28 7qy",
                "lat": 54.5488,
                "lon": -3.5863,
            },
            "people": [
                {
                    "role": "victim",
                    "name": "Mr Bryan Tyson",
                    "date_of_birth": "1951-06-14",
                    "vulnerabilities": ["age", "disability"],
                },
            ],
            "consent": {"given": True},
            "risk": {"targeted": True, "repeat": True, "fear_for_safety": True},
        },
        None,
    ),
]

# More of a hub's ordinary week, so the board shows every band and stage: (referrer email, key,
# payload, (coordinator, title), the stage the demo takes the case to).
WORKED_REFERRALS = [
    (
        "tenancy@homegroup.example",
        "demo-referral-6",
        {
            "about": "problem",
            "category": "nuisance",
            "summary": "Loud music and parties most weekends, Woodhouse",
            "description": "Tenants below report music until 4am most Fridays and Saturdays "
            "and guests shouting on the landing.",
            "first_incident_on": "2026-07-04",
            "incident_count": 11,
            "location": {"address": "Top floor, 3 Valley View, Woodhouse", "postcode": "CA28 9LP"},
            "people": [{"role": "victim", "name": "Residents of 3 Valley View", "is_group": True}],
            "consent": {"given": True},
            "risk": {"repeat": True, "routine_affected": True, "health_affected": True},
        },
        ("ps.coordinator@cumbria-police.example", "Noise nuisance, Valley View flats"),
        "active",
    ),
    (
        "pcso@cumbria-police.example",
        "demo-referral-7",
        {
            "about": "place",
            "category": "environmental",
            "summary": "Off-road bikes on the cycle path, Castle Park",
            "description": "Two or three off-road bikes ridden at speed along the cycle path "
            "and through the park in the evenings; walkers have had to jump clear.",
            "first_incident_on": "2026-05-10",
            "incident_count": 8,
            "location": {"address": "Castle Park cycle path, Whitehaven", "postcode": "CA28 7TU"},
            "people": [],
            "consent": {"given": True},
            "risk": {"community_impact": True, "repeat": True},
        },
        ("ps.coordinator@cumbria-police.example", "Off-road bikes, Castle Park"),
        "review",
    ),
    (
        "asb.officer@copeland.example",
        "demo-referral-8",
        {
            "about": "problem",
            "category": "environmental",
            "summary": "Graffiti on the underpass, Kells",
            "description": "Tags sprayed on the underpass walls every few weeks since spring.",
            "first_incident_on": "2026-03-15",
            "incident_count": 4,
            "location": {"address": "Underpass, Kells Lane, Whitehaven", "postcode": "CA28 9AQ"},
            "people": [],
            "consent": {"given": True},
            "risk": {},
        },
        ("ps.coordinator@cumbria-police.example", "Graffiti, Kells underpass"),
        "closed",
    ),
    (
        "housing@westfield.example",
        "demo-referral-9",
        {
            "about": "person",
            "category": "personal",
            "summary": "Tenant harassed by a neighbour's visitors, Egremont",
            "description": "Visitors to the flat next door have twice followed the tenant to "
            "her door and made remarks about her; she now waits for them to leave before "
            "going out.",
            "first_incident_on": "2026-09-01",
            "incident_count": 3,
            "location": {"address": "12 Bookwell, Egremont", "postcode": "CA22 2LS"},
            "people": [
                {"role": "victim", "name": "Janet Holliday", "age_band": "65_79"},
            ],
            "consent": {"given": True},
            "risk": {"targeted": True, "repeat": True, "vulnerable": True, "fear_for_safety": True},
        },
        ("ps.coordinator@cumbria-police.example", "Harassment of a tenant, Bookwell"),
        "evaluation",
    ),
]

# The demo hub's weekly conference: Wednesdays at 10:00.
CONFERENCE = {"conference_weekday": 2, "conference_time": "10:00"}


def build_demo_referrals(hub: Hub) -> int:
    """Add the demo referrals (triage three into cases, and work four more cases to active,
    review, evaluation and closed). Returns how many rows it created."""
    created = 0
    settings = db.session.execute(
        select(HubScoringSettings).where(HubScoringSettings.hub_id == hub.id)
    ).scalar_one_or_none()
    if settings is None:
        db.session.add(HubScoringSettings(hub_id=hub.id, **CONFERENCE))
        db.session.flush()
        created += 1
    emails = (
        {e for e, *_ in DEMO_REFERRALS}
        | {t[0] for *_, t in DEMO_REFERRALS if t}
        | {e for e, *_ in WORKED_REFERRALS}
        | {t[0] for _, _, _, t, _ in WORKED_REFERRALS}
    )
    users = {
        u.email: u for u in db.session.execute(select(User).where(User.email.in_(emails))).scalars()
    }
    for user in users.values():
        db.session.expire(user.agency, ["hubs"])  # memberships may be new in this transaction
    for email, key, payload, decision in DEMO_REFERRALS:
        referral, new = intake.submit_referral(
            payload | {"hub": hub.slug}, user=users[email], idempotency_key=key
        )
        created += new
        if decision and referral.status == "submitted":
            coordinator, title = decision
            triage.decide(
                referral,
                {
                    "decision": "new_case",
                    "title": title,
                    "reason": "Meets the hub's threshold: conference to agree a plan.",
                },
                user=users[coordinator],
            )
            created += 1
    for email, key, payload, (coordinator, title), stage in WORKED_REFERRALS:
        referral, new = intake.submit_referral(
            payload | {"hub": hub.slug}, user=users[email], idempotency_key=key
        )
        created += new
        if referral.status != "submitted":
            continue  # triaged and worked on an earlier run
        triage.decide(
            referral,
            {"decision": "new_case", "title": title, "reason": "Meets the hub's threshold."},
            user=users[coordinator],
        )
        created += 1 + _work_to(referral.case, stage, users[coordinator])
    return created


# The steps a case takes to each stage, through the casework services (the checks are real).
PLANS = {
    "Noise nuisance, Valley View flats": "Music stops by 11pm at weekends",
    "Off-road bikes, Castle Park": "No off-road bikes on the path for three months",
    "Graffiti, Kells underpass": "Underpass clean and kept clean",
    "Harassment of a tenant, Bookwell": "Tenant goes out without fear",
}


def _work_to(case, stage: str, coordinator) -> int:
    """Agree the lead, write the plan and move the case on to `stage`. Returns rows made."""
    cases.update_case(
        case,
        {
            "title": case.title,
            "lead_agency_id": coordinator.agency_id,
            "version": case.version,
        },
        actor=coordinator,
    )
    plans.save_plan(
        case,
        {"objective": PLANS[case.title], "success_measures": "No new reports for eight weeks"},
        actor=coordinator,
    )
    order = ["active", "review", "evaluation", "closed"]
    for step in order[: order.index(stage) + 1]:
        if step == "closed":
            assessments.record_assessment(
                case,
                {
                    "kind": "at_closure",
                    "problem_type": "environmental",
                    "answers": [],
                    "category": "incident",
                    "sign": True,
                },
                actor=coordinator,
            )
            # The lead agency (the coordinator's) evaluates; the coordinator signs it off.
            evaluation = evaluations.save_evaluation(
                case,
                {
                    "outcome": "ceased",
                    "summary": "No new tags since the wall was painted.",
                    "measure_0_met": "met",
                    "victim_not_asked": "A problem of a place: no one victim to ask",
                },
                actor=coordinator,
            )
            evaluations.sign_evaluation(case, {"version": evaluation.version}, actor=coordinator)
        stages.move_stage(case, step, case.version, actor=coordinator)
    return 2 + order.index(stage) + 1
