"""An ASB case review's statutory timescales, each per hub (CaseReviewSettings) with the
statutory guidance's usual defaults: the application acknowledged within 2 working days of
receipt, the threshold decided within 10 working days of receipt, the review meeting held
within 28 days of the decision, the outcome letter sent within 5 working days of the meeting;
and an appeal lodged within 20 working days of the outcome letter. Working days skip weekends
and England and Wales bank holidays (scoring.calendar).

Each step is met (taken by its due day), missed (taken late, or still untaken after its due
day), or due (untaken, its day still to come). Whether is computed, never stored. The daily
job reminds the hub's coordinators and managers of each step on its due day and tells them
once a step is missed; each notice is claimed once (hub.clock.scheduler.once), so a rerun, a
restart or a second scheduler never sends one twice. Notices name the review's and case's
references and a date, nothing personal. Callers commit."""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from hub import audit
from hub import permissions as perm
from hub.clock.scheduler import once
from hub.core import mail
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import (
    DEFAULT_TIMESCALES,
    CaseReview,
    CaseReviewSettings,
    CaseReviewStatus,
    Hub,
    JobRun,
    Notification,
)
from scoring.calendar import add_working_days

JOB = "case_review_timescales"
# A step missed longer ago than this is history (shown on the review's page), not news: the
# first run after an upgrade must not tell the hub of every old review at once.
NEWS_DAYS = 28


class State(StrEnum):
    MET = "met"
    MISSED = "missed"
    DUE = "due"

    @property
    def label(self) -> str:
        return {"met": "Met", "missed": "Missed", "due": "Due"}[self.value]


@dataclass(frozen=True)
class Timescale:
    step: str  # acknowledge, decide, meet, outcome_letter
    label: str
    due_on: date
    done_on: date | None
    today: date

    @property
    def state(self) -> State:
        if self.done_on is not None:
            return State.MET if self.done_on <= self.due_on else State.MISSED
        return State.MISSED if self.today > self.due_on else State.DUE


@dataclass(frozen=True)
class Timescales:
    acknowledge_days: int
    decision_days: int
    meeting_days: int
    outcome_days: int
    appeal_days: int


def settings_for(hub_id: int) -> Timescales:
    """The hub's timescales, or the defaults."""
    row = db.session.execute(
        select(CaseReviewSettings).where(CaseReviewSettings.hub_id == hub_id)
    ).scalar_one_or_none()
    if row is None:
        return Timescales(**DEFAULT_TIMESCALES)
    return Timescales(**{k: getattr(row, k) for k in DEFAULT_TIMESCALES})


def decided_on(review: CaseReview) -> date | None:
    return review.decided_at.astimezone(LONDON).date() if review.decided_at else None


def timescales_of(review: CaseReview, today: date, rules: Timescales) -> list[Timescale]:
    """The review's steps so far: each appears once the step before it has a day to count
    from. A review whose threshold was not met ends at its decision (the applicant is told in
    the decision letter)."""
    found = []
    if review.source == "application":
        # A review the partners asked for themselves has no applicant to acknowledge.
        found.append(
            Timescale(
                "acknowledge",
                "Application acknowledged",
                add_working_days(review.received_on, rules.acknowledge_days),
                review.acknowledged_on,
                today,
            )
        )
    found += [
        Timescale(
            "decide",
            "Threshold decided",
            add_working_days(review.received_on, rules.decision_days),
            decided_on(review),
            today,
        ),
    ]
    if review.threshold_met and review.decided_at is not None:
        found.append(
            Timescale(
                "meet",
                "Review meeting held",
                decided_on(review) + timedelta(days=rules.meeting_days),
                review.held_on,
                today,
            )
        )
    if review.held_on is not None:
        found.append(
            Timescale(
                "outcome_letter",
                "Outcome letter sent",
                add_working_days(review.held_on, rules.outcome_days),
                review.outcome_sent_on,
                today,
            )
        )
    return found


def appeal_by(review: CaseReview, rules: Timescales) -> date | None:
    """The last day an appeal may be lodged: the hub's window from the outcome letter."""
    if review.outcome_sent_on is None:
        return None
    return appeal_by_from(review.outcome_sent_on, rules)


def appeal_by_from(letter_day: date, rules: Timescales) -> date:
    """The last day to appeal against an outcome letter dated `letter_day`."""
    return add_working_days(letter_day, rules.appeal_days)


def steps_to_take(hub_id: int, today: date) -> list[tuple[CaseReview, Timescale]]:
    """The hub's untaken steps that are missed or due within two working days, the most
    pressing first: for the home page."""
    rules = settings_for(hub_id)
    soon = add_working_days(today, 2)
    found = [
        (review, step)
        for review in _open_reviews(hub_id)
        for step in timescales_of(review, today, rules)
        if step.done_on is None and step.due_on <= soon
    ]
    return sorted(found, key=lambda pair: (pair[1].due_on, pair[0].id))


# -- the daily reminders ------------------------------------------------------------------------


def _open_reviews(hub_id: int | None = None) -> list[CaseReview]:
    """Reviews with a step still to take: not decided, or found due and not yet written up."""
    query = select(CaseReview)
    if hub_id is not None:
        query = query.where(CaseReview.hub_id == hub_id)
    return list(
        db.session.execute(
            query.where(
                CaseReview.status.in_(
                    [CaseReviewStatus.RECEIVED.value, CaseReviewStatus.REVIEW_DUE.value]
                )
                | (
                    (CaseReview.status == CaseReviewStatus.COMPLETED.value)
                    & CaseReview.outcome_sent_on.is_(None)
                )
                | ((CaseReview.source == "application") & CaseReview.acknowledged_on.is_(None))
            )
            .options(joinedload(CaseReview.case), joinedload(CaseReview.hub))
            .order_by(CaseReview.id)
        ).scalars()
    )


def reminders_due(today: date) -> list[tuple[str, CaseReview, Timescale]]:
    """(key, review, step) for each untaken step due today or missed, in a fixed order."""
    rules: dict[int, Timescales] = {}
    found = []
    for review in _open_reviews():
        if review.hub_id not in rules:
            rules[review.hub_id] = settings_for(review.hub_id)
        for step in timescales_of(review, today, rules[review.hub_id]):
            if step.done_on is not None:
                continue
            if step.due_on == today:
                kind = "due"
            elif step.state == State.MISSED and step.due_on >= today - timedelta(days=NEWS_DAYS):
                kind = "missed"
            else:
                continue
            key = f"case_review_{kind}:{review.id}:{step.step}:{step.due_on.isoformat()}"
            found.append((key, review, step))
    return found


def send_reminders(today: date) -> list[str]:
    """Send each reminder not yet sent; returns their keys. The caller commits."""
    due = reminders_due(today)
    keys = [k for k, _, _ in due]
    done = (
        set(db.session.execute(select(JobRun.key).where(JobRun.key.in_(keys))).scalars())
        if keys
        else set()
    )
    sent = []
    for key, review, step in due:
        if key in done:
            continue
        recipients = perm.conference_runners(review.hub_id)
        if not recipients or not once(key, JOB):
            continue
        _send(key, review, step, recipients)
        sent.append(key)
    return sent


def _send(key: str, review: CaseReview, step: Timescale, recipients) -> None:
    hub: Hub = review.hub
    on = f"{step.due_on:%-d %B %Y}"
    case = f" on case {review.case.reference}" if review.case else ""
    if key.startswith("case_review_due"):
        line = f"ASB case review {review.reference}{case}: {step.label.lower()} is due today, {on}."
    else:
        line = (
            f"ASB case review {review.reference}{case}: {step.label.lower()} was due by {on} "
            "and has been missed."
        )
    link = mail.external_url("case_reviews.show", review_id=review.id)
    for user in recipients:
        db.session.add(Notification(user_id=user.id, case_id=review.case_id, text=line))
        mail.queue_mail(
            user.email,
            f"Focus Hub: ASB case review {review.reference}",
            f"{line}\n\nSign in to see it:\n{link}\n\n"
            "You get this as a coordinator or manager of the hub.",
        )
    audit.record(
        "case_review_reminder_sent",
        hub=hub,
        target=review,
        details={
            "kind": key.split(":")[0],
            "item": step.step,
            "due_on": step.due_on.isoformat(),
            "recipients": [u.id for u in recipients],
        },
    )
    db.session.flush()
