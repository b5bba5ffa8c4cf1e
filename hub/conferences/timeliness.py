"""Keeping time: whether each referral's conference was held within its band's deadline.

Computed, never stored, in one SQL statement for a whole hub: for every submitted referral
that needs a conference (awaiting triage, or triaged into a case), the first HELD conference
whose agenda held the referral or its case (an item not removed, preferring one the chair
discussed), held at its scheduled start (starts_at), or its actual start (started_at) if the
chair opened it earlier. Then:

- met: held by the deadline;       - missed: held, but after the deadline;
- pending: none held, not yet due; - overdue: none held, and the deadline has passed.

A coordinator or hub manager records why a breach happened (DeadlineBreach); declining an
urgent conference records its reason there too. Only the referral's reference, band and
times appear here: nothing personal.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from marshmallow import ValidationError
from sqlalchemy import and_, case, func, or_, select, type_coerce

from hub import audit
from hub.core.forms import sensible
from hub.core.locking import StaleForm, flush_or_stale, update_or_stale
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import (
    AgendaItem,
    Case,
    CaseDeadline,
    Conference,
    ConferenceStatus,
    DeadlineBreach,
    Hub,
    Referral,
)
from hub.models.base import UTCDateTime
from hub.models.referral import ReferralStatus, TriageDecision
from scoring import BANDS, is_working_day

DEFAULT_DAYS = 90
MAX_REASON = 2000


class Outcome(StrEnum):
    MET = "met"
    MISSED = "missed"
    OVERDUE = "overdue"
    PENDING = "pending"

    @property
    def label(self) -> str:
        return {
            "met": "Met",
            "missed": "Missed",
            "overdue": "Overdue",
            "pending": "Not yet due",
        }[self.value]


BREACHES = (Outcome.MISSED, Outcome.OVERDUE)


def how_late(due: datetime, at: datetime) -> str:
    """'5 hours' within the deadline's working day, else '2 working days'."""
    day, last = due.astimezone(LONDON).date(), at.astimezone(LONDON).date()
    days = 0
    while day < last:
        day += timedelta(days=1)
        days += is_working_day(day)
    if days == 0:
        hours = max(1, math.ceil((at - due).total_seconds() / 3600))
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{days} working day{'s' if days != 1 else ''}"


@dataclass(frozen=True)
class Row:
    referral_id: int | None
    reference: str
    band: str
    due_by: datetime
    submitted_at: datetime
    held_at: datetime | None
    outcome: Outcome
    reason: str | None
    reason_recorded_at: datetime | None
    late: str | None  # how late, for a breach
    # A case's deadline set after it opened (its band raised), rather than a referral's.
    case_deadline_id: int | None = None
    source: str | None = None  # what set a case's deadline (DeadlineSource)


def outcome_of(due: datetime, held_at: datetime | None, now: datetime) -> Outcome:
    if held_at is not None:
        return Outcome.MET if held_at <= due else Outcome.MISSED
    return Outcome.OVERDUE if now > due else Outcome.PENDING


def _first_held(discussed: bool):
    """SQL, correlated to Referral: when the first held conference with the referral or its
    case on the agenda began, no earlier than the referral itself (a case's older conferences
    are not this referral's)."""
    # A conference set for the deadline and held keeps it even if the chair opened it a few
    # minutes late: it counts from its scheduled start, or its actual one if that was earlier.
    held = case(
        (
            and_(Conference.started_at.is_not(None), Conference.started_at < Conference.starts_at),
            Conference.started_at,
        ),
        else_=Conference.starts_at,
    )
    query = (
        select(func.min(held))
        .select_from(AgendaItem)
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .where(
            Conference.status == ConferenceStatus.HELD.value,
            AgendaItem.removed.is_(False),
            or_(
                AgendaItem.referral_id == Referral.id,
                and_(Referral.case_id.is_not(None), AgendaItem.case_id == Referral.case_id),
            ),
            held >= Referral.submitted_at,
        )
    )
    if discussed:
        query = query.where(AgendaItem.discussed_at.is_not(None))
    return query.correlate(Referral).scalar_subquery()


def _held_at():
    # A conference set for the deadline and held keeps it even if the chair opened it a few
    # minutes late: it counts from its scheduled start, or its actual one if that was earlier.
    return case(
        (
            and_(Conference.started_at.is_not(None), Conference.started_at < Conference.starts_at),
            Conference.started_at,
        ),
        else_=Conference.starts_at,
    )


def _first_held_for_case(discussed: bool):
    """SQL, correlated to CaseDeadline: when the first held conference with the case on the
    agenda began, from when the deadline was set."""
    held = _held_at()
    query = (
        select(func.min(held))
        .select_from(AgendaItem)
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .where(
            Conference.status == ConferenceStatus.HELD.value,
            AgendaItem.removed.is_(False),
            AgendaItem.case_id == CaseDeadline.case_id,
            held >= CaseDeadline.set_at,
        )
    )
    if discussed:
        query = query.where(AgendaItem.discussed_at.is_not(None))
    return query.correlate(CaseDeadline).scalar_subquery()


def case_rows(
    hub: Hub,
    now: datetime,
    start: date | None = None,
    end: date | None = None,
    case_deadline_id: int | None = None,
) -> list[Row]:
    """Every deadline set on a case of the hub after it opened (its band raised: a
    reassessment, a conference decision, a new incident), set from `start` to `end`, with its
    outcome. A referral's own deadline is counted on the referral (rows), not here. One
    statement."""
    held_at = type_coerce(
        func.coalesce(_first_held_for_case(True), _first_held_for_case(False)), UTCDateTime()
    )
    query = (
        select(
            CaseDeadline.id,
            CaseDeadline.band,
            CaseDeadline.due_by,
            CaseDeadline.set_at,
            CaseDeadline.source,
            Case.reference,
            held_at.label("held_at"),
            DeadlineBreach.reason,
            DeadlineBreach.recorded_at,
        )
        .join(Case, Case.id == CaseDeadline.case_id)
        .outerjoin(DeadlineBreach, DeadlineBreach.case_deadline_id == CaseDeadline.id)
        .where(CaseDeadline.hub_id == hub.id, CaseDeadline.referral_id.is_(None))
        .order_by(CaseDeadline.due_by, CaseDeadline.id)
    )
    query = _within(query, CaseDeadline.set_at, start, end)
    if case_deadline_id is not None:
        query = query.where(CaseDeadline.id == case_deadline_id)
    found = []
    for r in db.session.execute(query):
        outcome = outcome_of(r.due_by, r.held_at, now)
        found.append(
            Row(
                referral_id=None,
                reference=r.reference,
                band=r.band,
                due_by=r.due_by,
                submitted_at=r.set_at,
                held_at=r.held_at,
                outcome=outcome,
                reason=r.reason,
                reason_recorded_at=r.recorded_at,
                late=how_late(r.due_by, r.held_at or now) if outcome in BREACHES else None,
                case_deadline_id=r.id,
                source=r.source,
            )
        )
    return found


def all_rows(hub: Hub, now: datetime, start: date | None = None, end: date | None = None):
    """Referrals' deadlines and cases' raised ones together, soonest deadline first."""
    found = rows(hub, now, start, end) + case_rows(hub, now, start, end)
    return sorted(found, key=lambda r: (r.due_by, r.reference))


def needs_conference():
    """SQL: a submitted referral still owed a conference: awaiting triage, or triaged into a
    case (declined and signposted ones are not)."""
    return or_(
        Referral.status == ReferralStatus.SUBMITTED.value,
        and_(
            Referral.status == ReferralStatus.TRIAGED.value,
            Referral.decision.in_(
                [TriageDecision.NEW_CASE.value, TriageDecision.ADDED_TO_CASE.value]
            ),
        ),
    )


def _within(query, column, start: date | None, end: date | None):
    """The rows whose `column` falls on London days from `start` to `end`, both included."""
    if start is not None:
        query = query.where(column >= _local_midnight(start))
    if end is not None:
        query = query.where(column < _local_midnight(end + timedelta(days=1)))
    return query


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON).astimezone(UTC)


def rows(
    hub: Hub,
    now: datetime,
    start: date | None = None,
    end: date | None = None,
    referral_id: int | None = None,
) -> list[Row]:
    """Every referral of the hub submitted from `start` to `end` (London dates, inclusive)
    that needs a conference, with its outcome. One statement."""
    held_at = type_coerce(func.coalesce(_first_held(True), _first_held(False)), UTCDateTime())
    query = (
        select(
            Referral.id,
            Referral.reference,
            Referral.band,
            Referral.conference_due_by,
            Referral.submitted_at,
            held_at.label("held_at"),
            DeadlineBreach.reason,
            DeadlineBreach.recorded_at,
        )
        .outerjoin(DeadlineBreach, DeadlineBreach.referral_id == Referral.id)
        .where(
            Referral.hub_id == hub.id,
            Referral.conference_due_by.is_not(None),
            needs_conference(),
        )
        .order_by(Referral.conference_due_by, Referral.id)
    )
    query = _within(query, Referral.submitted_at, start, end)
    if referral_id is not None:
        query = query.where(Referral.id == referral_id)
    found = []
    for r in db.session.execute(query):
        outcome = outcome_of(r.conference_due_by, r.held_at, now)
        late = None
        if outcome in BREACHES:
            late = how_late(r.conference_due_by, r.held_at or now)
        found.append(
            Row(
                referral_id=r.id,
                reference=r.reference,
                band=r.band or "standard",
                due_by=r.conference_due_by,
                submitted_at=r.submitted_at,
                held_at=r.held_at,
                outcome=outcome,
                reason=r.reason,
                reason_recorded_at=r.recorded_at,
                late=late,
            )
        )
    return found


@dataclass
class BandCounts:
    band: str
    met: int = 0
    missed: int = 0
    overdue: int = 0
    pending: int = 0

    @property
    def decided(self) -> int:
        return self.met + self.missed + self.overdue

    @property
    def on_time(self) -> int | None:
        """Per cent of those already due that were met; None when none are due yet."""
        return round(100 * self.met / self.decided) if self.decided else None


def summary(found: list[Row]) -> list[BandCounts]:
    """Counts per band, most urgent first, with a total last."""
    by_band = {band: BandCounts(band) for band in BANDS}
    total = BandCounts("all")
    for row in found:
        for counts in (by_band.setdefault(row.band, BandCounts(row.band)), total):
            setattr(counts, row.outcome.value, getattr(counts, row.outcome.value) + 1)
    return [*by_band.values(), total]


def breaches(found: list[Row]) -> list[Row]:
    return [r for r in found if r.outcome in BREACHES]


def date_range(args, today: date) -> tuple[date, date, dict]:
    """The page's range from its query string (default the last 90 days). Returns
    (start, end, errors by field)."""
    errors = {}
    values = {}
    for key, default in (("from", today - timedelta(days=DEFAULT_DAYS)), ("to", today)):
        raw = (args.get(key) or "").strip()
        try:
            values[key] = date.fromisoformat(raw) if raw else default
        except ValueError:
            errors[key] = ["Enter a real date, like 2026-11-30"]
            values[key] = default
        if not sensible(values[key]):
            errors[key] = ["Enter a date between 1900 and 2199"]
            values[key] = default
    if not errors and values["from"] > values["to"]:
        errors["from"] = ["The start date must be on or before the end date"]
        values["from"] = values["to"] - timedelta(days=DEFAULT_DAYS)
    return values["from"], values["to"], errors


# -- the reason for a breach ----------------------------------------------------------------


def breach_row(
    hub: Hub, referral_id: int | None, now: datetime, case_deadline_id: int | None = None
) -> Row | None:
    if case_deadline_id is not None:
        found = case_rows(hub, now, case_deadline_id=case_deadline_id)
    else:
        found = rows(hub, now, referral_id=referral_id)
    return found[0] if found else None


def version_of(row: Row) -> str:
    """The form's guard against a stale edit: when the reason was last recorded, and a digest
    of it (two edits under a stopped clock still differ)."""
    if row.reason_recorded_at is None:
        return ""
    digest = hashlib.sha256((row.reason or "").encode()).hexdigest()[:12]
    return f"{row.reason_recorded_at.isoformat()}/{digest}"


def _recorded_meanwhile() -> StaleForm:
    return StaleForm(
        "Someone else recorded a reason while you were editing. Check it and save again.",
        field="reason",
    )


def record_reason(
    hub: Hub,
    referral_id: int | None,
    form,
    user,
    now: datetime,
    case_deadline_id: int | None = None,
) -> DeadlineBreach:
    """Record or change why a referral's (or a case's raised) conference was late. Raises
    ValidationError, nothing written: no reason, too long, not a breach, or changed
    meanwhile."""
    row = breach_row(hub, referral_id, now, case_deadline_id)
    if row is None or row.outcome not in BREACHES:
        raise ValidationError(
            {"reason": ["This referral's conference was not late: there is no breach to explain"]}
        )
    if (form.get("version") or "").strip() != version_of(row):
        raise _recorded_meanwhile()
    reason = (form.get("reason") or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Enter why the conference was not held in time"]})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": [f"Reason must be {MAX_REASON:,} characters or fewer"]})
    key = (
        DeadlineBreach.case_deadline_id == case_deadline_id
        if case_deadline_id is not None
        else DeadlineBreach.referral_id == referral_id
    )
    breach = db.session.execute(select(DeadlineBreach).where(key)).scalar_one_or_none()
    replaced = breach is not None
    recorded = {"reason": reason, "recorded_by_id": user.id, "recorded_at": now}
    if breach is None:
        if case_deadline_id is not None:
            breach = DeadlineBreach(case_deadline_id=case_deadline_id, **recorded)
        else:
            breach = DeadlineBreach(referral_id=referral_id, **recorded)
        db.session.add(breach)
        flush_or_stale(_recorded_meanwhile)  # two first reasons at once: the second is stale
    else:
        # Changed only from the reason the form showed: of two changes at once, the second is
        # stale, not a silent overwrite of the first.
        update_or_stale(
            breach,
            _recorded_meanwhile,
            DeadlineBreach.reason == row.reason,
            DeadlineBreach.recorded_at == row.reason_recorded_at,
            **recorded,
        )
    audit.record(
        "deadline_breach_reason_recorded",
        user=user,
        hub=hub,
        target=breach,
        details={
            "changed": ["reason"],
            "replaced": replaced,
            "after": {
                ("case" if case_deadline_id is not None else "referral"): row.reference,
                "outcome": row.outcome.value,
            },
        },
    )
    return breach
