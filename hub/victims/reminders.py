"""Reminders of call-backs, sent by the daily call_back_reminders job.

- On the day a call-back is due, its SPoC is reminded (while they may still keep the victim's
  record; otherwise the hub's coordinators who may are told there is nobody to make it).
- A call-back missed by a working day (still open when the working day after its due day has
  ended, England and Wales bank holidays counted) is escalated: the hub's coordinators who may
  see the victim, and the managers of the SPoC's agency, are told.

Each reminder is claimed once per call-back and due date (hub.clock.scheduler.once), so a
rerun, a restart or a second scheduler never sends one twice, and a call-back moved to a new
date is reminded again. Notices name the case reference and the date, never the victim: the
email is a link. Callers commit; emails wait for the commit.
"""

from dataclasses import dataclass
from datetime import date, time
from functools import cache

from sqlalchemy import select

from hub import audit
from hub import permissions as perm
from hub.clock.scheduler import once
from hub.core import mail
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import (
    CallBack,
    CallBackStatus,
    Case,
    JobRun,
    Notification,
    Role,
    Stage,
    User,
    UserRole,
    Victim,
)
from hub.victims.call_backs import add_days, at_local
from scoring.calendar import add_working_days

JOB = "call_back_reminders"
_MIDNIGHT = time(0)
DUE = "call_back_due"
MISSED = "call_back_missed"


@dataclass(frozen=True)
class Reminder:
    kind: str  # DUE or MISSED
    call_back: CallBack
    victim: Victim
    case: Case

    @property
    def due_on(self) -> date:
        return self.call_back.due_at.astimezone(LONDON).date()

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.call_back.id}:{self.due_on.isoformat()}"


def missed_by_a_working_day(due_on: date, today: date) -> bool:
    """Still open after the whole of the next working day after its due day."""
    return today > add_working_days(due_on, 1)


def _open_before(day_end) -> list[tuple[CallBack, Victim, Case]]:
    return db.session.execute(
        select(CallBack, Victim, Case)
        .join(Victim, Victim.id == CallBack.victim_id)
        .join(Case, Case.id == CallBack.case_id)
        .where(
            CallBack.status == CallBackStatus.OPEN.value,
            CallBack.due_at < day_end,
            Case.stage != Stage.CLOSED.value,
        )
        .order_by(CallBack.due_at, CallBack.id)
    ).all()


def due_reminders(today: date) -> list[Reminder]:
    """Call-backs due today, and those missed by a working day, in one statement."""
    found = []
    for call_back, victim, case in _open_before(at_local(add_days(today, 1), _MIDNIGHT)):
        due_on = call_back.due_at.astimezone(LONDON).date()
        if due_on == today:
            found.append(Reminder(DUE, call_back, victim, case))
        elif missed_by_a_working_day(due_on, today):
            found.append(Reminder(MISSED, call_back, victim, case))
    return found


def call_back_reminders(today: date) -> list[tuple[Reminder, list[User]]]:
    """Send each reminder not yet sent. Returns what was sent and to whom; the caller commits."""
    due = due_reminders(today)
    done = _reminded([r.key for r in due])
    hub_coordinators = cache(perm.coordinators)
    sent = []
    for reminder in due:
        if reminder.key in done:
            continue
        recipients = _recipients(reminder, hub_coordinators)
        if not recipients:
            _record_nobody(reminder)
        elif once(reminder.key, JOB):
            _send(reminder, recipients)
            sent.append((reminder, recipients))
    return sent


def _reminded(keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(db.session.execute(select(JobRun.key).where(JobRun.key.in_(keys))).scalars())


def _may_keep(user: User, reminder: Reminder) -> bool:
    return user.is_active_account and perm.can_see_victim(
        user, reminder.victim, reminder.case, perm.Action.WRITE
    )


def agency_managers(agency_id: int) -> list[User]:
    query = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.agency_id == agency_id,
            User.is_active_account.is_(True),
            UserRole.role == Role.AGENCY_MANAGER.value,
        )
        .order_by(User.id)
    )
    return list(db.session.execute(query).scalars().unique())


def _recipients(reminder: Reminder, hub_coordinators) -> list[User]:
    spoc = reminder.call_back.spoc
    coordinators = [c for c in hub_coordinators(reminder.case.hub_id) if _may_keep(c, reminder)]
    if reminder.kind == DUE:
        return [spoc] if _may_keep(spoc, reminder) else coordinators
    # Missed: the SPoC, the coordinators (who may see the victim) and the SPoC's own
    # managers, who are told only the case reference and date.
    told = ([spoc] if _may_keep(spoc, reminder) else []) + coordinators
    told += agency_managers(spoc.agency_id)
    return list({u.id: u for u in told}.values())


def _record_nobody(reminder: Reminder) -> None:
    """Nobody entitled can be told: audited once. The reminder stays unclaimed, so it goes out
    once someone may keep the victim's record again."""
    if once(f"{reminder.key}:nobody", JOB):
        audit.record(
            "call_back_reminder_not_sent",
            outcome="failed",
            hub=reminder.case.hub_id,
            target=reminder.case,
            details=_details(reminder) | {"reason": "no_recipient"},
        )


def _send(reminder: Reminder, recipients: list[User]) -> None:
    case, spoc = reminder.case, reminder.call_back.spoc
    when = f"{reminder.call_back.due_at.astimezone(LONDON):%-d %B %Y at %H:%M}"
    if reminder.kind == DUE:
        line = f"A call-back to a victim on case {case.reference} is due today, {when}."
        subject = f"Focus Hub: a call-back is due today on case {case.reference}"
        link = mail.external_url("victims.mine", slug=case.hub.slug)
    else:
        line = (
            f"A call-back to a victim on case {case.reference}, due {when}, has been missed "
            f"by a working day. The SPoC is {spoc.name}."
        )
        subject = f"Focus Hub: a call-back was missed on case {case.reference}"
        link = mail.external_url("victims.case_tab", case_id=case.id)
    for user in recipients:
        if reminder.kind == DUE and user.id == spoc.id:
            why = "You get this because you are the victim's SPoC."
        elif reminder.kind == DUE:
            why = "You get this as a coordinator of the hub: the SPoC can no longer keep it."
        elif user.id == spoc.id:
            why = "You get this because you are the victim's SPoC."
        else:
            why = "You get this as a coordinator of the hub, or as the SPoC's manager."
        db.session.add(Notification(user_id=user.id, case_id=case.id, text=line))
        mail.queue_mail(user.email, subject, f"{line}\n\nSign in to see it:\n{link}\n\n{why}")
    audit.record(
        f"{reminder.kind}_reminder_sent",
        hub=case.hub_id,
        target=case,
        details=_details(reminder) | {"recipients": [u.id for u in recipients]},
    )
    db.session.flush()


def _details(reminder: Reminder) -> dict:
    return {
        "kind": reminder.kind,
        "record_id": reminder.call_back.id,
        "due_on": reminder.due_on.isoformat(),
    }
