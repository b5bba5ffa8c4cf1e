"""A conference as the live chair page leaves it (decisions, attendance, discussion notes, a
held conference), written directly: the minutes tests and the print browser test share it."""

from datetime import datetime, timedelta
from types import SimpleNamespace

from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import (
    Agency,
    AgendaItem,
    AgendaReason,
    Attendance,
    Conference,
    ConferenceDecision,
    DataCategory,
    Hub,
    Referral,
    User,
)
from tests.support.factories import make_case, make_isa, make_note

NOT_SHOWN = "Details are shown only to member agencies"
ALL_CATEGORIES = [c.value for c in DataCategory]

# Words that only the entitled may read, by the case or referral they belong to.
SECRETS_A = ("Graffiti, Market Place", "Police to visit Jordan Pike", "SECRET-A-NOTE")
SECRETS_B = ("Noise, Rosebank flats", "Review in four weeks", "B-NOTE tenancy warning")
RESTRICTED = "B-RESTRICTED safeguarding concern"
SECRETS_REFERRAL = ("Neighbour dispute between the Bloggs family",)


def make_referral(hub: Hub, agency: Agency, author: User, reference: str) -> Referral:
    referral = Referral(
        hub_id=hub.id,
        agency_id=agency.id,
        user_id=author.id,
        reference=reference,
        status="submitted",
        category="incident",
        origin_agency_id=agency.id,
        summary="Neighbour dispute",
        band="medium",
    )
    db.session.add(referral)
    db.session.flush()
    return referral


def make_conference(hub: Hub, starts_at: datetime, *, chair=None, status="held") -> Conference:
    conference = Conference(
        hub_id=hub.id,
        starts_at=starts_at,
        place="Whitehaven police station",
        status=status,
        chair_id=chair.id if chair else None,
        started_at=starts_at if status in ("live", "held") else None,
        ended_at=starts_at + timedelta(hours=2) if status == "held" else None,
    )
    db.session.add(conference)
    db.session.flush()
    return conference


def put_on_agenda(conference, position: int, *, case=None, referral=None, reason="review_due"):
    item = AgendaItem(
        conference_id=conference.id,
        case_id=case.id if case else None,
        referral_id=referral.id if referral else None,
        reason=reason,
        position=position,
    )
    db.session.add(item)
    db.session.flush()
    return item


def decide(item, kind: str, summary: str, by: User, *, reason="", case=None, referral=None):
    decision = ConferenceDecision(
        conference_id=item.conference_id,
        item_id=item.id,
        case_id=case.id if case else item.case_id,
        referral_id=referral.id if referral else None,
        kind=kind,
        summary=summary,
        reason=reason,
        decided_by_id=by.id,
    )
    db.session.add(decision)
    db.session.flush()
    return decision


def discuss(item, case, agency, author, body, *, category="incident", restricted_to=()):
    note = make_note(
        case, agency, author, category=category, body=body, restricted_to=restricted_to
    )
    note.agenda_item_id = item.id
    db.session.flush()
    return note


def attend(conference, agency, *, user=None, name="", status="present"):
    row = Attendance(
        conference_id=conference.id, agency_id=agency.id, user_id=user.id if user else None
    )
    row.name, row.status = name, status
    db.session.add(row)
    db.session.flush()
    return row


def build_meeting(world, *, status="held", starts_at=None) -> SimpleNamespace:
    """A held conference of the Copeland hub with three items in agenda order:
    B (housing and council), a council referral, then A (council and police).

    Readers: the coordinator (police) may see A and, as a triager, the referral; the case
    worker (housing) only B; the hub manager (council) all three; the analyst none."""
    hub = db.session.get(Hub, world.hub_id)
    council, police, housing = (
        db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police", "housing")
    )
    people = {k: db.session.get(User, v) for k, v in world.user_id.items()}
    make_isa(hub, [council, police, housing], ALL_CATEGORIES, reference="MINUTES-ISA")
    case_a = make_case(hub, "CPL-MIN-A", council, police, title=SECRETS_A[0])
    case_b = make_case(hub, "CPL-MIN-B", housing, council, title=SECRETS_B[0])
    referral = make_referral(hub, council, people["referrer"], "REF-MIN-1")
    conference = make_conference(
        hub,
        starts_at or datetime(2026, 11, 25, 10, 0, tzinfo=LONDON),
        chair=people["coordinator"],
        status=status,
    )
    # Created A first, but B comes first on the agenda: the minutes follow the agenda.
    item_a = put_on_agenda(conference, 3, case=case_a)
    item_b = put_on_agenda(conference, 1, case=case_b, reason=AgendaReason.OVERDUE_ACTIONS.value)
    item_r = put_on_agenda(conference, 2, referral=referral, reason=AgendaReason.NEW_REFERRAL.value)
    chair = people["coordinator"]
    decide(item_a, "lead_agency", "Cumbria Constabulary leads", chair, reason="Most reports")
    decide(item_a, "action", SECRETS_A[1], chair)
    decide(item_b, "next_review", SECRETS_B[1], chair)
    decide(
        item_r,
        "decline",
        "Declined and signposted",
        chair,
        reason=SECRETS_REFERRAL[0],
        referral=referral,
    )
    discuss(item_a, case_a, police, chair, SECRETS_A[2] + ": seen at the shelter")
    discuss(item_b, case_b, housing, people["case_worker"], SECRETS_B[2], category="housing")
    discuss(
        item_b,
        case_b,
        council,
        people["hub_manager"],
        RESTRICTED,
        category="safeguarding",
        restricted_to=[council],
    )
    attend(conference, police, user=chair)
    attend(conference, council, user=people["hub_manager"])
    attend(conference, housing, name="Sam Tenancy", status="apologies")
    return SimpleNamespace(
        hub=hub,
        conference=conference,
        case_a=case_a,
        case_b=case_b,
        referral=referral,
        items=(item_a, item_b, item_r),
        people=people,
        agencies={"council": council, "police": police, "housing": housing},
    )
