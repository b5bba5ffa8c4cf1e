"""The end of retention: a closed case's records, category by category, and a referral the hub
did not take on, are anonymised when their retention period ends.

Each hub keeps its records for a period per data category (the categories of the section
115 rule), counted from the case's closure; a referral declined or signposted elsewhere is
kept for its own period from the triage decision. The clock's `retention_review` job
(jobs.py) writes a review per case and category when a case closes (moved if it is closed
again after reopening) and, once a review is due, anonymises that category's records:
each column marked PERSONAL is emptied, and an evidence file's content is deleted. Rows stay,
so counts, timeliness and the analytics keep their figures and the audit log's ids still
point somewhere. The job refuses, skips and reports a case that is open again or under a
legal hold; each ending and each refusal is audited (metadata only: the category, how many
records, which columns).
"""

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from marshmallow import EXCLUDE
from sqlalchemy import JSON, and_, false, func, insert, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from hub import audit
from hub.core.locking import StaleForm, check_version
from hub.core.storage import evidence_store
from hub.core.timeutil import local, utcnow
from hub.extensions import db
from hub.lifecycle.schemas import MAX_MONTHS, MIN_MONTHS, periods_schema
from hub.models import (
    Case,
    Hub,
    HubRetention,
    LegalHold,
    Referral,
    RetentionReview,
    RetentionStatus,
    Stage,
    User,
)
from hub.models.referral import TriageDecision
from hub.models.sharing import DataCategory

NOT_TAKEN_ON = "not_taken_on"
# Months kept after a case closes, per data category, unless the hub sets its own; and after
# the triage decision for a referral that was declined or signposted.
DEFAULT_MONTHS = {category.value: 72 for category in DataCategory} | {NOT_TAKEN_ON: 12}
# Why each default is what it is: shown beside it on the hub's retention page.
AFTER_CLOSURE = (
    "Six years after the case closes: the limitation period for most civil claims "
    "(Limitation Act 1980), which a partner may have to answer with the case's records."
)
DEFAULT_REASONS = {category.value: AFTER_CLOSURE for category in DataCategory} | {
    NOT_TAKEN_ON: "A year after the triage decision: long enough to answer a complaint about "
    "the decision or to see a pattern of repeat referrals."
}
LABELS = {category.value: category.label for category in DataCategory} | {
    NOT_TAKEN_ON: "Referrals not taken on"
}
# Records without a data category of their own (actions, the plan, decisions, the case's
# title) are the case's working records, which the permission rule treats as incident data.
WORKING = DataCategory.INCIDENT.value

# Tables with personal columns that this does not end, and why.
NOT_ENDED_HERE = {
    "user_account": "people who sign in: switched off and removed by their agency's managers",
    "user_session": "sessions expire within hours (hub.accounts)",
    "isa_signatory": "who signed an agreement: part of the agreement's record",
    "conference": "a conference's own notes: kept with its minutes (nothing about one case)",
    "conference_attendance": "who attended: kept with the conference's minutes",
    "lesson": "the lessons library holds no personal data once reviewed (hub.lessons)",
}


class RetentionRefused(ValueError):
    """A record's retention cannot end now; `reason` is an audit reason code."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# -- periods and dates ---------------------------------------------------------------------------


def periods(hub_id: int) -> dict[str, int]:
    """The hub's retention periods in months: its own where set, the defaults elsewhere."""
    own = db.session.scalar(select(HubRetention).where(HubRetention.hub_id == hub_id))
    return DEFAULT_MONTHS | (own.months if own else {})


def set_periods(hub: Hub, months: dict[str, int], actor=None) -> dict[str, int]:
    """Set some of the hub's periods (whole months, at least one); reviews not yet ended move
    with them. Audited."""
    for key, value in months.items():
        if key not in DEFAULT_MONTHS:
            raise ValueError(f"{key} is not a data category (or {NOT_TAKEN_ON})")
        if not isinstance(value, int) or not MIN_MONTHS <= value <= MAX_MONTHS:
            raise ValueError(
                f"{key}: give a whole number of months from {MIN_MONTHS} to {MAX_MONTHS}"
            )
    own = db.session.scalar(select(HubRetention).where(HubRetention.hub_id == hub.id))
    own = own or HubRetention(hub_id=hub.id, months={})
    own.months = own.months | months
    own.updated_by_id = getattr(actor, "id", None)
    own.updated_at = utcnow()
    db.session.add(own)
    # Reviews not yet ended follow the new periods.
    pending = select(RetentionReview).where(
        RetentionReview.hub_id == hub.id,
        RetentionReview.status == RetentionStatus.PENDING,
        RetentionReview.category.in_(list(months)),
    )
    for review in db.session.scalars(pending):
        review.due_on = due_on(review.starts_at, months[review.category])
    audit.record(
        "retention_periods_set",
        user=actor,
        hub=hub,
        details={"categories": sorted(months)},  # the periods themselves: on HubRetention
    )
    db.session.flush()
    return periods(hub.id)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day where it is shorter)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def due_on(starts_at: datetime, months: int) -> date:
    """When a period from `starts_at` ends: counted in the hub's local dates."""
    return add_months(local(starts_at).date(), months)


@dataclass(frozen=True)
class ReviewDate:
    category: str
    due_on: date
    done: bool


def review_dates(case: Case) -> list[ReviewDate]:
    """A closed case's retention review date per data category (the reviews the clock wrote,
    or what it will write); nothing for an open case."""
    if case.stage != Stage.CLOSED.value or case.closed_at is None:
        return []
    written = {
        r.category: r
        for r in db.session.scalars(
            select(RetentionReview).where(RetentionReview.case_id == case.id)
        )
    }
    months = periods(case.hub_id)
    dates = []
    for category in DataCategory:
        review = written.get(category.value)
        if review is not None and review.starts_at == case.closed_at:
            dates.append(
                ReviewDate(category.value, review.due_on, review.status == RetentionStatus.DONE)
            )
        else:
            dates.append(
                ReviewDate(category.value, due_on(case.closed_at, months[category.value]), False)
            )
    return dates


def on_hold(case_id: int) -> bool:
    return (
        db.session.execute(
            select(LegalHold.id).where(LegalHold.case_id == case_id, LegalHold.lifted_at.is_(None))
        ).first()
        is not None
    )


def _locked_case(case_id: int) -> Case:
    """The case as committed now, its row locked until this transaction ends (PostgreSQL;
    SQLite's writer holds the whole file). A hold placed or a reopening made meanwhile waits
    for the end of retention to finish, or is seen by it: never both missed and overruled."""
    return db.session.execute(
        select(Case)
        .where(Case.id == case_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def place_hold(case: Case, actor, now: datetime) -> LegalHold:
    """Keep every record of the case past its retention until the hold is lifted. Audited.
    The case's row is locked first, so a retention run ending its records at this moment
    either finishes before the hold or sees it."""
    _locked_case(case.id)
    hold = db.session.scalar(
        select(LegalHold).where(LegalHold.case_id == case.id, LegalHold.lifted_at.is_(None))
    )
    if hold is None:
        hold = LegalHold(case_id=case.id, placed_at=now, placed_by_id=getattr(actor, "id", None))
        db.session.add(hold)
        db.session.flush()
        audit.record("legal_hold_placed", user=actor, hub=case.hub_id, target=case)
    return hold


def lift_hold(case: Case, actor, now: datetime) -> bool:
    """Lift the case's legal hold; its records' retention runs again. Audited."""
    hold = db.session.scalar(
        select(LegalHold).where(LegalHold.case_id == case.id, LegalHold.lifted_at.is_(None))
    )
    if hold is None:
        return False
    hold.lifted_at = now
    hold.lifted_by_id = getattr(actor, "id", None)
    audit.record("legal_hold_lifted", user=actor, hub=case.hub_id, target=case)
    return True


# -- the hub's retention page ----------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    months: int
    default: int
    reason: str  # why the default is what it is


def period_rows(hub_id: int) -> tuple[list[Period], int]:
    """The hub's periods beside the defaults, and the version they are at (0 before the hub
    has set any), for a form to send back."""
    own = db.session.scalar(select(HubRetention).where(HubRetention.hub_id == hub_id))
    months = DEFAULT_MONTHS | (own.months if own else {})
    rows = [
        Period(key, LABELS[key], months[key], DEFAULT_MONTHS[key], DEFAULT_REASONS[key])
        for key in DEFAULT_MONTHS
    ]
    return rows, own.version if own else 0


def change_periods(hub: Hub, data: dict, actor) -> list[str]:
    """The retention page's form: every period at once, in whole months. Refused whole, field
    by field (ValidationError), or as stale (StaleForm) when the periods changed since the form
    was opened; otherwise the changed periods are set by set_periods, as the command sets them.
    Returns the keys that changed."""
    loaded = periods_schema(LABELS).load(data, unknown=EXCLUDE)
    own = db.session.scalar(select(HubRetention).where(HubRetention.hub_id == hub.id))
    saved = DEFAULT_MONTHS | (own.months if own else {})
    changed = {key: value for key, value in loaded.items() if key in saved and value != saved[key]}

    def stale() -> StaleForm:
        return StaleForm(
            differences=[
                (LABELS[key], f"{saved[key]} months", f"{months} months")
                for key, months in changed.items()
            ]
        )

    check_version(own.version if own else 0, loaded["version"], stale)
    if not changed:
        return []
    try:
        set_periods(hub, changed, actor)
    except (StaleDataError, IntegrityError):
        # Another save passed the version check at the same moment and wrote first.
        db.session.rollback()
        raise stale() from None
    return sorted(changed)


REFUSALS = {"case_open": "The case is open again", "legal_hold": "The case is under a legal hold"}


@dataclass(frozen=True)
class Due:
    case_id: int | None  # None for a referral not taken on
    reference: str
    category: str
    due_on: date


@dataclass
class Refusal:
    case_id: int
    reference: str
    reason: str
    due_on: date  # the earliest
    categories: list[str] = field(default_factory=list)


def outlook(hub_id: int, today: date, days: int = 30) -> tuple[list[Due], list[Refusal]]:
    """What the clock will do with the hub's reviews due by `days` from `today` (and those
    overdue): the records it will anonymise, and the cases it will refuse (open again or on
    legal hold), with the reason end() would give. One query, however many there are."""
    held = (
        select(LegalHold.id)
        .where(LegalHold.case_id == RetentionReview.case_id, LegalHold.lifted_at.is_(None))
        .exists()
    )
    rows = db.session.execute(
        select(
            RetentionReview.case_id,
            RetentionReview.referral_id,
            RetentionReview.category,
            RetentionReview.due_on,
            Case.reference,
            Case.stage,
            Referral.reference,
            Referral.case_id,
            held,
        )
        .outerjoin(Case, Case.id == RetentionReview.case_id)
        .outerjoin(Referral, Referral.id == RetentionReview.referral_id)
        .where(
            RetentionReview.hub_id == hub_id,
            RetentionReview.status == RetentionStatus.PENDING,
            RetentionReview.due_on <= today + timedelta(days=days),
        )
        .order_by(RetentionReview.due_on, RetentionReview.id)
    ).all()
    due, refused = [], {}
    for case_id, referral_id, category, day, case_ref, stage, ref_ref, taken_on, on_hold in rows:
        if referral_id is not None:
            if taken_on is None:  # taken on after all: it ends with the case's records
                due.append(Due(None, ref_ref or f"Referral {referral_id}", LABELS[category], day))
            continue
        reason = "case_open" if stage != Stage.CLOSED.value else "legal_hold" if on_hold else None
        if reason is None:
            due.append(Due(case_id, case_ref, LABELS[category], day))
            continue
        refusal = refused.setdefault(case_id, Refusal(case_id, case_ref, REFUSALS[reason], day))
        refusal.categories.append(LABELS[category])
    return due, list(refused.values())


@dataclass(frozen=True)
class Hold:
    case_id: int
    reference: str
    placed_at: datetime
    placed_by: str | None  # None: placed from the command line


def holds(hub_id: int) -> list[Hold]:
    """The hub's legal holds in place, oldest first."""
    rows = db.session.execute(
        select(LegalHold.case_id, Case.reference, LegalHold.placed_at, User.name)
        .join(Case, Case.id == LegalHold.case_id)
        .outerjoin(User, User.id == LegalHold.placed_by_id)
        .where(Case.hub_id == hub_id, LegalHold.lifted_at.is_(None))
        .order_by(LegalHold.placed_at, LegalHold.id)
    ).all()
    return [Hold(*row) for row in rows]


# -- which rows a review ends ----------------------------------------------------------------


def _personal(table) -> list:
    return [c for c in table.columns if c.info.get("personal")]


def _fk_to(table, target: str):
    for column in table.columns:
        for fk in column.foreign_keys:
            if fk.column.table.name == target:
                return column
    return None


@dataclass(frozen=True)
class Scope:
    """The tables with personal columns a review reaches: through `case_id` (or, for a
    referral not taken on, `referral_id`), and their children with personal columns."""

    direct: list  # tables with the key column
    children: list  # (table, FK column, parent table)


def scope(key: str) -> Scope:
    direct, children = [], []
    owner = "case" if key == "case_id" else "referral"
    for table in db.metadata.sorted_tables:
        if table.name in NOT_ENDED_HERE or not _personal(table):
            continue
        if key in table.columns and table.name != owner:
            direct.append(table)
    names = {t.name for t in direct}
    for table in db.metadata.sorted_tables:
        if table.name in names or table.name == owner or not _personal(table):
            continue
        for parent in direct:
            column = _fk_to(table, parent.name)
            if column is not None and "case_id" not in table.columns:
                children.append((table, column, parent))
                break
    return Scope(direct, children)


def unreached() -> list[str]:
    """Tables with personal columns that no review reaches and NOT_ENDED_HERE does not name
    (tests/lifecycle/test_retention.py keeps this empty)."""
    reached = {"case", "referral"}
    for key in ("case_id", "referral_id"):
        found = scope(key)
        reached |= {t.name for t in found.direct} | {t.name for t, _, _ in found.children}
    return sorted(
        t.name
        for t in db.metadata.sorted_tables
        if _personal(t) and t.name not in reached and t.name not in NOT_ENDED_HERE
    )


def _emptied(table) -> dict:
    """What each personal column becomes: nothing where it may be empty, else blank text or
    an empty list or mapping."""
    values = {}
    for column in _personal(table):
        if column.nullable:
            values[column.name] = None
        elif isinstance(column.type, JSON):
            default = column.default.arg(None) if column.default is not None else []
            values[column.name] = type(default)()
        else:
            values[column.name] = ""
    if "version" in table.columns:  # an open form on the record is now stale
        values["version"] = table.c.version + 1
    return values


def _in_category(table, category: str):
    if "category" in table.columns:
        return func.coalesce(table.c.category, WORKING) == category
    return true() if category == WORKING else false()


def _anonymise(table, condition) -> list[int]:
    ids = list(db.session.scalars(select(table.c.id).where(condition)))
    if not ids:
        return []
    if table.name == "case_evidence":
        # Before the commit: if the run rolls back, the next one empties the rows again, and
        # the files were due to go either way.
        store = evidence_store()
        for key in db.session.scalars(select(table.c.storage_key).where(table.c.id.in_(ids))):
            store.delete(key)
    db.session.execute(update(table).where(table.c.id.in_(ids)).values(_emptied(table)))
    return ids


def _end(key: str, owner_id: int, category: str | None) -> dict[str, int]:
    """Anonymise the records a review covers. Returns how many rows of each table."""
    meta = db.metadata.tables
    found = scope(key)
    ended: dict[str, list[int]] = {}
    owner = meta["case" if key == "case_id" else "referral"]
    if category in (None, WORKING):
        ended[owner.name] = _anonymise(owner, owner.c.id == owner_id)
    for table in found.direct:
        condition = table.c[key] == owner_id
        if category is not None:
            condition = and_(condition, _in_category(table, category))
        ended[table.name] = _anonymise(table, condition)
    for table, column, parent in found.children:
        parents = ended.get(parent.name)
        if parents:
            ended[table.name] = _anonymise(table, column.in_(parents))
    return {name: len(ids) for name, ids in sorted(ended.items()) if ids}


# -- the clock's job ---------------------------------------------------------------------------


@dataclass
class Report:
    written: int = 0
    ended: list[tuple[str, int, str, int]] = field(default_factory=list)  # kind, id, cat, rows
    refused: list[tuple[str, int, str, str]] = field(default_factory=list)  # kind, id, cat, why


def schedule(now: datetime) -> int:
    """Write (or move) the reviews of cases closed and referrals not taken on. Returns how
    many were written or moved."""
    written = 0
    unreviewed = select(Case.id, Case.hub_id, Case.closed_at).where(
        Case.stage == Stage.CLOSED.value,
        Case.closed_at.is_not(None),
        ~select(RetentionReview.id)
        .where(
            RetentionReview.case_id == Case.id,
            RetentionReview.starts_at == Case.closed_at,
        )
        .exists(),
    )
    closed = db.session.execute(unreviewed).all()
    months_by_hub: dict[int, dict] = {}
    reclosed = set(
        db.session.scalars(
            select(RetentionReview.case_id).where(
                RetentionReview.case_id.in_(unreviewed.with_only_columns(Case.id))
            )
        )
    )
    fresh = []
    for case_id, hub_id, closed_at in closed:
        months = months_by_hub.setdefault(hub_id, periods(hub_id))
        if case_id in reclosed:
            # Closed again after reopening: the period runs from the new closure, and what
            # was added meanwhile is reviewed again.
            for review in db.session.scalars(
                select(RetentionReview).where(RetentionReview.case_id == case_id)
            ):
                review.starts_at = closed_at
                review.due_on = due_on(closed_at, months[review.category])
                review.status = RetentionStatus.PENDING
                review.refused = None
                written += 1
            continue
        fresh += [
            {
                "hub_id": hub_id,
                "case_id": case_id,
                "category": category.value,
                "starts_at": closed_at,
                "due_on": due_on(closed_at, months[category.value]),
                "status": RetentionStatus.PENDING,
                "records": 0,
            }
            for category in DataCategory
        ]
    if fresh:  # newly closed cases, in one statement (the first run meets years of them)
        db.session.execute(insert(RetentionReview), fresh)
        written += len(fresh)
    not_taken = db.session.execute(
        select(Referral.id, Referral.hub_id, Referral.decided_at).where(
            Referral.decision.in_([TriageDecision.DECLINED.value, TriageDecision.SIGNPOSTED.value]),
            Referral.case_id.is_(None),
            Referral.decided_at.is_not(None),
            ~select(RetentionReview.id).where(RetentionReview.referral_id == Referral.id).exists(),
        )
    ).all()
    for referral_id, hub_id, decided_at in not_taken:
        months = months_by_hub.setdefault(hub_id, periods(hub_id))
        db.session.add(
            RetentionReview(
                hub_id=hub_id,
                referral_id=referral_id,
                category=NOT_TAKEN_ON,
                starts_at=decided_at,
                due_on=due_on(decided_at, months[NOT_TAKEN_ON]),
                status=RetentionStatus.PENDING,
                records=0,
            )
        )
        written += 1
    db.session.flush()
    return written


def _refuse(review: RetentionReview, reason: str, report: Report, target) -> None:
    kind = "case" if review.case_id else "referral"
    report.refused.append((kind, target.id, review.category, reason))
    if review.refused == reason:
        return  # said already; the report still lists it
    review.refused = reason
    audit.record(
        "retention_refused",
        outcome="denied",
        hub=review.hub_id,
        target=target,
        details={
            "category": review.category,
            "reason": reason,
            "due_on": review.due_on.isoformat(),
        },
    )


def end(review: RetentionReview, now: datetime) -> int:
    """End one due review: anonymise its records. Refuses (RetentionRefused) while the case
    is open or under a legal hold. Returns how many records were anonymised."""
    if review.case_id is not None:
        case = _locked_case(review.case_id)
        if case.stage != Stage.CLOSED.value:
            raise RetentionRefused("case_open")
        if on_hold(case.id):
            raise RetentionRefused("legal_hold")
        target, rows = case, _end("case_id", case.id, review.category)
    else:
        referral = db.session.get(Referral, review.referral_id)
        if referral.case_id is not None:  # taken on after all: the case's records now
            raise RetentionRefused("case_open")
        target, rows = referral, _end("referral_id", referral.id, None)
    count = sum(rows.values())
    review.status = RetentionStatus.DONE
    review.done_at = now
    review.records = count
    review.refused = None
    audit.record(
        "retention_ended",
        hub=review.hub_id,
        target=target,
        details={
            "category": review.category,
            "count": count,
            "records": rows,
            "due_on": review.due_on.isoformat(),
        },
    )
    return count


def run(now: datetime, hub_id: int | None = None) -> Report:
    """The job: write new reviews, then end each one due today or before. Idempotent: an
    ended review is not looked at again, and a refusal is audited once while it lasts."""
    report = Report(written=schedule(now))
    today = local(now).date()
    due = select(RetentionReview).where(
        RetentionReview.status == RetentionStatus.PENDING, RetentionReview.due_on <= today
    )
    if hub_id is not None:
        due = due.where(RetentionReview.hub_id == hub_id)
    # Two runs at once (the scheduler and `hub run-job`) take different reviews.
    due = due.order_by(RetentionReview.id).with_for_update(skip_locked=True)
    for review in db.session.scalars(due).all():
        model = Case if review.case_id else Referral
        target = db.session.get(model, review.case_id or review.referral_id)
        if review.referral_id and target.case_id is not None:
            db.session.delete(review)  # taken on after all: it ends with the case's records
            continue
        try:
            count = end(review, now)
        except RetentionRefused as refused:
            _refuse(review, refused.reason, report, target)
            continue
        kind = "case" if review.case_id else "referral"
        report.ended.append((kind, target.id, review.category, count))
    db.session.flush()
    return report
