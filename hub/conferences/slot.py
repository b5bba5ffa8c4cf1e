"""A hub's weekly conference slot, the conferences the scheduler creates from it, and each
conference's calendar invitation.

ensure_weekly_conferences is idempotent: a conference is unique per (hub, kind, start).
"""

from datetime import date, datetime, time, timedelta

from icalendar import Calendar, Event
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hub import audit
from hub import permissions as perm
from hub.conferences.schemas import SlotSchema
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    Conference,
    ConferenceKind,
    ConferenceSlot,
    ConferenceStatus,
    Hub,
    StandingAttendee,
    User,
)
from scoring import ConferenceSlot as ScoringSlot
from scoring import next_conference

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


# -- the slot --------------------------------------------------------------------------------

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


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
    """Who may chair: the hub's coordinators and hub managers."""
    return perm.conference_runners(hub.id)


def standing_ticked(form) -> list[str]:
    """The standing attendee boxes ticked: a submitted form's list, or a prepared dict's."""
    return form.getlist("standing") if hasattr(form, "getlist") else form.get("standing", [])


def _standing_ids(hub: Hub, form) -> set[int]:
    """The agencies ticked as standing attendees: partners of the hub only."""
    values = standing_ticked(form)
    partners = {a.id for a in hub.agencies}
    try:
        ids = {int(v) for v in values}
    except (TypeError, ValueError):
        ids = {-1}
    if not ids <= partners:
        raise ValidationError({"standing": ["Choose agencies that are partners of this hub"]})
    return ids


def save_slot(hub: Hub, form, user) -> ConferenceSlot:
    """Create or change a hub's weekly slot and its standing attendees. Raises
    ValidationError, nothing written."""
    data = SlotSchema().load(_clean(form))
    standing = _standing_ids(hub, form)
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
    before = slot_dict(slot) if slot else None
    if slot is None:
        slot = ConferenceSlot(hub_id=hub.id)
        db.session.add(slot)
    for key, value in data.items():
        setattr(slot, key, value)
    have = {a.agency_id: a for a in slot.standing_attendees}
    for agency_id in set(have) - standing:
        slot.standing_attendees.remove(have[agency_id])
    for agency_id in sorted(standing - set(have)):
        slot.standing_attendees.append(StandingAttendee(agency_id=agency_id))
    slot.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "conference_slot_saved",
        user=user,
        hub=hub,
        target=slot,
        details=_slot_change(before, slot_dict(slot)),
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
                    "after": {"status": status},
                    "reason": "slot_changed",
                },
            )
            conference.status = status
        if wanted:
            conference.place, conference.online_link = slot.place, slot.online_link
    ensure_weekly_conferences(today)


# The slot's fields that are words (a place, a link): audited by name, not by value.
SLOT_WORDS = ("place", "online_link")


def _codes(values: dict | None) -> dict | None:
    return None if values is None else {k: v for k, v in values.items() if k not in SLOT_WORDS}


def _slot_change(before: dict | None, after: dict) -> dict:
    changed = sorted(k for k in after if before is None or before[k] != after[k])
    return {"changed": changed, "before": _codes(before), "after": _codes(after)}


def slot_dict(slot: ConferenceSlot) -> dict:
    values = {
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
    values["standing"] = sorted(a.agency_id for a in slot.standing_attendees)
    return values


# -- the calendar invitation -----------------------------------------------------------------


def ics(conference: Conference, url: str) -> bytes:
    """An RFC 5545 invitation: when, where and a link; nothing about any case or person."""
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
