"""Letters to a victim from the hub's templates, in plain English: an introduction from their
SPoC, an update on what has happened, and a closing letter with the satisfaction question.

A letter is filled only from what may leave the partnership for the victim: the victim's own
contact record, the SPoC's name and agency, the hub's name, the case reference, and the
milestones of the case drawn from records that are neither restricted by the agency that made
them nor of a category the victim may not be told (police intelligence, health, housing,
safeguarding): see milestones.case_milestones(for_letter=True). Nothing a partner wrote (notes,
referral descriptions, decisions' words) reaches a letter. A letter is only made for a victim
whose record says a letter is safe; an email only to a victim who prefers email. An emailed
update records each step in it as told, by email."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from hub import audit
from hub.core import mail
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import Case, User, Victim, VictimUpdate
from hub.models.victims import Channel
from hub.victims import call_backs, milestones

KINDS = {
    "introduction": "Introduction from your SPoC",
    "update": "An update on your case",
    "closure": "Your case is closed",
}


class NotSafe(Exception):
    """The victim's record does not say a letter (or an email) is safe."""


@dataclass(frozen=True)
class Letter:
    kind: str
    dated: date
    to_name: str
    to_address: str
    reference: str
    hub_name: str
    spoc_name: str
    spoc_agency: str
    spoc_email: str
    paragraphs: list[str]
    steps: list[str]  # what has happened, for an update
    step_keys: list[str]  # the milestones those steps are


def make(user, case: Case, victim: Victim, kind: str, *, by: str = "letter") -> Letter:
    if kind not in KINDS:
        raise KeyError(kind)
    if by == "letter" and victim.safe_to_send_letter is not True:
        raise NotSafe()
    if by == "email" and not (victim.email and victim.preferred_channel == Channel.EMAIL):
        raise NotSafe()
    spoc = db.session.get(User, victim.spoc_user_id) if victim.spoc_user_id else user
    hub_name = case.hub.name
    days = call_backs.cadence(case.hub_id)[case.band]
    shown = (
        milestones.case_milestones(user, case, for_letter=True) if kind != "introduction" else []
    )
    steps = [f"{m.at.astimezone(LONDON):%-d %B %Y}: {m.label}." for m in shown]
    if kind == "introduction":
        paragraphs = [
            f"I am your single point of contact at {hub_name}, where the council, the police, "
            "housing providers and other services work together on the antisocial behaviour "
            "you reported.",
            "My job is to keep you informed. I will contact you about every "
            f"{days} working days, and whenever something important happens in your case.",
            "You can tell me at any time how you would like to be contacted, and when. If you "
            "would like help from Victim Support or another service, I can refer you.",
            "If you are in danger, call 999. If things get worse, please tell me straight away.",
        ]
    elif kind == "update":
        paragraphs = [
            f"I am writing to tell you what has happened in your case ({case.reference}).",
            "If anything has changed for you, or you would like to talk about what happens "
            "next, please contact me.",
        ]
    else:
        paragraphs = [
            f"The partners at {hub_name} have closed your case ({case.reference}).",
            "We would like to know how satisfied you are with what we did. When I next "
            "speak to you I will ask: how satisfied are you with how the partners dealt with "
            "the problem, from very satisfied to very dissatisfied? You can also tell me by "
            "email or by phone.",
            "If the problem starts again, please report it. If you have reported it three "
            "times in six months, you can ask for an ASB case review.",
        ]
    return Letter(
        kind=kind,
        dated=utcnow().astimezone(LONDON).date(),
        to_name=victim.name,
        to_address=victim.address or "",
        reference=case.reference,
        hub_name=hub_name,
        spoc_name=spoc.name,
        spoc_agency=spoc.agency.name,
        spoc_email=spoc.email,
        paragraphs=paragraphs,
        steps=steps,
        step_keys=[m.key for m in shown],
    )


def as_text(letter: Letter, title: str) -> str:
    """The letter as a plain-text email."""
    lines = [f"Dear {letter.to_name},", "", letter.paragraphs[0], ""]
    if letter.steps:
        lines += ["What has happened so far:", *[f"- {step}" for step in letter.steps], ""]
    for paragraph in letter.paragraphs[1:]:
        lines += [paragraph, ""]
    lines += [
        "Yours sincerely,",
        letter.spoc_name,
        f"Your single point of contact, {letter.spoc_agency}, {letter.hub_name}",
        f"Our reference: {letter.reference}",
    ]
    return "\n".join(lines)


def email(case: Case, victim: Victim, kind: str, *, actor) -> int:
    """Email the letter to a victim who prefers email, and record each step in it as told by
    email (those not told already). Returns how many steps were recorded; the caller commits
    (the email goes after the commit)."""
    letter = make(actor, case, victim, kind, by="email")
    mail.queue_mail(
        victim.email, f"{KINDS[kind]} ({letter.reference})", as_text(letter, KINDS[kind])
    )
    told = 0
    if victim.wants_updates:
        already = set(
            db.session.execute(
                select(VictimUpdate.milestone).where(VictimUpdate.victim_id == victim.id)
            ).scalars()
        )
        for key in letter.step_keys:
            if key not in already:
                milestones.mark_told(
                    case, victim, {"milestone": key, "channel": Channel.EMAIL.value}, actor=actor
                )
                told += 1
    audit.record(
        "victim_letter_emailed",
        user=actor,
        hub=case.hub_id,
        target=victim,
        details={"case_id": case.id, "kind": kind, "count": told},
    )
    return told
