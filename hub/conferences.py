"""Case conferences: the weekly meeting created ahead of time and its agenda built from the
scores, by the scheduler; a coordinator's edits to the agenda and the slot.

Every function is idempotent where the scheduler calls it: a conference is unique per (hub,
kind, start) and an agenda item per (conference, referral) and (conference, case), and a
removed item is kept (removed=True) so a rebuild never puts it back.
"""

from datetime import date, datetime, time, timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import and_, exists, func, insert, select
from sqlalchemy.exc import IntegrityError

from hub import audit
from hub.extensions import db
from hub.models import (
    ActionStatus,
    AgendaItem,
    AgendaReason,
    Case,
    CaseAction,
    Conference,
    ConferenceKind,
    ConferenceSlot,
    ConferenceStatus,
    Hub,
    Referral,
    Role,
    Stage,
    User,
    UserRole,
)
from hub.models.referral import ReferralStatus
from hub.timeutil import LONDON, utcnow
from scoring import ConferenceSlot as ScoringSlot
from scoring import band_rank, next_conference

DEFAULT_AGENDA_HOURS = 48


def scoring_slot(slot: ConferenceSlot) -> ScoringSlot:
    return ScoringSlot(weekday=slot.weekday, time=slot.time)


def slot_for(hub_id: int) -> ConferenceSlot | None:
    return db.session.execute(
        select(ConferenceSlot).where(ConferenceSlot.hub_id == hub_id)
    ).scalar_one_or_none()


# -- the scheduler's work -------------------------------------------------------------------


def weekly_starts(slot: ConferenceSlot, today: date) -> list[datetime]:
    """The next `weeks_ahead` weekly conference starts from the start of `today` (London),
    each moved off a bank holiday as the scoring engine moves it."""
    sslot = scoring_slot(slot)
    after = datetime.combine(today, time.min, tzinfo=LONDON)
    starts = []
    for _ in range(slot.weeks_ahead):
        after = next_conference(after, sslot)
        starts.append(after)
    return starts


def ensure_weekly_conferences(today: date) -> list[Conference]:
    """Create the coming weekly conferences of every hub with a slot. Returns those created."""
    created = []
    for slot in db.session.execute(select(ConferenceSlot)).scalars():
        starts = weekly_starts(slot, today)
        have = set(
            db.session.execute(
                select(Conference.starts_at).where(
                    Conference.hub_id == slot.hub_id,
                    Conference.kind == ConferenceKind.WEEKLY.value,
                    Conference.starts_at.in_(starts),
                )
            ).scalars()
        )
        for at in starts:
            if at in have:
                continue
            conference = Conference(
                hub_id=slot.hub_id,
                kind=ConferenceKind.WEEKLY.value,
                starts_at=at,
                place=slot.place,
                online_link=slot.online_link,
            )
            try:
                with db.session.begin_nested():
                    db.session.add(conference)
            except IntegrityError:
                continue  # another scheduler created it between our look and our insert
            audit.record(
                "conference_scheduled",
                hub=slot.hub,
                target=conference,
                details={"after": {"starts_at": at.isoformat(), "kind": conference.kind}},
            )
            created.append(conference)
    return created


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


def agenda(conference: Conference) -> list[AgendaItem]:
    """The items on the agenda, in order, with their referral or case loaded."""
    from sqlalchemy.orm import selectinload

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
    items = agenda(conference)
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


# -- the slot --------------------------------------------------------------------------------

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class SlotSchema(Schema):
    weekday = fields.Integer(
        required=True,
        validate=validate.Range(0, 4, error="Choose a weekday from Monday to Friday"),
        error_messages={"required": "Choose the day", "invalid": "Choose the day"},
    )
    time = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^([01]\d|2[0-3]):[0-5]\d$", error="Enter the time as HH:MM, like 10:00"
        ),
        error_messages={"required": "Enter the time"},
    )
    place = fields.String(load_default="", validate=validate.Length(max=200))
    online_link = fields.String(
        load_default="",
        validate=validate.Length(max=500),
    )
    chair_id = fields.Integer(load_default=None, allow_none=True)
    deputy_id = fields.Integer(load_default=None, allow_none=True)
    agenda_hours_before = fields.Integer(
        load_default=48,
        validate=validate.Range(1, 336, error="Enter a number of hours from 1 to 336"),
        error_messages={"invalid": "Enter a whole number of hours"},
    )
    weeks_ahead = fields.Integer(
        load_default=4,
        validate=validate.Range(1, 12, error="Enter a number of weeks from 1 to 12"),
        error_messages={"invalid": "Enter a whole number of weeks"},
    )

    @validates_schema
    def _link(self, data, **kwargs):
        link = data.get("online_link") or ""
        if link and not link.startswith("https://"):
            raise ValidationError({"online_link": ["Enter a link starting https://"]})


def _clean(form) -> dict:
    data = {}
    for key in SlotSchema().fields:
        value = (form.get(key) or "").strip()
        if value or key in ("weekday", "time"):
            data[key] = value if value else None
    if data.get("weekday") is None:
        data.pop("weekday")
    if data.get("time") is None:
        data.pop("time")
    return data


def chair_choices(hub: Hub) -> list[User]:
    """Coordinators and hub managers of the hub: who may chair."""
    return list(
        db.session.execute(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                UserRole.hub_id == hub.id,
                UserRole.role.in_([Role.COORDINATOR.value, Role.HUB_MANAGER.value]),
            )
            .distinct()
            .order_by(User.id)
        ).scalars()
    )


def save_slot(hub: Hub, form, user) -> ConferenceSlot:
    """Create or change a hub's weekly slot. Raises ValidationError, nothing written."""
    data = SlotSchema().load(_clean(form))
    allowed = {u.id for u in chair_choices(hub)}
    for key in ("chair_id", "deputy_id"):
        if data.get(key) is not None and data[key] not in allowed:
            raise ValidationError({key: ["Choose a coordinator or hub manager of this hub"]})
    slot = slot_for(hub.id)
    version = (form.get("version") or "").strip()
    if slot is not None and version and version != str(slot.version):
        raise ValidationError(
            {"form": ["Someone else changed the slot while you were editing. Check it and save."]}
        )
    before = _slot_dict(slot) if slot else None
    if slot is None:
        slot = ConferenceSlot(hub_id=hub.id)
        db.session.add(slot)
    for key, value in data.items():
        setattr(slot, key, value)
    slot.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "conference_slot_saved",
        user=user,
        hub=hub,
        target=slot,
        details={"before": before, "after": _slot_dict(slot)},
    )
    _follow_slot(slot, user)
    return slot


def _follow_slot(slot: ConferenceSlot, user) -> None:
    """Bring the coming weekly conferences into line with a changed slot: those no longer at
    a slot time are cancelled (audited), a cancelled one at a slot time again is restored,
    place and link follow the slot, and any missing are created."""
    now = utcnow()
    today = now.astimezone(LONDON).date()
    starts = set(weekly_starts(slot, today))
    coming = db.session.execute(
        select(Conference).where(
            Conference.hub_id == slot.hub_id,
            Conference.kind == ConferenceKind.WEEKLY.value,
            Conference.starts_at > now,
            Conference.status != ConferenceStatus.HELD.value,
        )
    ).scalars()
    for conference in coming:
        wanted = conference.starts_at in starts
        status = ConferenceStatus.SCHEDULED.value if wanted else ConferenceStatus.CANCELLED.value
        if status != conference.status:
            audit.record(
                "conference_rescheduled" if wanted else "conference_cancelled",
                user=user,
                hub=slot.hub,
                target=conference,
                details={
                    "before": {"status": conference.status},
                    "after": {"status": status, "why": "the weekly slot changed"},
                },
            )
            conference.status = status
        if wanted:
            conference.place, conference.online_link = slot.place, slot.online_link
    ensure_weekly_conferences(today)


def _slot_dict(slot: ConferenceSlot) -> dict:
    return {
        k: getattr(slot, k)
        for k in (
            "weekday",
            "time",
            "place",
            "online_link",
            "chair_id",
            "deputy_id",
            "agenda_hours_before",
            "weeks_ahead",
        )
    }


# -- the calendar invitation -----------------------------------------------------------------


def ics(conference: Conference, url: str) -> bytes:
    """An RFC 5545 invitation: when, where and a link; nothing about any case or person."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Focus Hub//Case conferences//EN")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"conference-{conference.id}@focus-hub")
    event.add("dtstamp", utcnow())
    event.add("dtstart", conference.starts_at)
    event.add("dtend", conference.starts_at + timedelta(hours=2))
    event.add("summary", f"{ConferenceKind(conference.kind).label}: {conference.hub.name}")
    if conference.place:
        event.add("location", conference.place)
    description = f"Agenda: {url}"
    if conference.online_link:
        description += f"\nJoin online: {conference.online_link}"
    event.add("description", description)
    event.add("url", url)
    cal.add_component(event)
    return cal.to_ical()
