"""Invitations to a conference once it is fixed: an urgent conference the coordinator confirms
is emailed to the partners expected there (the slot's standing attendees, the member agencies of
the cases on its agenda, and the agencies whose referrals are on it), with a notice in the hub.
Only the time, place and links: the agenda page shows each reader what they may see."""

from sqlalchemy import select

from hub import permissions as perm
from hub.casework.activity import send_notice
from hub.conferences.running import expected_agencies
from hub.core import mail
from hub.core.timeutil import format_local
from hub.extensions import db
from hub.models import AgendaItem, Conference, ConferenceKind, Referral, Role

# Who works cases at a conference; referrers, analysts and managers of agencies are not invited.
INVITED_ROLES = (Role.COORDINATOR, Role.CASE_WORKER, Role.SPOC, Role.HUB_MANAGER)


def invited_agency_ids(conference: Conference) -> set[int]:
    ids = {a.id for a in expected_agencies(conference)}
    ids |= set(
        db.session.execute(
            select(Referral.agency_id)
            .join(AgendaItem, AgendaItem.referral_id == Referral.id)
            .where(AgendaItem.conference_id == conference.id, AgendaItem.removed.is_(False))
        ).scalars()
    )
    return ids & perm.partner_ids(conference.hub_id)


def invite(conference: Conference, *, actor) -> int:
    """Invite the expected partners' people (the actor excepted). Returns how many."""
    agencies = invited_agency_ids(conference)
    if not agencies:
        return 0
    people = [
        u
        for u in db.session.execute(perm.hub_people(conference.hub_id, *INVITED_ROLES)).scalars()
        if u.agency_id in agencies and u.id != actor.id
    ]
    kind = ConferenceKind(conference.kind).label.lower()
    when = format_local(conference.starts_at)
    agenda = mail.external_url("conferences.show", conference_id=conference.id)
    calendar = mail.external_url("conferences.ics", conference_id=conference.id)
    where = conference.place or "the place on the agenda page"
    online = f"\nJoin online: {conference.online_link}" if conference.online_link else ""
    for person in people:
        send_notice(
            person,
            f"Invitation: {kind} on {when}",
            conference_id=conference.id,
            subject=f"Focus Hub: {kind} of {conference.hub.name} on {when}",
            body=f"You are invited to the {kind} of {conference.hub.name} on {when} (UK time), "
            f"at {where}.{online}\n\n"
            f"The agenda:\n{agenda}\n\nAdd it to your calendar:\n{calendar}\n\n"
            "You get this email because your agency is expected at the conference.",
        )
    db.session.flush()
    return len(people)
