"""A realistic demo hub: a coastal borough partnership like Cumbria's Copeland Hub.

Names of people are invented; agencies follow the shape of a real West Cumbrian partnership.
Running it twice changes nothing: every record is looked up before it is created.
"""

import io
import wave
from datetime import date, timedelta

from flask import current_app
from fpdf import FPDF
from sqlalchemy import select

from hub.casework import assessments, evidence, incidents, interventions, letters, powers
from hub.conferences import case_reviews, urgent
from hub.conferences.slot import ensure_weekly_conferences
from hub.core.security import hash_password
from hub.core.timeutil import utcnow
from hub.demo.case_reviews import build_demo_case_review
from hub.demo.library import build_demo_library
from hub.demo.referrals import build_demo_referrals
from hub.demo.victims import build_demo_victims
from hub.extensions import db
from hub.models import (
    Agency,
    Case,
    CaseIncident,
    CaseReview,
    Hub,
    HubAgency,
    InformationSharingAgreement,
    IsaCategory,
    IsaSignatory,
    IsaStatus,
    RiskAssessment,
    Role,
    User,
    UserRole,
)
from hub.models.conference import ConferenceSlot, StandingAttendee
from hub.permissions import hub_today

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - the demo's published password

HUB = {"slug": "copeland", "name": "Copeland Focus Hub", "area": "Copeland, West Cumbria"}

AGENCIES = [
    ("Copeland Borough Council", "council"),
    ("Cumbria County Council", "council"),
    ("Cumbria Constabulary", "police"),
    ("Home Group", "housing"),
    ("Westfield Housing Association", "housing"),
    ("Cumbria Fire and Rescue Service", "fire"),
    ("North Cumbria Integrated Care NHS Foundation Trust", "health"),
    ("Age UK West Cumbria", "voluntary"),
    ("Cumbria Youth Justice Service", "youth_justice"),
]

# (email, name, agency, roles in the hub, unscoped roles)
PEOPLE = [
    (
        "asb.officer@copeland.example",
        "Rachel Dixon",
        "Copeland Borough Council",
        ["referrer", "case_worker"],
        [],
    ),
    (
        "ps.coordinator@cumbria-police.example",
        "Sgt Mark Tyson",
        "Cumbria Constabulary",
        ["coordinator", "case_worker"],
        [],
    ),
    (
        "pcso@cumbria-police.example",
        "PCSO Amy Walker",
        "Cumbria Constabulary",
        ["referrer", "case_worker"],
        [],
    ),
    ("tenancy@homegroup.example", "Joanne Birkett", "Home Group", ["referrer", "case_worker"], []),
    (
        "housing@westfield.example",
        "Liam Postlethwaite",
        "Westfield Housing Association",
        ["case_worker"],
        [],
    ),
    ("victim.spoc@copeland.example", "Sandra Moore", "Copeland Borough Council", ["spoc"], []),
    (
        "hub.manager@copeland.example",
        "David Fearon",
        "Copeland Borough Council",
        ["hub_manager"],
        [],
    ),
    ("analyst@cumbria-police.example", "Priya Shah", "Cumbria Constabulary", ["analyst"], []),
    (
        "safeguarding@cumbria-fire.example",
        "Tom Nicholson",
        "Cumbria Fire and Rescue Service",
        ["case_worker"],
        [],
    ),
    (
        "mental.health@ncic-nhs.example",
        "Dr Helen Graves",
        "North Cumbria Integrated Care NHS Foundation Trust",
        ["case_worker"],
        [],
    ),
    ("support@ageuk-westcumbria.example", "Margaret Hind", "Age UK West Cumbria", ["referrer"], []),
    ("yjs@cumbria.example", "Kieran Jackson", "Cumbria Youth Justice Service", ["case_worker"], []),
    (
        "community.safety@cumbria.example",
        "Alison Kerr",
        "Cumbria County Council",
        ["referrer"],
        ["agency_manager"],
    ),
    (
        "information.governance@copeland.example",
        "Claire Sewell",
        "Copeland Borough Council",
        ["dpo"],
        [],
    ),
    (
        "admin@focushub.example",
        "System Administrator",
        "Copeland Borough Council",
        [],
        ["sysadmin"],
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


# The hub's information-sharing agreements: one every partner signs, and a narrower one for
# police intelligence, which only the police and the council's ASB team receive.
AGREEMENTS = [
    (
        "CPL-ISA-2026",
        "Copeland Focus Hub information-sharing agreement",
        [a for a, _ in AGENCIES],
        ["identity", "incident", "housing", "health", "safeguarding", "victim_contact"],
    ),
    (
        "CPL-ISA-2026-PI",
        "Copeland Focus Hub: police intelligence",
        ["Cumbria Constabulary", "Copeland Borough Council"],
        ["police_intelligence"],
    ),
]


def _build_agreements(hub: Hub, agencies: dict) -> int:
    created = 0
    for reference, title, signatories, categories in AGREEMENTS:
        isa, new = _get_or_create(
            InformationSharingAgreement,
            {"hub_id": hub.id, "reference": reference},
            title=title,
            purpose="Reducing antisocial behaviour in Copeland and protecting its victims, "
            "through the partners' weekly focus hub and its case work.",
            legal_basis="Section 115 Crime and Disorder Act 1998; UK GDPR Article 6(1)(e) and "
            "DPA 2018 section 8 (public task); DPA 2018 Part 3 for law-enforcement data.",
            status=IsaStatus.IN_FORCE.value,
            starts_on=date(2026, 4, 1),
            review_on=date(2027, 4, 1),
            expires_on=date(2028, 3, 31),
        )
        created += new
        if new:
            isa.signatories = [
                IsaSignatory(
                    agency_id=agencies[name].id,
                    signed_by="Head of Service",
                    signed_on=date(2026, 3, 20),
                )
                for name in signatories
            ]
            isa.categories = [IsaCategory(category=c) for c in categories]
            db.session.flush()
    return created


# Expected at every weekly conference, whatever is on the agenda.
STANDING_ATTENDEES = (
    "Copeland Borough Council",
    "Cumbria Constabulary",
    "Home Group",
    "Cumbria Fire and Rescue Service",
)


def _build_conference_slot(hub: Hub, agencies: dict) -> int:
    """Wednesdays at 10:00, as the demo referrals' deadlines assume, with its standing
    attendees; the scheduler (or this, for a demo that is looked at before it runs) creates
    the coming conferences."""
    chair = db.session.execute(
        select(User).where(User.email == "ps.coordinator@cumbria-police.example")
    ).scalar_one()
    slot, new = _get_or_create(
        ConferenceSlot,
        {"hub_id": hub.id},
        weekday=2,
        time="10:00",
        place="Copeland Centre, Catherine Street, Whitehaven",
        online_link="",
        chair_id=chair.id,
    )
    created = int(new)
    for name in STANDING_ATTENDEES:
        _, new = _get_or_create(
            StandingAttendee, {"slot_id": slot.id, "agency_id": agencies[name].id}
        )
        created += new
    return created + len(ensure_weekly_conferences(hub_today()))


def _build_case_review_application(hub: Hub) -> int:
    """An ASB case review application on the demo's first case, made by the victim and
    recorded by their SPoC: it goes on the next weekly agenda for the threshold decision."""
    case = db.session.execute(
        select(Case).where(Case.hub_id == hub.id).order_by(Case.id).limit(1)
    ).scalar_one_or_none()
    if (
        case is None
        or db.session.execute(select(CaseReview.id).where(CaseReview.case_id == case.id)).first()
    ):
        return 0
    spoc = db.session.execute(
        select(User).where(User.email == "victim.spoc@copeland.example")
    ).scalar_one()
    case_reviews.open_review(
        hub,
        source="application",
        applicant="victim",
        complaints_reported=3,
        received_on=hub_today() - timedelta(days=1),
        actor=spoc,
        case=case,
    )
    return 1


def _build_rising_risk(hub: Hub) -> int:
    """Rising risk on an open case: the Block C stairwell case (medium on referral) is
    reassessed by the housing officer after a resident's child was threatened with a needle.
    The signed reassessment raises it to critical and convenes the partners within a working
    day (hub.casework.deadlines, hub.conferences.urgent)."""
    case = db.session.execute(
        select(Case).where(
            Case.hub_id == hub.id, Case.title == "Drug litter and gatherings, Block C stairwell"
        )
    ).scalar_one_or_none()
    if (
        case is None
        or db.session.execute(
            select(RiskAssessment.id).where(RiskAssessment.case_id == case.id)
        ).first()
    ):
        return 0
    officer = db.session.execute(
        select(User).where(User.email == "tenancy@homegroup.example")
    ).scalar_one()
    assessments.record_assessment(
        case,
        {
            "kind": "on_change",
            "problem_type": "nuisance",
            "answers": [
                "threats_or_violence",
                "children_affected",
                "fear_for_safety",
                "escalating",
                "community_impact",
                "threat_to_life",
            ],
            "summary": "A resident's eight-year-old was threatened with a used needle on the "
            "landing last night; residents are keeping their children indoors.",
            "category": "incident",
            "sign": True,
        },
        actor=officer,
    )
    return 1


def _diary_sheet(entries: list[tuple[str, str]]) -> bytes:
    """A victim's diary sheet as the council hands them out, filled in: a real PDF."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(
        0,
        10,
        "Copeland Borough Council: antisocial behaviour diary sheet",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("helvetica", size=11)
    pdf.cell(
        0,
        8,
        "Name: Brian Tyson    Address: Flat 2, 14 Mill Street, Whitehaven",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for when, what in entries:
        pdf.multi_cell(0, 7, f"{when}: {what}")
        pdf.ln(2)
    return bytes(pdf.output())


def _noise_recording(seconds: int = 4) -> bytes:
    """A short phone recording: a WAV of knocking (a click every half second)."""
    rate = 8000
    frames = bytearray()
    for i in range(rate * seconds):
        sample = 12000 if i % (rate // 2) < 40 else 0
        frames += sample.to_bytes(2, "little", signed=True)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return out.getvalue()


def _build_case_records(hub: Hub) -> int:
    """On the demo's first case (disability hate, Mill Street): two incidents logged since it
    opened, the victim's diary sheet and a noise recording, the acknowledgement sent to him,
    and a youth injunction against the subject whose expiry is three weeks away, so it is on
    the reminders and the next weekly agenda. All through casework's own services."""
    case = db.session.execute(
        select(Case).where(Case.hub_id == hub.id).order_by(Case.id).limit(1)
    ).scalar_one_or_none()
    if (
        case is None
        or db.session.execute(
            select(CaseIncident.id).where(CaseIncident.case_id == case.id)
        ).first()
    ):
        return 0
    officer = db.session.execute(
        select(User).where(User.email == "asb.officer@copeland.example")
    ).scalar_one()
    today = hub_today()
    created = 0
    for days_ago, time, what, reported_to, crime_reference in (
        (
            9,
            "21:15",
            "Four youths banged on the bedroom window and shouted abuse about his "
            "wheelchair; one kicked the door before they ran off towards Mill Street car park.",
            "Cumbria Constabulary on 101",
            "CU-2026-118832",
        ),
        (
            3,
            "22:40",
            "Eggs thrown at the front window; the same group seen on the neighbour's doorbell "
            "camera. Mr Tyson phoned his SPoC the next morning, very distressed.",
            "Sandra Moore (SPoC), Copeland Borough Council",
            None,
        ),
    ):
        incidents.log_incident(
            case,
            {
                "occurred_on": (today - timedelta(days=days_ago)).isoformat(),
                "occurred_time": time,
                "description": what,
                "location": "Outside Flat 2, 14 Mill Street, Whitehaven",
                "people": "Kyle Bewley and three other youths (names not known)",
                "reported_by": "Brian Tyson (victim)",
                "reported_to": reported_to,
                "crime_reference": crime_reference,
                "hate": "yes",
            },
            actor=officer,
        )
        created += 1
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    diary = _diary_sheet(
        [
            (
                f"{today - timedelta(days=9):%-d %B}, about 9.15pm",
                "Banging on the window, shouting about my wheelchair. Door kicked. Rang 101.",
            ),
            (
                f"{today - timedelta(days=6):%-d %B}, about 10pm",
                "Group outside again, laughing, filming on phones. Did not go out.",
            ),
            (f"{today - timedelta(days=3):%-d %B}, about 10.40pm", "Eggs on the front window."),
        ]
    )
    for name, content, kind, description in (
        ("diary-sheet-mill-street.pdf", diary, "diary_sheet", "Diary sheet, last two weeks"),
        ("knocking-on-window.wav", _noise_recording(), "noise_recording", "Phone recording"),
    ):
        evidence.upload_evidence(
            case,
            {"kind": kind, "description": description, "category": "incident"},
            (name, content),
            actor=officer,
            max_bytes=limit,
        )
        created += 1
    letters.write_letter(
        case,
        {
            "letter_kind": "acknowledgement",
            "recipient_name": "Mr Brian Tyson",
            "recipient_address": "Flat 2, 14 Mill Street\nWhitehaven\nCA28 7QY",
            "details": "We have noted the two further incidents you reported this month.",
            "letter_category": "incident",
        },
        actor=officer,
    )
    created += 1
    injunction = interventions.record_intervention(
        case,
        {
            "type": "youth_injunction",
            "subject": "Kyle Bewley",
            "subject_age_group": "under_18",
            "issuing_officer": "Rachel Dixon",
            "conditions": "Not to enter Mill Street, Whitehaven; not to contact Brian Tyson "
            "directly or through others; to attend the youth justice service's programme.",
            "category": "incident",
            "status": "proposed",
        },
        actor=officer,
    )
    for step in (
        {
            "step": "applied",
            "on": today - timedelta(days=200),
            "court": "West Cumbria Youth Court, Workington",
            "hearing_on": today - timedelta(days=186),
        },
        {
            "step": "granted",
            "on": today - timedelta(days=186),
            "order_kind": "full",
            "step_expires_on": today + timedelta(days=19),
            "step_review_on": today + timedelta(days=12),
        },
        {"step": "served", "on": today - timedelta(days=185)},
    ):
        form = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in step.items()}
        powers.record_step(case, injunction, form | {"version": injunction.version}, actor=officer)
        created += 1
    return created


def build_demo() -> dict:
    created = 0
    # Two-factor sign-in is off in the demo hub, so each role can be tried with the published
    # password alone; a real hub requires it (README, "Signing in").
    hub, new = _get_or_create(
        Hub,
        {"slug": HUB["slug"]},
        name=HUB["name"],
        area=HUB["area"],
        two_factor_required=False,
    )
    created += new
    agencies = {}
    for name, kind in AGENCIES:
        agency, new = _get_or_create(Agency, {"name": name}, kind=kind)
        created += new
        agencies[name] = agency
        _, new = _get_or_create(HubAgency, {"hub_id": hub.id, "agency_id": agency.id})
        created += new
    people = []
    password_hash = hash_password(DEMO_PASSWORD)
    for email, name, agency_name, hub_roles, other_roles in PEOPLE:
        user, new = _get_or_create(
            User,
            {"email": email},
            name=name,
            agency_id=agencies[agency_name].id,
            password_hash=password_hash,
        )
        created += new
        for role in hub_roles:
            _, new = _get_or_create(UserRole, {"user_id": user.id, "hub_id": hub.id, "role": role})
            created += new
        for role in other_roles:
            _, new = _get_or_create(UserRole, {"user_id": user.id, "hub_id": None, "role": role})
            created += new
        labels = ", ".join(Role(r).label for r in hub_roles + other_roles)
        people.append((email, f"{labels} — {agency_name}"))
    created += _build_agreements(hub, agencies)
    # The weekly conference first, so a critical referral is convened for as it arrives.
    created += _build_conference_slot(hub, agencies)
    created += build_demo_referrals(hub)
    created += _build_rising_risk(hub)
    created += _build_case_review_application(hub)
    created += build_demo_case_review(hub)
    created += build_demo_victims(hub)
    created += _build_case_records(hub)
    created += build_demo_library(hub)
    # The scheduler's hourly safety net, run once now, so nothing due before its first
    # conference waits for the scheduler to start.
    created += len(urgent.propose_due(utcnow()))
    return {"hub": hub.name, "created": created, "people": people}
