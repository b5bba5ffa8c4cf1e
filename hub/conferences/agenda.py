"""A conference's agenda: built by the scheduler from the scores, then edited by a coordinator.

A weekly conference takes everything that must be discussed before the weekly conference after
it: referrals awaiting triage, new cases, and open cases whose band was raised (a deadline set by
a reassessment, a conference decision, a referral added or a new incident, not yet met) whose
deadline falls before that next meeting (critical first, then the nearest deadline), ASB case
review applications awaiting their threshold decision, and open cases due for review, with
overdue actions or an overdue risk reassessment, with a power expiring or due for review within
two weeks, or ready for evaluation. An urgent conference carries only what it was called for
(hub.conferences.urgent) and what a coordinator adds.

build_agenda is idempotent and set-based (two INSERT ... SELECT statements, whatever the size
of the hub): an agenda item is unique per (conference, referral) and (conference, case), and a
removed item is kept (removed=True) so a rebuild never puts it back.
"""

import logging
from datetime import datetime, timedelta

from marshmallow import ValidationError
from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from hub import audit
from hub.casework import deadlines as case_deadlines
from hub.casework import powers
from hub.casework.board import reassessment_overdue
from hub.conferences.slot import DEFAULT_AGENDA_HOURS, scoring_slot, slot_for
from hub.core import signals
from hub.core.locking import flush_or_refuse
from hub.core.timeutil import LONDON, as_utc
from hub.extensions import db
from hub.models import (
    ActionStatus,
    AgendaItem,
    AgendaReason,
    Case,
    CaseAction,
    CaseDeadline,
    CaseReview,
    CaseReviewStatus,
    Conference,
    ConferenceKind,
    ConferenceStatus,
    Hub,
    Referral,
    Stage,
)
from hub.models.referral import ReferralStatus
from scoring import BANDS, next_conference

log = logging.getLogger("hub.conferences")

# The order of the reasons a case is on the agenda: a case due for several is listed once,
# under the first.
CASE_REASONS = (
    AgendaReason.CASE_REVIEW,
    AgendaReason.NEW_CASE,
    AgendaReason.RISK_RAISED,
    AgendaReason.REVIEW_DUE,
    AgendaReason.OVERDUE_ACTIONS,
    AgendaReason.OVERDUE_REASSESSMENT,
    AgendaReason.POWER_DUE,
    AgendaReason.READY_FOR_EVALUATION,
)
_AWAITING_CONFERENCE = (Stage.REFERRED.value, Stage.AWAITING_CONFERENCE.value)


def agenda_opens_at(conference: Conference) -> datetime:
    slot = slot_for(conference.hub_id)
    hours = slot.agenda_hours_before if slot else DEFAULT_AGENDA_HOURS
    return conference.starts_at - timedelta(hours=hours)


def following_weekly(conference: Conference) -> datetime:
    """When the weekly conference after this one starts: anything due before then must be
    taken here, or its deadline is missed."""
    slot = slot_for(conference.hub_id)
    if slot is None:
        return conference.starts_at + timedelta(days=7)
    return next_conference(conference.starts_at, scoring_slot(slot))


def _due_referrals(conference: Conference, due_before: datetime, now: datetime):
    """SQL: (referral id, order) for each referral awaiting triage to add."""
    order = func.row_number().over(
        order_by=(_urgency(Referral.band), Referral.conference_due_by, Referral.id)
    )
    return select(Referral.id, order).where(
        Referral.hub_id == conference.hub_id,
        Referral.status == ReferralStatus.SUBMITTED.value,
        Referral.submitted_at <= now,
        Referral.conference_due_by < due_before,
        Referral.id.not_in(_on_agenda(conference, AgendaItem.referral_id)),
    )


def _on_agenda(conference: Conference, column):
    """SQL: the referrals or cases the agenda already holds, removed ones included. NOT IN
    over this list (never NULL) is hashed once, whatever the planner guesses of the rows
    just inserted."""
    return select(column).where(AgendaItem.conference_id == conference.id, column.is_not(None))


def _received_review():
    return exists().where(
        CaseReview.case_id == Case.id, CaseReview.status == CaseReviewStatus.RECEIVED.value
    )


def _urgency(band_column):
    """SQL: 0 for critical, up to 3 for standard: the order a coordinator reads them in."""
    return case(*((band_column == band, n) for n, band in enumerate(BANDS)), else_=len(BANDS))


def _due_cases(conference: Conference, due_before: datetime):
    """SQL: (case id, reason, order) for each case to add, under its first reason, and within
    a reason critical first, then the nearest deadline. Only open cases, except that an ASB
    case review application comes to conference whatever became of its case."""
    day = conference.starts_at.astimezone(LONDON).date()
    overdue_action = exists().where(
        CaseAction.case_id == Case.id,
        CaseAction.status == ActionStatus.OPEN.value,
        CaseAction.due_on < day,
    )
    is_open = Case.stage != Stage.CLOSED.value
    conditions = {
        AgendaReason.CASE_REVIEW: _received_review(),
        AgendaReason.NEW_CASE: and_(
            Case.stage.in_(_AWAITING_CONFERENCE),
            or_(Case.conference_due_by.is_(None), Case.conference_due_by < due_before),
        ),
        # A deadline set since the case opened (its band raised) that no held conference has
        # met, due before the weekly conference after this one.
        AgendaReason.RISK_RAISED: exists().where(
            CaseDeadline.case_id == Case.id,
            CaseDeadline.due_by < due_before,
            CaseDeadline.set_at < conference.starts_at,
            case_deadlines.owed(),
        ),
        AgendaReason.REVIEW_DUE: and_(is_open, Case.next_review_on <= day),
        AgendaReason.OVERDUE_ACTIONS: and_(is_open, overdue_action),
        AgendaReason.OVERDUE_REASSESSMENT: and_(is_open, reassessment_overdue(day)),
        # Ahead of time: the partners decide on extending, varying or ending it.
        AgendaReason.POWER_DUE: and_(is_open, powers.due_soon(day, powers.AGENDA_DAYS)),
        AgendaReason.READY_FOR_EVALUATION: Case.stage == Stage.EVALUATION.value,
    }
    in_hub = and_(
        Case.hub_id == conference.hub_id,
        Case.id.not_in(_on_agenda(conference, AgendaItem.case_id)),
    )
    # One branch per reason, each planned on its own (an index where it has one).
    reasons = union_all(
        *(
            select(Case.id.label("case_id"), literal(n, Integer).label("rank")).where(
                in_hub, conditions[r]
            )
            for n, r in enumerate(CASE_REASONS)
        )
    ).subquery()
    first = (
        select(reasons.c.case_id, func.min(reasons.c.rank).label("rank"))
        .group_by(reasons.c.case_id)
        .subquery()
    )
    reason = case(*((first.c.rank == n, r.value) for n, r in enumerate(CASE_REASONS)))
    order = func.row_number().over(
        order_by=(
            first.c.rank,
            _urgency(Case.band),
            Case.conference_due_by.asc().nulls_last(),
            Case.id,
        )
    )
    return select(first.c.case_id, reason, order).join(Case, Case.id == first.c.case_id)


def build_agenda(conference: Conference, now: datetime) -> int:
    """Add what is due to a weekly conference's agenda, once the agenda opens
    (agenda_hours_before the start) and until it starts. Never duplicates an item or restores
    a removed one. Returns the number of items added."""
    if (
        conference.kind != ConferenceKind.WEEKLY.value
        or conference.status != ConferenceStatus.SCHEDULED.value
        or not (agenda_opens_at(conference) <= now < conference.starts_at)
    ):
        return 0
    due_before = following_weekly(conference)
    first = _last_position(conference)
    last = first
    for column, due, reason in (
        ("referral_id", _due_referrals(conference, due_before, now), AgendaReason.NEW_REFERRAL),
        ("case_id", _due_cases(conference, due_before), None),
    ):
        rows = due.subquery()
        id_col, *rest = rows.c
        db.session.execute(
            insert(AgendaItem.__table__).from_select(
                [column, "conference_id", "reason", "position", "removed", "created_at"],
                select(
                    id_col,
                    literal(conference.id, Integer),
                    literal(reason.value) if reason else rest[0],
                    rest[-1] + last,
                    false(),
                    literal(now, AgendaItem.created_at.type),
                ),
            )
        )
        # Positions run on from the last without a gap, so they count what was added (a
        # driver's rowcount for INSERT ... SELECT is not always known).
        last = _last_position(conference)
    added = last - first
    _link_case_reviews(conference)
    if conference.agenda_built_at is None:
        conference.agenda_built_at = now
    if added:
        db.session.expire(conference, ["items"])
        audit.record(
            "agenda_built",
            hub=conference.hub,
            target=conference,
            details={"after": {"items_added": added}},
        )
    return added


def _link_case_reviews(conference: Conference) -> None:
    """Point each case item at the case's ASB case review application awaiting its threshold
    decision, so the chair can record that decision on the item. Applications awaiting a
    decision are few, so they are read first and each links with one keyed update."""
    awaiting = db.session.execute(
        select(CaseReview.case_id, func.min(CaseReview.id))
        .where(
            CaseReview.hub_id == conference.hub_id,
            CaseReview.status == CaseReviewStatus.RECEIVED.value,
            CaseReview.case_id.is_not(None),
        )
        .group_by(CaseReview.case_id)
    ).all()
    if not awaiting:
        return
    db.session.execute(
        update(AgendaItem.__table__)
        .where(
            AgendaItem.conference_id == conference.id,
            AgendaItem.case_id == bindparam("case"),
            AgendaItem.case_review_id.is_(None),
        )
        .values(case_review_id=bindparam("review")),
        [{"case": case_id, "review": review_id} for case_id, review_id in awaiting],
    )


@signals.referral_joined_case.connect
def referral_now_a_case(referral: Referral, *, case: Case, **_) -> None:
    """A referral triaged into a case: its items on agendas still to be held become the case's
    (where the case is not already on that agenda), so the chair decides on the case and the
    next build does not list it a second time."""
    to_come = select(Conference.id).where(
        Conference.status.in_(
            (ConferenceStatus.PROPOSED, ConferenceStatus.SCHEDULED, ConferenceStatus.LIVE)
        )
    )
    listed = select(AgendaItem.conference_id).where(AgendaItem.case_id == case.id)
    db.session.execute(
        update(AgendaItem)
        .where(
            AgendaItem.referral_id == referral.id,
            AgendaItem.case_id.is_(None),
            AgendaItem.conference_id.in_(to_come),
            AgendaItem.conference_id.not_in(listed),
        )
        .values(case_id=case.id)
        .execution_options(synchronize_session="fetch")
    )


def build_due_agendas(now: datetime) -> int:
    """Build the agenda of every weekly conference whose agenda is open. Returns the number of
    items added."""
    horizon = now + timedelta(days=60)
    conferences = db.session.execute(
        select(Conference).where(
            Conference.kind == ConferenceKind.WEEKLY.value,
            Conference.status == ConferenceStatus.SCHEDULED.value,
            Conference.starts_at > now,
            Conference.starts_at <= horizon,
        )
    ).scalars()
    added = 0
    for conference in list(conferences):
        # Each in a savepoint: an item a coordinator or an urgent proposal adds at the same
        # moment (a unique clash) costs this conference one hour, not every hub its agenda.
        try:
            with db.session.begin_nested():
                added += build_agenda(conference, now)
        except IntegrityError:
            log.warning("agenda of conference %s clashed with another writer", conference.id)
    return added


def _last_position(conference: Conference) -> int:
    return (
        db.session.execute(
            select(func.max(AgendaItem.position)).where(AgendaItem.conference_id == conference.id)
        ).scalar()
        or 0
    )


# -- reading ---------------------------------------------------------------------------------


def conferences_of(hub: Hub, now: datetime) -> tuple[list[Conference], list[Conference]]:
    """(upcoming soonest first, past latest first)."""
    rows = db.session.execute(
        select(Conference).where(Conference.hub_id == hub.id).order_by(Conference.starts_at)
    ).scalars()
    upcoming, past = [], []
    for c in rows:
        (upcoming if c.starts_at > now else past).append(c)
    return upcoming, past[::-1][:52]


def agenda_items(conference: Conference) -> list[AgendaItem]:
    """The items on the agenda, in order, with their referral or case loaded. Each is one row
    (an item has one referral, case and review), so one joined statement, not four."""
    return list(
        db.session.execute(
            select(AgendaItem)
            .where(AgendaItem.conference_id == conference.id, AgendaItem.removed.is_(False))
            .options(
                joinedload(AgendaItem.referral),
                joinedload(AgendaItem.case).joinedload(Case.lead_agency),
                joinedload(AgendaItem.case_review),
            )
            .order_by(AgendaItem.position, AgendaItem.id)
        ).scalars()
    )


# -- a coordinator's edits -------------------------------------------------------------------


def _audit_item(action: str, user, conference: Conference, item: AgendaItem, details: dict):
    audit.record(action, user=user, hub=conference.hub, target=conference, details=details)


def add_case(conference: Conference, reference: str, user) -> AgendaItem:
    """Put a case of the conference's hub on its agenda, by reference."""
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError({"reference": ["Enter the case reference"]})
    case = db.session.execute(
        select(Case).where(Case.hub_id == conference.hub_id, Case.reference == reference)
    ).scalar_one_or_none()
    if case is None:
        raise ValidationError({"reference": [f"There is no case {reference[:30]} in this hub"]})
    item = db.session.execute(
        select(AgendaItem).where(
            AgendaItem.conference_id == conference.id, AgendaItem.case_id == case.id
        )
    ).scalar_one_or_none()
    if item is not None and not item.removed:
        raise ValidationError({"reference": [f"{case.reference} is already on the agenda"]})
    position = _last_position(conference) + 1
    if item is None:
        item = AgendaItem(
            conference_id=conference.id,
            case_id=case.id,
            reason=AgendaReason.ADDED_BY_COORDINATOR.value,
            added_by_id=user.id,
            position=position,
        )
        db.session.add(item)
    item.removed = False
    item.position = position
    flush_or_refuse({"reference": [f"{case.reference} is already on the agenda"]})
    _audit_item("agenda_item_added", user, conference, item, {"after": {"case": case.reference}})
    return item


def misses_deadline(conference: Conference, due_by) -> bool:
    """Whether a case or referral due by `due_by` is past its deadline at this conference."""
    return due_by is not None and as_utc(due_by) < as_utc(conference.starts_at)


def remove_item(conference: Conference, item: AgendaItem, user) -> None:
    if item.removed:
        raise ValidationError({"item": ["That item has already been removed"]})
    item.removed = True
    _audit_item(
        "agenda_item_removed",
        user,
        conference,
        item,
        {"before": {"item": item.id, "removed": False}, "after": {"removed": True}},
    )


def move_item(conference: Conference, item: AgendaItem, direction: str, user) -> None:
    """Swap an item with its neighbour above ("up") or below ("down")."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": ["Choose up or down"]})
    items = agenda_items(conference)
    # Positions are renumbered first, so a swap always moves exactly one place.
    for i, it in enumerate(items, start=1):
        it.position = i
    index = next((i for i, it in enumerate(items) if it.id == item.id), None)
    if index is None:
        raise ValidationError({"item": ["That item is not on the agenda"]})
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(items):
        end = "top" if direction == "up" else "bottom"
        raise ValidationError({"direction": [f"That item is already at the {end}"]})
    before = item.position
    items[index].position, items[other].position = items[other].position, items[index].position
    _audit_item(
        "agenda_item_moved",
        user,
        conference,
        item,
        {"before": {"item": item.id, "position": before}, "after": {"position": item.position}},
    )
