"""Demo referrals for the Copeland demo hub: a handful of realistic referrals from different
partners, scored through the real intake, and three of them triaged into cases. Idempotent: each
is submitted with a fixed idempotency key, so running the demo again adds nothing."""

from sqlalchemy import select

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

# The demo hub's weekly conference: Wednesdays at 10:00.
CONFERENCE = {"conference_weekday": 2, "conference_time": "10:00"}


def build_demo_referrals(hub: Hub) -> int:
    """Add the demo referrals (and triage three into cases). Returns how many rows it created."""
    created = 0
    settings = db.session.execute(
        select(HubScoringSettings).where(HubScoringSettings.hub_id == hub.id)
    ).scalar_one_or_none()
    if settings is None:
        db.session.add(HubScoringSettings(hub_id=hub.id, **CONFERENCE))
        db.session.flush()
        created += 1
    emails = {e for e, *_ in DEMO_REFERRALS} | {t[0] for *_, t in DEMO_REFERRALS if t}
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
    return created
