"""A second demo hub, for the City of London, whose police.uk months ship with the hub
(data/police-uk/, Open Government Licence): a newcomer's dashboard, hotspot map and place
histories show real open data. Copeland's demo hub is in Cumbria, where these London rows
would all fall outside its area. Safe to run twice: everything is looked up first, and the
import adds nothing the hub holds."""

from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from hub.analytics import area, police_uk
from hub.core.security import hash_password
from hub.extensions import db
from hub.models import (
    Agency,
    Hub,
    HubAgency,
    HubScoringSettings,
    InformationSharingAgreement,
    IsaCategory,
    IsaSignatory,
    IsaStatus,
    Role,
    User,
    UserRole,
)
from referrals import intake, triage

HUB = {"slug": "city-of-london", "name": "City of London Focus Hub", "area": "City of London"}
AGENCIES = [
    ("City of London Police", "police"),
    ("City of London Corporation", "council"),
    ("London Fire Brigade", "fire"),
    ("St Mungo's", "voluntary"),
]
# (email, name, agency, roles in the hub)
PEOPLE = [
    (
        "hub.manager@cityoflondon.example",
        "Grace Adeyemi",
        "City of London Corporation",
        ["hub_manager"],
    ),
    ("analyst@cityoflondon-police.example", "Tom Reilly", "City of London Police", ["analyst"]),
    (
        "coordinator@cityoflondon-police.example",
        "Insp Sarah Cole",
        "City of London Police",
        ["coordinator", "case_worker"],
    ),
    (
        "asb.officer@cityoflondon.example",
        "Daniel Okafor",
        "City of London Corporation",
        ["referrer", "case_worker"],
    ),
]


def _referral(summary, description, address, lat, lon, category, people, risk):
    return {
        "about": "place",
        "category": category,
        "summary": summary,
        "description": description,
        "first_incident_on": "2026-10-01",
        "incident_count": 6,
        "location": {"address": address, "postcode": "EC2M 4NS", "lat": lat, "lon": lon},
        "people": people,
        "consent": {"given": True},
        "risk": risk,
    }


# At three of police.uk's busiest snap points in the City, so their place history has context.
REFERRALS = [
    (
        "city-demo-1",
        _referral(
            "Rough sleepers harassed in the pedestrian subway, Liverpool Street",
            "Night staff report groups shouting at and filming people sleeping in the subway.",
            "Pedestrian subway, Liverpool Street",
            51.518029,
            -0.082722,
            "personal",
            [{"role": "victim", "name": "Alan Marsh", "age_band": "45_64"}],
            {"targeted": True, "repeat": True, "vulnerable": True, "fear_for_safety": True},
        ),
        "Harassment in the Liverpool Street subway",
    ),
    (
        "city-demo-2",
        _referral(
            "Street drinking and litter outside shops, Bishopsgate",
            "Shop staff report daily street drinking, litter and urination in doorways.",
            "Bishopsgate, near Liverpool Street station",
            51.519615,
            -0.07908,
            "environmental",
            [],
            {"community_impact": True, "escalating": True},
        ),
        "Street drinking, Bishopsgate",
    ),
    (
        "city-demo-3",
        _referral(
            "Noise from a late bar, Bow Lane",
            "Residents of the flats above report music and shouting until 4am at weekends.",
            "Flats above 12 Bow Lane",
            51.513447,
            -0.093493,
            "nuisance",
            [{"role": "victim", "name": "Priya Nair", "age_band": "25_44"}],
            {"health_affected": True, "routine_affected": True},
        ),
        None,
    ),
]


def _get_or_create(model, lookup: dict, **values):
    row = db.session.execute(select(model).filter_by(**lookup)).scalar_one_or_none()
    if row is not None:
        return row, False
    row = model(**lookup, **values)
    db.session.add(row)
    db.session.flush()
    return row, True


def data_dir() -> Path:
    return Path(current_app.root_path).parent / "data" / "police-uk"


def build(password: str) -> dict:
    """Build the City hub, import the shipped police.uk months, and add its referrals."""
    # As in the Copeland demo hub: a password alone signs in, so each role is quick to try.
    hub, _ = _get_or_create(
        Hub,
        {"slug": HUB["slug"]},
        name=HUB["name"],
        area=HUB["area"],
        two_factor_required=False,
    )
    agencies = {}
    for name, kind in AGENCIES:
        agencies[name], _ = _get_or_create(Agency, {"name": name}, kind=kind)
        _get_or_create(HubAgency, {"hub_id": hub.id, "agency_id": agencies[name].id})
    password_hash = hash_password(password)
    people = []
    users = {}
    for email, name, agency, roles in PEOPLE:
        user, _ = _get_or_create(
            User,
            {"email": email},
            name=name,
            agency_id=agencies[agency].id,
            password_hash=password_hash,
        )
        users[email] = user
        for role in roles:
            _get_or_create(UserRole, {"user_id": user.id, "hub_id": hub.id, "role": role})
        labels = ", ".join(Role(r).label for r in roles)
        people.append((email, f"{labels} — {agency} (City of London hub)"))
    isa, new = _get_or_create(
        InformationSharingAgreement,
        {"hub_id": hub.id, "reference": "COL-ISA-2026"},
        title="City of London Focus Hub information-sharing agreement",
        purpose="Reducing antisocial behaviour in the City of London and protecting its victims.",
        legal_basis="Section 115 Crime and Disorder Act 1998; UK GDPR Article 6(1)(e).",
        status=IsaStatus.IN_FORCE.value,
        starts_on=date(2026, 4, 1),
        review_on=date(2027, 4, 1),
        expires_on=date(2028, 3, 31),
    )
    if new:
        isa.signatories = [
            IsaSignatory(agency_id=a.id, signed_by="Head of Service", signed_on=date(2026, 3, 20))
            for a in agencies.values()
        ]
        isa.categories = [
            IsaCategory(category=c)
            for c in ("identity", "incident", "housing", "health", "safeguarding", "victim_contact")
        ]
    _get_or_create(
        HubScoringSettings, {"hub_id": hub.id}, conference_weekday=3, conference_time="10:00"
    )
    if not area.places_of(hub):
        area.set_places(hub, ["City of London"])
    job = police_uk.start(hub, source="command", all_crimes=True)
    police_uk.run(job, police_uk.files_at([data_dir()]), lambda _job: db.session.flush())
    for user in users.values():
        db.session.expire(user.agency, ["hubs"])
    for key, payload, title in REFERRALS:
        referral, _new = intake.submit_referral(
            payload | {"hub": hub.slug},
            user=users["asb.officer@cityoflondon.example"],
            idempotency_key=key,
        )
        if title and referral.status == "submitted":
            triage.decide(
                referral,
                {"decision": "new_case", "title": title, "reason": "Meets the hub's threshold."},
                user=users["coordinator@cityoflondon-police.example"],
            )
    return {"hub": hub.name, "import": (job.added, job.skipped), "people": people}
