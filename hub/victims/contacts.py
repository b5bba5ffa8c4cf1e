"""The SPoC's contact log: each contact with a victim, when and how, who made it, what the
victim reported, what they were told and the risk they report now. A contact in which the
victim was reached keeps the promise of their open call-back; the form sets the next one. A
reported worsening tells the hub's coordinators (who may see the victim) and offers a risk
reassessment straight away. Callers commit; emails wait for the commit."""

from datetime import timedelta

from marshmallow import ValidationError
from sqlalchemy.orm import joinedload

from hub import audit
from hub import permissions as perm
from hub.casework.activity import log
from hub.core import mail
from hub.core.locking import add_once, submitted_before
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import Case, Notification, Victim, VictimContact
from hub.models.victims import VICTIM_CATEGORY, Channel, ContactOutcome, RiskNow
from hub.victims import call_backs
from hub.victims.schemas import ContactSchema, parse_time

# A contact's time as typed may run a little ahead of the server's clock.
CLOCK_SLACK = timedelta(minutes=5)


def _check_safe(victim: Victim, data: dict) -> None:
    """Never record leaving a message, or sending a letter, that the victim's record does not
    say is safe: the SPoC updates the record first."""
    if data["outcome"] == ContactOutcome.MESSAGE_LEFT and victim.safe_to_leave_message is not True:
        raise ValidationError(
            {"outcome": ["The victim's record does not say a message is safe: update it first"]}
        )
    if data["channel"] == Channel.LETTER and victim.safe_to_send_letter is not True:
        raise ValidationError(
            {"channel": ["The victim's record does not say a letter is safe: update it first"]}
        )


def record_contact(case: Case, victim: Victim, data: dict, *, actor) -> VictimContact:
    data = ContactSchema().load(data)
    earlier = submitted_before(VictimContact, case.id, data["form_token"])
    if earlier is not None:
        return earlier  # the same form sent twice: one contact
    at = call_backs.at_local(data["contact_on"], parse_time(data["contact_time"]))
    if at > utcnow() + CLOCK_SLACK:
        raise ValidationError({"contact_on": ["The contact cannot be in the future"]})
    _check_safe(victim, data)
    next_at = None
    if data["next_on"] is not None:
        next_at = call_backs.at_local(data["next_on"], parse_time(data["next_time"]))
        if next_at <= utcnow():
            raise ValidationError({"next_on": ["The next call-back must be in the future"]})
    spoke = data["outcome"] == ContactOutcome.SPOKE
    contact = VictimContact(
        case_id=case.id,
        victim_id=victim.id,
        category=VICTIM_CATEGORY,
        origin_agency_id=actor.agency_id,
        at=at,
        channel=data["channel"],
        outcome=data["outcome"],
        made_by_id=actor.id,
        reported=data["reported"],
        told=data["told"],
        risk_now=data["risk_now"] if spoke else None,
        form_token=data["form_token"],
    )
    added = add_once(contact)
    if added is not contact:
        return added
    if spoke:
        call_backs.close_open(victim, contact=contact, at=at)
    if next_at is not None:
        call_backs.set_call_back(case, victim, next_at, actor=actor)
    audit.record(
        "victim_contact_recorded",
        user=actor,
        hub=case.hub_id,
        target=contact,
        details={
            "case_id": case.id,
            "record_id": victim.id,
            "kind": contact.channel,
            "outcome": contact.outcome,
            "due_by": next_at.isoformat() if next_at else None,
        },
    )
    log(case, actor, "victim_contacted", "Recorded contact with a victim", record=contact)
    if contact.risk_now == RiskNow.HIGHER:
        _tell_coordinators(case, contact, actor)
    return contact


def _tell_coordinators(case: Case, contact: VictimContact, actor) -> None:
    """A victim reports their risk is worse: the hub's coordinators who may see the victim are
    told at once (the case reference and a link; never what the victim said)."""
    victim = db.session.get(Victim, contact.victim_id)
    told = [
        c
        for c in perm.coordinators(case.hub_id)
        if c.id != actor.id and perm.can_see_victim(c, victim, case)
    ]
    line = f"A victim on case {case.reference} reports that things are worse."
    link = mail.external_url("victims.case_tab", case_id=case.id)
    for user in told:
        db.session.add(Notification(user_id=user.id, case_id=case.id, text=line))
        mail.queue_mail(
            user.email,
            f"Focus Hub: a victim's risk is worse on case {case.reference}",
            f"{line} Their SPoC has been offered a risk reassessment.\n\n"
            f"Sign in to see it:\n{link}\n\n"
            "You get this because you coordinate the hub.",
        )
    audit.record(
        "victim_risk_worse_reported",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={"record_id": contact.id, "recipients": [u.id for u in told]},
    )
    db.session.flush()


def contact_log(user, case: Case) -> dict[int, list[VictimContact]]:
    """The contact log of each victim on the case the user may see, newest first (one
    query), by victim id."""
    query = perm.victim_records(user, VictimContact, case.hub).where(
        VictimContact.case_id == case.id
    )
    rows = db.session.execute(
        query.options(joinedload(VictimContact.made_by)).order_by(
            VictimContact.at.desc(), VictimContact.id.desc()
        )
    ).scalars()
    found: dict[int, list[VictimContact]] = {}
    for row in rows:
        found.setdefault(row.victim_id, []).append(row)
    return found
