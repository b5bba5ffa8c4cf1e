"""Reminders of overdue work on open cases, sent by the daily overdue_reminders job: an open
action past its due date, and a risk reassessment past the date the case's latest signed
assessment set.

A reminder goes to whoever the work belongs to (the action's owner, the assessor) while they
may still work the case; otherwise to the hub's coordinators who may (for a reassessment, the
lead agency's first). Every recipient passes hub.permissions. Each reminder is claimed once per
record and due date (hub.clock.scheduler.once), so a rerun, a restart or a second scheduler never
sends it twice, and a new due date that passes in turn is reminded again.

Notices name the case reference, what is overdue and its date, never an action's description
(which can name people): the email is a link. Callers commit; the emails wait for the commit.
"""

from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import aliased

from hub import audit
from hub import permissions as perm
from hub.clock.scheduler import once
from hub.core import mail
from hub.extensions import db
from hub.models import (
    ActionStatus,
    Case,
    CaseAction,
    JobRun,
    Notification,
    RiskAssessment,
    Stage,
    User,
)

JOB = "overdue_reminders"
ACTION = "action_overdue"
REASSESSMENT = "reassessment_overdue"
WHAT = {ACTION: "an action", REASSESSMENT: "a risk reassessment"}
# Why a reminder comes to you: the work is yours, or you stand in for whoever it belonged to.
WHY = {
    ACTION: ("you own the action", "its owner"),
    REASSESSMENT: ("you made the case's latest risk assessment", "that assessment's assessor"),
}


@dataclass(frozen=True)
class Overdue:
    """One piece of overdue work: an open action, or the reassessment set by the case's latest
    signed risk assessment."""

    kind: str  # ACTION or REASSESSMENT
    case: Case
    record: CaseAction | RiskAssessment
    due_on: date

    @property
    def person(self) -> User:
        """Whom it belongs to: the action's owner, or the assessor (loaded only for a reminder
        still to send)."""
        return self.record.owner if self.kind == ACTION else self.record.assessor

    @property
    def key(self) -> str:
        """Names the reminder for once(): a new due date is a new reminder."""
        return f"{self.kind}:{self.record.id}:{self.due_on.isoformat()}"


def overdue_actions(today: date) -> list[Overdue]:
    """Open actions due before today on cases not closed, in one statement."""
    rows = db.session.execute(
        select(CaseAction, Case)
        .join(Case, Case.id == CaseAction.case_id)
        .where(
            CaseAction.status == ActionStatus.OPEN.value,
            CaseAction.due_on < today,
            Case.stage != Stage.CLOSED.value,
        )
        .order_by(CaseAction.due_on, CaseAction.id)
    ).all()
    return [Overdue(ACTION, case, action, action.due_on) for action, case in rows]


def overdue_reassessments(today: date) -> list[Overdue]:
    """Cases not closed whose latest signed risk assessment (as the board and the Risk tab
    read it) set a reassessment date before today, in one statement."""
    signed = aliased(RiskAssessment)
    latest = (
        select(signed.id)
        .where(signed.case_id == Case.id, signed.signed_at.is_not(None))
        .order_by(signed.signed_at.desc(), signed.id.desc())
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(RiskAssessment, Case)
        .join(Case, Case.id == RiskAssessment.case_id)
        .where(
            RiskAssessment.id == latest,
            RiskAssessment.next_due_on < today,
            Case.stage != Stage.CLOSED.value,
        )
        .order_by(RiskAssessment.next_due_on, RiskAssessment.id)
    ).all()
    return [Overdue(REASSESSMENT, case, ra, ra.next_due_on) for ra, case in rows]


def overdue_reminders(today: date) -> list[tuple[Overdue, list[User]]]:
    """Remind of each overdue action and reassessment not yet reminded for its due date.
    Finding them takes a constant number of statements; an overdue item already reminded
    costs nothing more. Returns what was sent and to whom; the caller commits."""
    due = overdue_actions(today) + overdue_reassessments(today)
    done = _reminded([item.key for item in due])
    hub_coordinators = cache(perm.coordinators)  # read once per hub in this run, not per item
    sent = []
    for item in due:
        if item.key in done:
            continue
        recipients = _recipients(item, hub_coordinators)
        if not recipients:
            _record_nobody(item)
        elif once(item.key, JOB):  # False: another scheduler sent it meanwhile
            _remind(item, recipients)
            sent.append((item, recipients))
    return sent


def _reminded(keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(db.session.execute(select(JobRun.key).where(JobRun.key.in_(keys))).scalars())


def _may_work(user: User, case: Case) -> bool:
    return user.is_active_account and perm.can_access_case(user, case, perm.Action.WRITE)


def _recipients(item: Overdue, hub_coordinators) -> list[User]:
    """Whom the work belongs to while they may still work the case; otherwise the hub's
    coordinators who may, those of the lead agency first for a reassessment (the lead agency
    owns the plan the assessment serves)."""
    if _may_work(item.person, item.case):
        return [item.person]
    entitled = [c for c in hub_coordinators(item.case.hub_id) if _may_work(c, item.case)]
    if item.kind == REASSESSMENT:
        return [c for c in entitled if c.agency_id == item.case.lead_agency_id] or entitled
    return entitled


def _record_nobody(item: Overdue) -> None:
    """Nobody entitled can be reminded: audited once, never sent to anyone else. The reminder
    stays unclaimed, so it goes out on the first day someone may work the case again."""
    if once(f"{item.key}:nobody", JOB):
        audit.record(
            "overdue_reminder_not_sent",
            outcome="failed",
            hub=item.case.hub_id,
            target=item.case,
            details=_details(item) | {"reason": "no_recipient"},  # nobody who may work it
        )


def _remind(item: Overdue, recipients: list[User]) -> None:
    case = item.case
    what = WHAT[item.kind]
    line = f"{what.capitalize()} is overdue on case {case.reference}: it was due on "
    line += f"{item.due_on:%-d %B %Y}."
    if item.kind == ACTION:
        link = mail.external_url("cases.edit_action", case_id=case.id, action_id=item.record.id)
    else:
        link = mail.external_url("cases.show", case_id=case.id, tab="risk")
    yours, whose = WHY[item.kind]
    if recipients == [item.person]:
        why = f"You get this reminder because {yours}."
    else:
        why = (
            f"You get this reminder as a coordinator of the hub: {whose} can no longer be reminded."
        )
    for user in recipients:
        db.session.add(Notification(user_id=user.id, case_id=case.id, text=line))
        mail.queue_mail(
            user.email,
            f"Focus Hub: {what} is overdue on case {case.reference}",
            f"{line}\n\nSign in to see it:\n{link}\n\n{why}",
        )
    audit.record(
        "overdue_reminder_sent",
        hub=case.hub_id,
        target=case,
        details=_details(item) | {"recipients": [u.id for u in recipients]},
    )
    db.session.flush()


def _details(item: Overdue) -> dict:
    return {"kind": item.kind, "record_id": item.record.id, "due_on": item.due_on.isoformat()}
