"""Urgent conferences: a critical or high referral whose deadline falls before the weekly
conference that would take it gets an urgent conference within its deadline, and the hub's
coordinators are told at once. A coordinator then confirms it (SCHEDULED) or declines it with
a reason (CANCELLED), which becomes the reason recorded for the breach if the deadline is missed.

Reused first: a proposed or scheduled urgent conference of the hub before the deadline; then
a weekly conference before the deadline (at least NOTICE ahead), which the referral joins as
an urgent item rather than a second meeting.

propose_for(referral, now, weekly) runs when a referral is submitted (on the
referral_submitted signal from referrals.intake), in the submission's transaction;
propose_due(now) is the hourly job's safety net. Both are idempotent: a referral once put on
an urgent conference's agenda is never proposed again, an agenda item is unique per
(conference, referral), and coordinators are told only when the item is new.

Nothing here names anyone: a conference's reason and every notice carry the referral's
reference, band and deadline only.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from marshmallow import ValidationError
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from hub import audit
from hub import permissions as perm
from hub.casework import deadlines as case_deadlines
from hub.conferences.schemas import ConfirmSchema
from hub.conferences.slot import scoring_slot, slot_for
from hub.core import mail, signals
from hub.core.locking import StaleForm, check_version, move_version_on
from hub.core.timeutil import LONDON, format_local
from hub.extensions import db
from hub.models import (
    AgendaItem,
    AgendaReason,
    Case,
    CaseDeadline,
    Conference,
    ConferenceKind,
    ConferenceSlot,
    ConferenceStatus,
    DeadlineBreach,
    DeadlineSource,
    Hub,
    Notification,
    Referral,
)
from hub.models.referral import ReferralStatus
from scoring import ConferenceSlot as ScoringSlot
from scoring import add_working_days, next_conference

URGENT_BANDS = ("critical", "high")
# An urgent conference is proposed at least this long ahead, and otherwise this long before
# the deadline, so partners can get there and the chair can read the referral.
NOTICE = timedelta(hours=2)
_STEP = timedelta(minutes=15)
_OPEN = (ConferenceStatus.PROPOSED.value, ConferenceStatus.SCHEDULED.value)


@dataclass(frozen=True)
class Need:
    """One deadline that may need convening for: a referral's awaiting triage, or a case's
    (set when it opened or its band was raised, hub.casework.deadlines). Reference, band and
    times only: nothing personal."""

    hub_id: int
    reference: str
    band: str
    due_by: datetime
    referral_id: int | None = None
    case_id: int | None = None
    why: str = ""  # for a case: what set the deadline, in words

    @classmethod
    def of_referral(cls, referral: Referral) -> "Need":
        return cls(
            referral.hub_id,
            referral.reference,
            referral.band,
            referral.conference_due_by,
            referral_id=referral.id,
        )

    @classmethod
    def of_case(cls, deadline: CaseDeadline, reference: str) -> "Need":
        return cls(
            deadline.hub_id,
            reference,
            deadline.band,
            deadline.due_by,
            referral_id=deadline.referral_id,
            case_id=deadline.case_id,
            why=DeadlineSource(deadline.source).label.lower(),
        )

    @property
    def what(self) -> str:
        return "case" if self.case_id else "referral"


# -- when one is needed, and when to hold it ---------------------------------------------------


def needs_urgent(band: str | None, due_by: datetime | None, slot: ScoringSlot) -> bool:
    """True when a referral of this band and deadline needs an urgent conference.

    The scoring engine makes a critical or high deadline the weekly conference itself when that
    comes first and is beyond the agenda cut-off, and the agenda builder then takes it there.
    Otherwise the deadline is a working-day one, and the partners may not meet in time
    unless they are convened for it: on an urgent conference, or as an urgent item of a
    weekly conference that falls before the deadline (_put_on_urgent)."""
    if band not in URGENT_BANDS or due_by is None:
        return False
    return next_conference(due_by - timedelta(microseconds=1), slot) > due_by


def _round_up(at: datetime, step: timedelta) -> datetime:
    seconds = step.total_seconds()
    stamp = at.timestamp()
    return datetime.fromtimestamp(-(-stamp // seconds) * seconds, UTC)


def proposed_start(due_by: datetime, now: datetime, slot: ScoringSlot) -> datetime | None:
    """When to hold an urgent conference for a deadline: the next working day at the weekly
    slot's time if that is within the deadline and at least NOTICE away; otherwise NOTICE
    before the deadline; never in the past and never after the deadline. None once the
    deadline has passed."""
    if due_by <= now:
        return None
    next_day = add_working_days(now.astimezone(LONDON).date(), 1)
    at = datetime.combine(next_day, slot.time, tzinfo=LONDON).astimezone(UTC)
    if now + NOTICE <= at <= due_by:
        return at
    return min(max(due_by - NOTICE, _round_up(now, _STEP)), due_by)


# -- proposing -----------------------------------------------------------------------------------


def _uncovered():
    """SQL: the referral has never been convened for urgently, on an urgent conference or as
    an urgent item of a weekly one (so one declined or removed by a coordinator is not
    proposed again), and is on no other conference's agenda in time for its deadline."""
    on_urgent = exists().where(
        AgendaItem.referral_id == Referral.id,
        AgendaItem.reason == AgendaReason.URGENT.value,
    )
    in_time = exists().where(
        AgendaItem.referral_id == Referral.id,
        AgendaItem.removed.is_(False),
        AgendaItem.conference_id == Conference.id,
        Conference.status != ConferenceStatus.CANCELLED.value,
        Conference.starts_at <= Referral.conference_due_by,
    )
    return and_(~on_urgent, ~in_time)


def _awaiting(now: datetime):
    return and_(
        Referral.status == ReferralStatus.SUBMITTED.value,
        Referral.band.in_(URGENT_BANDS),
        Referral.conference_due_by > now,
    )


def propose_for(referral: Referral, now: datetime, weekly: ScoringSlot | None) -> Conference | None:
    """Put a just-submitted referral on an urgent conference if its deadline demands one.
    `weekly` is the weekly slot it was scored with (None: the hub has none), so a referral
    that needs no urgent conference costs no statement. Returns the conference, or None when
    none is needed (or one already covers it)."""
    if weekly is None or not needs_urgent(referral.band, referral.conference_due_by, weekly):
        return None
    slot = slot_for(referral.hub_id)
    if slot is None:
        return None  # weekly times kept with the scoring settings only: no conferences here
    still = db.session.execute(
        select(Referral.id).where(Referral.id == referral.id, _awaiting(now), _uncovered())
    ).first()
    return _put_on_urgent(referral, slot, now) if still else None


def propose_due(now: datetime) -> list[tuple[Conference, Referral | Need]]:
    """The hourly safety net: every referral awaiting triage and every case deadline of every
    hub that still needs an urgent conference and is not on one gets one. Returns what it
    did."""
    rows = db.session.execute(
        select(Referral, ConferenceSlot)
        .join(ConferenceSlot, ConferenceSlot.hub_id == Referral.hub_id)
        .where(_awaiting(now), _uncovered())
        .order_by(Referral.conference_due_by, Referral.id)
    ).all()
    done = []
    for referral, slot in rows:
        if needs_urgent(referral.band, referral.conference_due_by, scoring_slot(slot)):
            conference = _put_on_urgent(referral, slot, now)
            if conference is not None:
                done.append((conference, referral))
    return done + _propose_due_cases(now)


@signals.referral_submitted.connect
def _convene_urgently(referral: Referral, *, now: datetime, weekly: ScoringSlot | None, **_):
    """A referral was just submitted (referrals.intake): convene for it now if it must be."""
    propose_for(referral, now, weekly)


# -- a case's deadline (opened, or its band raised since) ------------------------------------


def _case_uncovered():
    """SQL, correlated to CaseDeadline: never convened for urgently since the deadline was set
    (one declined or removed by a coordinator is not proposed again), and on no conference's
    agenda from then until the deadline. A referral's own deadline carried by its case counts
    the referral's items too."""
    mine = or_(
        AgendaItem.case_id == CaseDeadline.case_id,
        and_(
            CaseDeadline.referral_id.is_not(None),
            AgendaItem.referral_id == CaseDeadline.referral_id,
        ),
    )
    on_urgent = exists().where(
        mine,
        AgendaItem.reason == AgendaReason.URGENT.value,
        AgendaItem.created_at >= CaseDeadline.set_at,
    )
    in_time = exists().where(
        mine,
        AgendaItem.removed.is_(False),
        AgendaItem.conference_id == Conference.id,
        Conference.status != ConferenceStatus.CANCELLED.value,
        Conference.starts_at >= CaseDeadline.set_at,
        Conference.starts_at <= CaseDeadline.due_by,
    )
    return and_(~on_urgent, ~in_time)


def _case_awaiting(now: datetime):
    return and_(
        CaseDeadline.band.in_(URGENT_BANDS),
        CaseDeadline.due_by > now,
        case_deadlines.owed(),
        _case_uncovered(),
    )


def propose_for_case(deadline: CaseDeadline, now: datetime) -> Conference | None:
    """Put a case on an urgent conference (or an urgent item on a weekly one) if its new
    deadline demands one. Returns the conference, or None."""
    slot = slot_for(deadline.hub_id)
    if slot is None or not needs_urgent(deadline.band, deadline.due_by, scoring_slot(slot)):
        return None
    row = db.session.execute(
        select(Case.reference).where(CaseDeadline.id == deadline.id, _case_awaiting(now))
    ).first()
    return _put_on_urgent(Need.of_case(deadline, row.reference), slot, now) if row else None


@signals.case_deadline_set.connect
def _convene_for_case(deadline: CaseDeadline, *, now: datetime, **_):
    """A case was opened or its band raised (hub.casework.deadlines): convene for it now if
    its deadline falls before the weekly conference that would take it."""
    propose_for_case(deadline, now)


def _propose_due_cases(now: datetime) -> list[tuple[Conference, Need]]:
    rows = db.session.execute(
        select(CaseDeadline, Case.reference, ConferenceSlot)
        .join(Case, Case.id == CaseDeadline.case_id)
        .join(ConferenceSlot, ConferenceSlot.hub_id == CaseDeadline.hub_id)
        .where(_case_awaiting(now))
        .order_by(CaseDeadline.due_by, CaseDeadline.id)
    ).all()
    done = []
    for deadline, reference, slot in rows:
        if needs_urgent(deadline.band, deadline.due_by, scoring_slot(slot)):
            need = Need.of_case(deadline, reference)
            conference = _put_on_urgent(need, slot, now)
            if conference is not None:
                done.append((conference, need))
    return done


def _put_on_urgent(need, slot: ConferenceSlot, now: datetime) -> Conference | None:
    if isinstance(need, Referral):
        need = Need.of_referral(need)
    due = need.due_by
    conference = db.session.execute(
        select(Conference)
        .where(
            Conference.hub_id == need.hub_id,
            Conference.kind == ConferenceKind.URGENT.value,
            Conference.status.in_(_OPEN),
            Conference.starts_at > now,
            Conference.starts_at <= due,
        )
        .order_by(Conference.starts_at)
        .limit(1)
    ).scalar_one_or_none()
    created = False
    if conference is None:
        # A weekly conference before the deadline, with time to prepare: the referral joins it
        # as an urgent item rather than a second meeting.
        conference = db.session.execute(
            select(Conference)
            .where(
                Conference.hub_id == need.hub_id,
                Conference.kind == ConferenceKind.WEEKLY.value,
                Conference.status == ConferenceStatus.SCHEDULED.value,
                Conference.starts_at >= now + NOTICE,
                Conference.starts_at <= due,
            )
            .order_by(Conference.starts_at)
            .limit(1)
        ).scalar_one_or_none()
    if conference is None:
        start = proposed_start(due, now, scoring_slot(slot))
        if start is None:
            return None
        conference = _create(need.hub_id, slot, start, now, due)
        created = True
    if not _add_item(conference, need, now):
        return None  # another process put it there first, and told the coordinators
    if conference.kind == ConferenceKind.URGENT.value:
        line = (
            f"{need.band.capitalize()} {need.what} {need.reference} is due by "
            f"{format_local(due)}, before the weekly conference that would take it."
        )
        conference.reason = f"{conference.reason}\n{line}" if conference.reason else line
    if conference.kind == ConferenceKind.URGENT.value and conference.agenda_built_at is None:
        conference.agenda_built_at = now  # built at once, not the slot's hours before
    audit.record(
        "urgent_conference_proposed" if created else "urgent_conference_item_added",
        hub=need.hub_id,
        target=conference,
        details={
            "after": {
                need.what: need.reference,
                "band": need.band,
                "due_by": due.isoformat(),
                "starts_at": conference.starts_at.isoformat(),
                "status": conference.status,
            }
        },
    )
    _tell_coordinators(conference, need, created)
    return conference


def _create(
    hub_id: int, slot: ConferenceSlot, start: datetime, now: datetime, due: datetime
) -> Conference:
    # A conference is unique per (hub, kind, start): step earlier past a declined one that
    # holds the proposed time.
    taken = set(
        db.session.execute(
            select(Conference.starts_at).where(
                Conference.hub_id == hub_id,
                Conference.kind == ConferenceKind.URGENT.value,
                Conference.starts_at > now,
                Conference.starts_at <= due,
            )
        ).scalars()
    )
    while start in taken and start - _STEP > now:
        start -= _STEP
    conference = Conference(
        hub_id=hub_id,
        kind=ConferenceKind.URGENT.value,
        status=ConferenceStatus.PROPOSED.value,
        starts_at=start,
        place=slot.place,
        online_link=slot.online_link,
        reason="",
    )
    try:
        with db.session.begin_nested():
            db.session.add(conference)
    except IntegrityError:
        # Another process proposed one for the same moment between our look and our insert.
        return db.session.execute(
            select(Conference).where(
                Conference.hub_id == hub_id,
                Conference.kind == ConferenceKind.URGENT.value,
                Conference.starts_at == start,
            )
        ).scalar_one()
    return conference


def _add_item(conference: Conference, need: Need, now: datetime) -> bool:
    position = (
        db.session.execute(
            select(func.max(AgendaItem.position)).where(AgendaItem.conference_id == conference.id)
        ).scalar()
        or 0
    )
    # A case's item is the case's (a referral's own deadline carried by its case included):
    # the chair decides on the case.
    item = AgendaItem(
        conference_id=conference.id,
        referral_id=None if need.case_id else need.referral_id,
        case_id=need.case_id,
        reason=AgendaReason.URGENT.value,
        position=position + 1,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(item)
    except IntegrityError:
        return False  # unique per (conference, referral): it is already there
    db.session.expire(conference, ["items"])
    return True


def _tell_coordinators(conference: Conference, need: Need, created: bool) -> None:
    when = format_local(conference.starts_at)
    due = format_local(need.due_by)
    subject = f"{need.band} {need.what} {need.reference}"
    if need.case_id:
        subject += f" ({need.why})"
    if created:
        text = (
            f"Urgent conference proposed for {when}: {subject} is due by {due}. "
            "Confirm or decline it."
        )
    else:
        text = (
            f"{subject[0].upper()}{subject[1:]} (due by {due}) added to the "
            f"{ConferenceKind(conference.kind).label.lower()} on {when}."
        )
    if conference.kind == ConferenceKind.URGENT.value:
        link = mail.external_url("conference_time.urgent", conference_id=conference.id)
        action = "Sign in to confirm or decline the urgent conference"
    else:
        link = mail.external_url("conferences.show", conference_id=conference.id)
        action = "It is on the agenda of the coming weekly conference. Sign in to see it"
    if need.case_id:
        opening = (
            "The risk on an open case has been raised, and the partners are due to meet on it "
            "before the weekly conference that would take it."
        )
        title = "Focus Hub: a case needs an urgent conference"
    else:
        opening = (
            "A referral to your hub is due for a conference before the weekly conference "
            "that would take it."
        )
        title = "Focus Hub: a referral needs an urgent conference"
    for user in perm.coordinators(need.hub_id):
        db.session.add(Notification(user_id=user.id, conference_id=conference.id, text=text))
        mail.queue_mail(user.email, title, f"{opening}\n\n{action}:\n{link}\n")
    db.session.flush()


# -- the coordinator's answer ---------------------------------------------------------------


def deadlines(conference: Conference) -> list[tuple[str, str, datetime]]:
    """("referral" or "case", reference, deadline) of each referral on the conference's
    agenda, and of each case there that owes the partners a meeting, soonest first."""
    referrals = db.session.execute(
        select(Referral.reference, Referral.conference_due_by)
        .join(AgendaItem, AgendaItem.referral_id == Referral.id)
        .where(AgendaItem.conference_id == conference.id, AgendaItem.removed.is_(False))
    ).all()
    owed = db.session.execute(
        select(Case.reference, func.min(CaseDeadline.due_by))
        .join(AgendaItem, AgendaItem.case_id == Case.id)
        .join(CaseDeadline, CaseDeadline.case_id == Case.id)
        .where(
            AgendaItem.conference_id == conference.id,
            AgendaItem.removed.is_(False),
            CaseDeadline.set_at <= conference.starts_at,
            case_deadlines.owed(),
        )
        .group_by(Case.reference)
    ).all()
    found = [("referral", r, due) for r, due in referrals if due is not None]
    found += [("case", r, due) for r, due in owed]
    return sorted(found, key=lambda x: (x[2], x[1]))


def _owed_case_deadlines(conference: Conference) -> list[int]:
    """The case deadlines (not a referral's own) that this conference was to meet."""
    return list(
        db.session.execute(
            select(CaseDeadline.id)
            .join(Case, Case.id == CaseDeadline.case_id)
            .join(AgendaItem, AgendaItem.case_id == Case.id)
            .where(
                AgendaItem.conference_id == conference.id,
                AgendaItem.removed.is_(False),
                CaseDeadline.referral_id.is_(None),
                CaseDeadline.set_at <= conference.starts_at,
                case_deadlines.owed(),
            )
        ).scalars()
    )


def confirm_form(conference: Conference) -> dict:
    local = conference.starts_at.astimezone(LONDON)
    return {
        "day": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "place": conference.place,
        "online_link": conference.online_link,
        "edit_version": str(conference.edit_version),
    }


def _check_answerable(conference: Conference, form) -> None:
    if (
        conference.kind != ConferenceKind.URGENT.value
        or conference.status != ConferenceStatus.PROPOSED.value
    ):
        raise ValidationError({"form": ["This conference is not a proposed urgent conference"]})
    check_version(conference.edit_version, form.get("edit_version"), _answered_meanwhile)


def _answered_meanwhile() -> StaleForm:
    return StaleForm(
        "Someone else answered or changed this conference while you were looking at it. "
        "Check it again."
    )


def confirm(conference: Conference, form, user, now: datetime) -> list[str]:
    """Confirm a proposed urgent conference, perhaps at another time or place: it becomes
    SCHEDULED. Returns warnings in words (a time after a referral's deadline). Raises
    ValidationError, nothing written."""
    _check_answerable(conference, form)
    raw = {k: (form.get(k) or "").strip() for k in ("day", "time", "place", "online_link")}
    data = ConfirmSchema().load({k: v for k, v in raw.items() if v})
    hours, minutes = (int(x) for x in data["time"].split(":"))
    start = datetime.combine(data["day"], time(hours, minutes), tzinfo=LONDON).astimezone(UTC)
    if start <= now:
        raise ValidationError({"day": ["Choose a date and time in the future"]})
    clash = db.session.execute(
        select(Conference.id).where(
            Conference.hub_id == conference.hub_id,
            Conference.kind == ConferenceKind.URGENT.value,
            Conference.starts_at == start,
            Conference.id != conference.id,
        )
    ).first()
    if clash:
        raise ValidationError({"time": ["Another urgent conference is at that time"]})
    before = _answer_dict(conference)
    conference.starts_at = start
    conference.place = data["place"].strip()
    conference.online_link = data["online_link"].strip()
    conference.status = ConferenceStatus.SCHEDULED.value
    move_version_on(conference, "edit_version", _answered_meanwhile)
    audit.record(
        "urgent_conference_confirmed",
        user=user,
        hub=conference.hub,
        target=conference,
        details={"before": before, "after": _answer_dict(conference)},
    )
    return [
        f"The conference is after the deadline for {what} {reference} "
        f"({format_local(due)}): it will be late."
        for what, reference, due in deadlines(conference)
        if due < start
    ]


def decline(conference: Conference, form, user, now: datetime) -> None:
    """Decline a proposed urgent conference with a reason: it is cancelled, and the reason
    is recorded for each referral on it, to explain the breach if its deadline is missed."""
    _check_answerable(conference, form)
    reason = (form.get("reason") or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Enter why the urgent conference is not needed"]})
    if len(reason) > 2000:
        raise ValidationError({"reason": ["Reason must be 2,000 characters or fewer"]})
    before = _answer_dict(conference)
    conference.status = ConferenceStatus.CANCELLED.value
    move_version_on(conference, "edit_version", _answered_meanwhile)
    referral_ids = list(
        db.session.execute(
            select(AgendaItem.referral_id).where(
                AgendaItem.conference_id == conference.id,
                AgendaItem.removed.is_(False),
                AgendaItem.referral_id.is_not(None),
            )
        ).scalars()
    )
    recorded = set(
        db.session.execute(
            select(DeadlineBreach.referral_id).where(DeadlineBreach.referral_id.in_(referral_ids))
        ).scalars()
    )
    text = f"Urgent conference declined: {reason}"
    conference.reason = f"{conference.reason}\n{text}" if conference.reason else text
    for referral_id in referral_ids:
        if referral_id not in recorded:  # a reason a person already gave is kept
            db.session.add(
                DeadlineBreach(
                    referral_id=referral_id, reason=text, recorded_by_id=user.id, recorded_at=now
                )
            )
    case_deadline_ids = _owed_case_deadlines(conference)
    kept = set(
        db.session.execute(
            select(DeadlineBreach.case_deadline_id).where(
                DeadlineBreach.case_deadline_id.in_(case_deadline_ids)
            )
        ).scalars()
    )
    for deadline_id in case_deadline_ids:
        if deadline_id not in kept:
            db.session.add(
                DeadlineBreach(
                    case_deadline_id=deadline_id,
                    reason=text,
                    recorded_by_id=user.id,
                    recorded_at=now,
                )
            )
    audit.record(
        "urgent_conference_declined",
        user=user,
        hub=conference.hub,
        target=conference,
        details={"before": before, "after": _answer_dict(conference)},
    )


def _answer_dict(conference: Conference) -> dict:
    return {
        "status": conference.status,
        "starts_at": conference.starts_at.isoformat(),
    }


def proposed_of(hub: Hub) -> list[Conference]:
    """The hub's urgent conferences awaiting a coordinator's answer, soonest first."""
    return list(
        db.session.execute(
            select(Conference)
            .where(
                Conference.hub_id == hub.id,
                Conference.kind == ConferenceKind.URGENT.value,
                Conference.status == ConferenceStatus.PROPOSED.value,
            )
            .order_by(Conference.starts_at)
        ).scalars()
    )
