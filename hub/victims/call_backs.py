"""Call-backs: the next contact a SPoC promises a victim. One open call-back per victim; the
default comes from the case's band (the hub's cadence, in working days of England and Wales),
at a local time, stored in UTC. A SPoC's "My victims" lists theirs across cases: overdue,
due today and coming up. Callers commit."""

from dataclasses import dataclass
from datetime import date, datetime, time

from marshmallow import ValidationError
from sqlalchemy import select

from hub import audit
from hub import permissions as perm
from hub.casework.activity import log
from hub.core.locking import StaleForm, check_version, flush_or_stale
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import CallBack, CallBackStatus, Case, Hub, Stage, User, Victim, VictimSettings
from hub.models.victims import DEFAULT_CADENCE, VICTIM_CATEGORY
from hub.victims.schemas import CadenceSchema, CallBackSchema, parse_time
from scoring.calendar import add_working_days

DEFAULT_TIME = time(10, 0)  # a call-back with no time given: mid-morning, London time
MOVED = "Someone else moved this call-back since you opened the page. Check it and try again."


def cadence(hub_id: int) -> dict[str, int]:
    """Working days between call-backs, by band: the hub's own, or the default."""
    row = db.session.execute(
        select(VictimSettings).where(VictimSettings.hub_id == hub_id)
    ).scalar_one_or_none()
    return row.cadence() if row is not None else dict(DEFAULT_CADENCE)


def save_cadence(hub: Hub, data: dict, *, actor) -> VictimSettings:
    """A hub manager sets the hub's cadence; the next call-backs offered follow it."""
    data = CadenceSchema().load(data)
    row = db.session.execute(
        select(VictimSettings).where(VictimSettings.hub_id == hub.id)
    ).scalar_one_or_none()
    if row is None:
        row = VictimSettings(hub_id=hub.id)
        db.session.add(row)
        db.session.flush()
    changed = sorted(k for k, v in data.items() if getattr(row, k) != v)
    for key in changed:
        setattr(row, key, data[key])
    row.updated_at = utcnow()
    audit.record(
        "victim_cadence_saved",
        user=actor,
        hub=hub.id,
        target=row,
        details={"fields": changed},  # the values are on the row itself
    )
    return row


def local_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(LONDON).date()


def at_local(on: date, at: time) -> datetime:
    """A London date and time as aware UTC (zoneinfo settles the clock change)."""
    return datetime.combine(on, at, tzinfo=LONDON).astimezone(utcnow().tzinfo)


def default_due_on(case: Case, after: date) -> date:
    """The day the band's cadence sets: that many working days after `after`."""
    return add_working_days(after, cadence(case.hub_id)[case.band])


def open_call_back(victim: Victim) -> CallBack | None:
    query = select(CallBack).where(
        CallBack.victim_id == victim.id, CallBack.status == CallBackStatus.OPEN.value
    )
    return db.session.execute(query.order_by(CallBack.due_at).limit(1)).scalar_one_or_none()


def _check_spoc(case: Case, spoc_user_id: int) -> None:
    spoc = db.session.get(User, spoc_user_id)
    if (
        spoc is None
        or not spoc.is_active_account
        or not perm.can_read_victims(spoc, case, perm.Action.WRITE)
    ):
        raise ValidationError(
            {
                "spoc_user_id": [
                    "The SPoC must work for a member agency whose agreements cover victim contact"
                ]
            }
        )


def set_call_back(
    case: Case, victim: Victim, due_at: datetime, *, actor, spoc_user_id: int | None = None
) -> CallBack:
    """Schedule the victim's next call-back, or move the open one (one per victim)."""
    if due_at <= utcnow():
        raise ValidationError({"due_on": ["A call-back must be in the future"]})
    spoc_user_id = spoc_user_id or victim.spoc_user_id or actor.id
    _check_spoc(case, spoc_user_id)
    row = open_call_back(victim)
    kind = "call_back_moved"
    if row is None:
        kind = "call_back_scheduled"
        row = CallBack(
            case_id=case.id,
            victim_id=victim.id,
            category=VICTIM_CATEGORY,
            origin_agency_id=actor.agency_id,
            scheduled_by_id=actor.id,
        )
        db.session.add(row)
    row.due_at = due_at
    row.spoc_user_id = spoc_user_id
    flush_or_stale(lambda: StaleForm(MOVED))
    audit.record(
        kind,
        user=actor,
        hub=case.hub_id,
        target=row,
        details={
            "case_id": case.id,
            "record_id": victim.id,
            "due_by": due_at.isoformat(),
            "spoc_user_id": spoc_user_id,
        },
    )
    return row


def schedule(case: Case, victim: Victim, data: dict, *, actor) -> CallBack:
    """The call-back form: a date and a London time, by itself (not after a contact)."""
    data = CallBackSchema().load(data)
    row = open_call_back(victim)
    if row is not None and data["version"] is not None:
        check_version(row.version, data["version"], lambda: StaleForm(MOVED))
    due_at = at_local(data["due_on"], parse_time(data["due_time"]))
    row = set_call_back(case, victim, due_at, actor=actor, spoc_user_id=data["spoc_user_id"])
    log(case, actor, "call_back_scheduled", "Scheduled a call-back to a victim", record=row)
    return row


def close_open(victim: Victim, *, contact, at: datetime) -> CallBack | None:
    """A contact made keeps the promise of the open call-back (if any)."""
    row = open_call_back(victim)
    if row is not None:
        row.status = CallBackStatus.DONE.value
        row.done_at = at
        row.contact_id = contact.id
        flush_or_stale(lambda: StaleForm(MOVED))
    return row


def case_call_backs(user, case: Case) -> dict[int, CallBack]:
    """Each visible victim's open call-back on the case, by victim id (one query)."""
    query = perm.victim_records(user, CallBack, case.hub).where(
        CallBack.case_id == case.id, CallBack.status == CallBackStatus.OPEN.value
    )
    rows = db.session.execute(query.order_by(CallBack.due_at)).scalars()
    found: dict[int, CallBack] = {}
    for row in rows:
        found.setdefault(row.victim_id, row)
    return found


# -- My victims ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """One of a SPoC's call-backs, with its victim and case, and where it stands."""

    call_back: CallBack
    victim: Victim
    case: Case
    state: str  # "overdue" (due on an earlier day), "late" (earlier today), "today", "later"


def state_of(call_back: CallBack, now: datetime) -> str:
    due_on = call_back.due_at.astimezone(LONDON).date()
    today = local_today(now)
    if due_on < today:
        return "overdue"
    if due_on == today:
        return "late" if call_back.due_at < now else "today"
    return "later"


def my_victims(user, hub: Hub, now: datetime | None = None, *, later_days: int = 14) -> dict:
    """A SPoC's open call-backs across the hub's open cases: overdue and due today first, then
    those due in the next `later_days` days; and their victims with no call-back at all.
    Two queries however many cases; every row passes the permission rule."""
    now = now or utcnow()
    horizon = at_local(add_days(local_today(now), later_days + 1), time(0))
    rows = db.session.execute(
        perm.victim_records(user, CallBack, hub)
        .join(Victim, Victim.id == CallBack.victim_id)
        .add_columns(Victim, Case)
        .where(
            CallBack.spoc_user_id == user.id,
            CallBack.status == CallBackStatus.OPEN.value,
            CallBack.due_at < horizon,
            Case.stage != Stage.CLOSED.value,
        )
        .order_by(CallBack.due_at, CallBack.id)
    ).all()
    due = [Due(cb, victim, case, state_of(cb, now)) for cb, victim, case in rows]
    waiting = select(CallBack.id).where(
        CallBack.victim_id == Victim.id, CallBack.status == CallBackStatus.OPEN.value
    )
    unscheduled = db.session.execute(
        perm.victim_records(user, Victim, hub)
        .add_columns(Case)
        .where(
            Victim.spoc_user_id == user.id,
            Case.stage != Stage.CLOSED.value,
            ~waiting.exists(),
        )
        .order_by(Case.reference, Victim.id)
    ).all()
    return {
        "overdue": [d for d in due if d.state == "overdue"],
        "today": [d for d in due if d.state in ("late", "today")],
        "later": [d for d in due if d.state == "later"],
        "unscheduled": [(victim, case) for victim, case in unscheduled],
    }


def add_days(day: date, n: int) -> date:
    return date.fromordinal(day.toordinal() + n)
