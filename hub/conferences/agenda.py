"""A conference's agenda: built by the scheduler from the scores, then edited by a coordinator.

build_agenda is idempotent: an agenda item is unique per (conference, referral) and
(conference, case), and a removed item is kept (removed=True) so a rebuild never puts it back.
"""

from datetime import datetime, timedelta

from marshmallow import ValidationError
from sqlalchemy import and_, exists, func, insert, select
from sqlalchemy.orm import selectinload

from hub import audit
from hub.conferences.slot import DEFAULT_AGENDA_HOURS, slot_for
from hub.extensions import db
from hub.models import (
    ActionStatus,
    AgendaItem,
    AgendaReason,
    Case,
    CaseAction,
    Conference,
    ConferenceStatus,
    Hub,
    Referral,
    Stage,
)
from hub.models.referral import ReferralStatus
from hub.timeutil import LONDON
from scoring import band_rank


def agenda_opens_at(conference: Conference) -> datetime:
    slot = slot_for(conference.hub_id)
    hours = slot.agenda_hours_before if slot else DEFAULT_AGENDA_HOURS
    return conference.starts_at - timedelta(hours=hours)


def _candidate_referrals(conference: Conference) -> list[tuple[int, str | None, datetime]]:
    rows = db.session.execute(
        select(Referral.id, Referral.band, Referral.conference_due_by).where(
            Referral.hub_id == conference.hub_id,
            Referral.status == ReferralStatus.SUBMITTED.value,
            Referral.conference_due_by <= conference.starts_at,
        )
    ).all()
    # Critical first, then the nearest deadline; the id keeps equal ones in arrival order.
    return sorted(rows, key=lambda r: (-band_rank(r.band or "standard"), r.conference_due_by, r.id))


def _candidate_cases(conference: Conference) -> list[tuple[int, str]]:
    """(case id, reason) for each open case to discuss, in the order of the reasons."""
    day = conference.starts_at.astimezone(LONDON).date()
    open_case = and_(Case.hub_id == conference.hub_id, Case.stage != Stage.CLOSED.value)
    overdue = exists().where(
        CaseAction.case_id == Case.id,
        CaseAction.status == ActionStatus.OPEN.value,
        CaseAction.due_on < day,
    )
    queries = [
        (AgendaReason.REVIEW_DUE, select(Case.id).where(open_case, Case.next_review_on <= day)),
        (AgendaReason.OVERDUE_ACTIONS, select(Case.id).where(open_case, overdue)),
        (
            AgendaReason.READY_FOR_EVALUATION,
            select(Case.id).where(open_case, Case.stage == Stage.EVALUATION.value),
        ),
    ]
    found: list[tuple[int, str]] = []
    for reason, query in queries:
        for case_id in db.session.execute(query.order_by(Case.id)).scalars():
            found.append((case_id, reason.value))
    return found


def build_agenda(conference: Conference, now: datetime) -> int:
    """Add what is due to a conference's agenda, once the agenda opens (agenda_hours_before
    the start) and until it starts. Never duplicates an item or restores a removed one.
    Returns the number of items added."""
    if conference.status != ConferenceStatus.SCHEDULED.value or not (
        agenda_opens_at(conference) <= now < conference.starts_at
    ):
        return 0
    existing = db.session.execute(
        select(AgendaItem.referral_id, AgendaItem.case_id).where(
            AgendaItem.conference_id == conference.id
        )
    ).all()
    seen_referrals = {r.referral_id for r in existing if r.referral_id}
    seen_cases = {r.case_id for r in existing if r.case_id}
    position = _last_position(conference)
    rows = []
    for row in _candidate_referrals(conference):
        if row.id not in seen_referrals:
            seen_referrals.add(row.id)
            position += 1
            rows.append(
                {
                    "referral_id": row.id,
                    "case_id": None,
                    "reason": AgendaReason.NEW_REFERRAL.value,
                    "position": position,
                }
            )
    for case_id, reason in _candidate_cases(conference):
        if case_id not in seen_cases:
            seen_cases.add(case_id)
            position += 1
            rows.append(
                {"referral_id": None, "case_id": case_id, "reason": reason, "position": position}
            )
    if conference.agenda_built_at is None:
        conference.agenda_built_at = now
    if rows:
        # One executemany (psycopg pipelines it): a large hub's agenda can hold many items.
        db.session.execute(
            insert(AgendaItem),
            [
                {"conference_id": conference.id, "removed": False, "created_at": now, **row}
                for row in rows
            ],
        )
        db.session.expire(conference, ["items"])
        audit.record(
            "agenda_built",
            hub=conference.hub,
            target=conference,
            details={"after": {"items_added": len(rows)}},
        )
    return len(rows)


def build_due_agendas(now: datetime) -> int:
    """Build the agenda of every scheduled conference whose agenda is open. Returns the
    number of items added."""
    horizon = now + timedelta(days=60)
    conferences = db.session.execute(
        select(Conference).where(
            Conference.status == ConferenceStatus.SCHEDULED.value,
            Conference.starts_at > now,
            Conference.starts_at <= horizon,
        )
    ).scalars()
    return sum(build_agenda(c, now) for c in list(conferences))


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
    """The items on the agenda, in order, with their referral or case loaded."""
    return list(
        db.session.execute(
            select(AgendaItem)
            .where(AgendaItem.conference_id == conference.id, AgendaItem.removed.is_(False))
            .options(
                selectinload(AgendaItem.referral),
                selectinload(AgendaItem.case).selectinload(Case.lead_agency),
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
    db.session.flush()
    _audit_item("agenda_item_added", user, conference, item, {"after": {"case": case.reference}})
    return item


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
