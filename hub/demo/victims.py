"""The demo's victims and their SPoC, Sandra Moore (Copeland Borough Council): Brian Tyson on
the disability hate case, with a contact history and a call-back due today, and Sarah Wilson
on the Cleator Moor threats case, whose call-back was due on the last working day and is
overdue. Built through the victims' services; only the call-backs, which the services refuse
to set in the past, are written directly. Running it twice changes nothing."""

from datetime import timedelta

from sqlalchemy import select

from hub.casework import membership
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import CallBack, Case, Hub, User, Victim
from hub.models.victims import VICTIM_CATEGORY
from hub.permissions import hub_today
from hub.victims import call_backs, contacts, milestones, records
from scoring.calendar import is_working_day

SPOC = "victim.spoc@copeland.example"

BRIAN = {
    "name": "Brian Tyson",
    "phone": "01946 555 0187",
    "address": "Flat 4, Mill Street, Whitehaven CA28 7AA",
    "preferred_channel": "phone",
    "contact_times": "Weekdays after 10am; he rests in the afternoons",
    "safe_to_leave_message": "yes",
    "safe_to_send_letter": "yes",
    "safety_notes": "The young people gather by the flats after school: do not visit then.",
    "language": "English",
    "access_needs": "Uses a wheelchair; large print letters",
    "support_in_place": "Age UK West Cumbria befriender, weekly",
    "support_consent": "yes",
    "support_referred_to": "Victim Support Cumbria",
}
SARAH = {
    "name": "Sarah Wilson",
    "phone": "07700 900 412",
    "preferred_channel": "text",
    "contact_times": "School hours only, 9:30am to 2:30pm",
    "safe_to_leave_message": "no",
    "safe_to_send_letter": "no",
    "safety_notes": "Never leave a message: her ex-partner has used her phone before.",
    "language": "English",
    "support_in_place": "None yet",
    "support_consent": "not_asked",
}


def _previous_working_day(day):
    day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def _victim(case: Case, needs: dict, spoc: User) -> tuple[Victim, bool]:
    found = db.session.execute(
        select(Victim).where(Victim.case_id == case.id, Victim.name == needs["name"])
    ).scalar_one_or_none()
    if found is not None:
        return found, False
    return records.add_victim(case, dict(needs, spoc_user_id=spoc.id), actor=spoc), True


def _call(case, victim, spoc, days_ago: int, time: str, reported: str, told: str) -> None:
    contacts.record_contact(
        case,
        victim,
        {
            "contact_on": (hub_today() - timedelta(days=days_ago)).isoformat(),
            "contact_time": time,
            "channel": victim.preferred_channel,
            "outcome": "spoke",
            "reported": reported,
            "told": told,
            "risk_now": "same",
        },
        actor=spoc,
    )


def _call_back(case: Case, victim: Victim, spoc: User, due_on, at) -> None:
    db.session.add(
        CallBack(
            case_id=case.id,
            victim_id=victim.id,
            category=VICTIM_CATEGORY,
            origin_agency_id=spoc.agency_id,
            spoc_user_id=spoc.id,
            scheduled_by_id=spoc.id,
            due_at=call_backs.at_local(due_on, at),
            created_at=utcnow(),
        )
    )
    db.session.flush()


def build_demo_victims(hub: Hub) -> int:
    spoc = db.session.execute(select(User).where(User.email == SPOC)).scalar_one()
    cases = {
        c.title: c for c in db.session.execute(select(Case).where(Case.hub_id == hub.id)).scalars()
    }
    hate, threats = (
        cases.get("Disability hate, Mill Street flats"),
        cases.get("Threats to a family, Cleator Moor"),
    )
    if hate is None or threats is None:
        return 0
    created = 0
    for case in (hate, threats):
        added = membership.add_member(
            case,
            spoc.agency_id,
            route="triage",
            reason="The council's victim SPoC keeps in touch with the victim.",
            actor=spoc,
        )
        created += added is not None
        if case.spoc_user_id is None:
            case.spoc_user_id = spoc.id
    today = hub_today()
    brian, new = _victim(hate, BRIAN, spoc)
    if new:
        created += 1
        _call(
            hate,
            brian,
            spoc,
            9,
            "11:10",
            "Eggs thrown at his window twice this week; he is afraid to go to the shop.",
            "The police will patrol Mill Street after school; the hub meets on Wednesday.",
        )
        _call(
            hate,
            brian,
            spoc,
            2,
            "10:40",
            "Quieter since the patrols. One group shouted at him on Sunday.",
            "Home Group will write to the families; I will ring again to tell him the outcome.",
        )
        milestones.mark_told(
            hate, brian, {"milestone": "case_opened", "channel": "phone"}, actor=spoc
        )
        _call_back(hate, brian, spoc, today, call_backs.DEFAULT_TIME.replace(hour=15))
    sarah, new = _victim(threats, SARAH, spoc)
    if new:
        created += 1
        _call(
            threats,
            sarah,
            spoc,
            6,
            "10:05",
            "Gary Fisher drove past the house three times on Friday.",
            "The police know; call 999 if he comes to the door. I will text on Monday.",
        )
        _call_back(threats, sarah, spoc, _previous_working_day(today), call_backs.DEFAULT_TIME)
    return created
