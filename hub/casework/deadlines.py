"""A case's conference deadlines: set when the case opens (the referral's own) and again each
time its band is raised, by a referral added to it, a coordinator at triage, a signed risk
reassessment, a conference decision or a new incident. Each is a CaseDeadline row, and each
drives conferences as a referral's deadline does: the case_deadline_set signal lets
hub.conferences propose an urgent conference (or an urgent item on a weekly one before the
deadline) and tell the coordinators, the weekly agenda takes the case when it is due before the
following weekly conference, and the timeliness record counts it.

raise_case_band() is the one plain entry point for anything that raises a case's band after it
opened (a new incident on the case, for one): it scores the deadline by the hub's own ruleset and
weekly conference, raises the band and sets the deadline. Callers commit.
"""

from datetime import datetime

from sqlalchemy import and_, exists, or_, select

from hub import audit
from hub.casework import scores
from hub.core import signals
from hub.extensions import db
from hub.models import (
    AgendaItem,
    Case,
    CaseDeadline,
    Conference,
    ConferenceStatus,
    DeadlineSource,
    Stage,
)
from scoring import band_rank, deadline_for


def met():
    """SQL, correlated to CaseDeadline: a held conference had the case (or the referral whose
    deadline it is) on its agenda, from when the deadline was set."""
    return exists().where(
        AgendaItem.conference_id == Conference.id,
        AgendaItem.removed.is_(False),
        Conference.status == ConferenceStatus.HELD.value,
        Conference.starts_at >= CaseDeadline.set_at,
        or_(
            AgendaItem.case_id == CaseDeadline.case_id,
            and_(
                CaseDeadline.referral_id.is_not(None),
                AgendaItem.referral_id == CaseDeadline.referral_id,
            ),
        ),
    )


def owed():
    """SQL: a deadline of an open case that no held conference has yet met (due or overdue)."""
    return and_(
        CaseDeadline.case_id == Case.id,
        Case.stage != Stage.CLOSED.value,
        ~met(),
    )


def _already_owed(case: Case, due: datetime) -> bool:
    """The case already owes a conference by `due` or sooner: a later one adds nothing."""
    return (
        db.session.execute(
            select(CaseDeadline.id)
            .join(Case, Case.id == CaseDeadline.case_id)
            .where(CaseDeadline.case_id == case.id, CaseDeadline.due_by <= due, owed())
            .limit(1)
        ).first()
        is not None
    )


def set_deadline(
    case: Case,
    *,
    band: str,
    due: datetime | None,
    source: DeadlineSource,
    now: datetime,
    set_at: datetime | None = None,
    actor=None,
    referral_id: int | None = None,
    record_id: int | None = None,
) -> CaseDeadline | None:
    """Record that the partners must meet on the case by `due`, and convene them for it.
    `set_at`: from when a conference counts (default now; a referral's submission for its own
    deadline). Nothing when the case is closed or already owes a conference by then. Brings
    the case's shown deadline forward, or replaces one already past."""
    if due is None or case.stage == Stage.CLOSED.value:
        return None
    db.session.flush()  # the case row exists and its stage is current for the SQL below
    if _already_owed(case, due):
        return None
    deadline = CaseDeadline(
        case_id=case.id,
        hub_id=case.hub_id,
        band=band,
        due_by=due,
        set_at=set_at or now,
        source=DeadlineSource(source).value,
        referral_id=referral_id,
        record_id=record_id,
        set_by_id=actor.id if actor is not None else None,
    )
    db.session.add(deadline)
    if (
        case.conference_due_by is None
        or due < case.conference_due_by
        or case.conference_due_by <= now
    ):
        case.conference_due_by = due
    db.session.flush()
    audit.record(
        "case_deadline_set",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={
            "after": {
                "record_id": deadline.id,
                "band": band,
                "due_by": due.isoformat(),
                "source": deadline.source,
            }
        },
    )
    # hub.conferences proposes an urgent conference now, in this transaction, if it must.
    signals.case_deadline_set.send(deadline, case=case, now=now)
    return deadline


def raise_case_band(
    case: Case,
    band: str,
    *,
    source: DeadlineSource,
    now: datetime,
    actor=None,
    record_id: int | None = None,
    score: int | None = None,
    explanation=None,
    ruleset_version: str | None = None,
) -> CaseDeadline | None:
    """Raise an open case's band (never lower it) and convene the partners within the new
    band's deadline, by the hub's ruleset and weekly conference. Returns the deadline set, or
    None when the band was not raised or the case already owes a conference in time.

    The hook for any record that raises the risk on an open case, e.g. a new incident:
    ``raise_case_band(case, "critical", source=DeadlineSource.INCIDENT, now=now,
    actor=user, record_id=incident.id)``."""
    if case.stage == Stage.CLOSED.value or band_rank(band) <= band_rank(case.band):
        return None
    scoring = scores.for_hub(case.hub_id)
    before = case.band
    case.band = band
    if score is not None:
        case.score = score
        case.score_explanation = explanation or []
        case.ruleset_version = ruleset_version or case.ruleset_version
    audit.record(
        "case_band_raised",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={"before": {"band": before}, "after": {"band": band}, "source": str(source)},
    )
    return set_deadline(
        case,
        band=band,
        due=deadline_for(band, now, scoring.weekly, scoring.ruleset),
        source=source,
        now=now,
        actor=actor,
        record_id=record_id,
    )


def of_case(case: Case) -> list[CaseDeadline]:
    """The case's deadlines, latest first."""
    return list(
        db.session.execute(
            select(CaseDeadline)
            .where(CaseDeadline.case_id == case.id)
            .order_by(CaseDeadline.set_at.desc(), CaseDeadline.id.desc())
        ).scalars()
    )
