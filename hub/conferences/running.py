"""Running a conference: the chair opens it, records who came and takes notes on each agenda
item (case notes, under the section 115 rule like any other); the decisions are
hub.conferences.decisions. Every function validates first and raises marshmallow
ValidationError (nothing written), or StaleForm for a form opened before someone else's
change; every write is audited; the caller commits. Nothing about a conference changes once
its minutes are approved."""

from datetime import date, timedelta

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from hub import audit
from hub import permissions as perm
from hub.casework import notes
from hub.conferences.schemas import AttendanceSchema
from hub.conferences.slot import slot_for
from hub.core.locking import StaleForm, check_version, flush_or_stale, move_version_on
from hub.core.timeutil import LONDON, as_utc, utcnow
from hub.extensions import db
from hub.models import (
    Agency,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Case,
    CaseMembership,
    CaseNote,
    Conference,
    ConferenceStatus,
    StandingAttendee,
    User,
)

CONFERENCE_CHANGED = (
    "Someone else changed this conference since you opened the page. Check the page and try again."
)


def today() -> date:
    return utcnow().astimezone(LONDON).date()


def on_day(moment) -> str:
    return moment.astimezone(LONDON).strftime("%-d %B %Y")


def check_not_approved(conference: Conference) -> None:
    if conference.minutes_approved_at is not None:
        raise ValidationError(
            {
                "form": [
                    f"The minutes were approved on {on_day(conference.minutes_approved_at)}; "
                    "nothing about this conference can change"
                ]
            }
        )


def check_edit_version(conference: Conference, submitted) -> None:
    check_version(conference.edit_version, submitted, lambda: StaleForm(CONFERENCE_CHANGED))


def check_live(conference: Conference) -> None:
    check_not_approved(conference)
    if conference.status != ConferenceStatus.LIVE.value:
        raise ValidationError(
            {"form": ["The conference is not in progress: decisions are recorded while it runs"]}
        )


def check_item(conference: Conference, item: AgendaItem | None) -> AgendaItem:
    if item is None or item.conference_id != conference.id or item.removed:
        raise ValidationError({"item": ["That item is not on this conference's agenda"]})
    return item


def record_change(conference: Conference, user, action: str, details: dict) -> None:
    move_version_on(conference, "edit_version", lambda: StaleForm(CONFERENCE_CHANGED))
    audit.record(action, user=user, hub=conference.hub_id, target=conference, details=details)


# -- opening and closing the meeting -----------------------------------------------------------

CANNOT_START = {
    ConferenceStatus.PROPOSED.value: "This urgent conference has not been confirmed yet, so it "
    "cannot be started",
    ConferenceStatus.CANCELLED.value: "This conference was cancelled, so it cannot be started",
    ConferenceStatus.HELD.value: "This conference has already been held",
    ConferenceStatus.LIVE.value: "This conference is already in progress",
}


# A chair may open the meeting a little before its time (to take attendance as people
# arrive), never on an earlier day than the partners were invited to.
EARLY_START = timedelta(hours=2)


def too_early(conference: Conference) -> bool:
    starts_at = as_utc(conference.starts_at)
    on_its_day = today() >= starts_at.astimezone(LONDON).date()
    return not on_its_day and utcnow() < starts_at - EARLY_START


def can_start(conference: Conference) -> bool:
    return (
        conference.status == ConferenceStatus.SCHEDULED.value
        and conference.minutes_approved_at is None
        and not too_early(conference)
    )


def start_conference(conference: Conference, version, *, actor) -> Conference:
    """Open a scheduled conference on its day: the actor chairs it from now."""
    check_not_approved(conference)
    if conference.status in CANNOT_START:
        raise ValidationError({"form": [CANNOT_START[conference.status]]})
    if too_early(conference):
        raise ValidationError(
            {"form": [f"This conference is on {on_day(conference.starts_at)}: start it on the day"]}
        )
    check_edit_version(conference, version)
    before = conference.status
    conference.status = ConferenceStatus.LIVE.value
    conference.started_at = utcnow()
    conference.chair_id = actor.id
    record_change(
        conference,
        actor,
        "conference_started",
        {"before": {"status": before}, "after": {"status": conference.status}},
    )
    return conference


def end_conference(conference: Conference, version, *, actor) -> Conference:
    check_not_approved(conference)
    if conference.status != ConferenceStatus.LIVE.value:
        raise ValidationError({"form": ["Only a conference in progress can be ended"]})
    check_edit_version(conference, version)
    conference.status = ConferenceStatus.HELD.value
    conference.ended_at = utcnow()
    record_change(
        conference,
        actor,
        "conference_ended",
        {"before": {"status": ConferenceStatus.LIVE.value}, "after": {"status": "held"}},
    )
    return conference


# -- attendance ------------------------------------------------------------------------------


def expected_agencies(conference: Conference) -> list[Agency]:
    """Who should be there: the slot's standing attendees and the member agencies of the cases
    on the agenda, each a partner of the hub."""
    slot = slot_for(conference.hub_id)
    ids = set()
    if slot is not None:
        ids |= set(
            db.session.execute(
                select(StandingAttendee.agency_id).where(StandingAttendee.slot_id == slot.id)
            ).scalars()
        )
    ids |= set(
        db.session.execute(
            select(CaseMembership.agency_id)
            .join(AgendaItem, AgendaItem.case_id == CaseMembership.case_id)
            .where(
                AgendaItem.conference_id == conference.id,
                AgendaItem.removed.is_(False),
                CaseMembership.removed_at.is_(None),
            )
        ).scalars()
    )
    ids &= perm.partner_ids(conference.hub_id)
    if not ids:
        return []
    return list(
        db.session.execute(select(Agency).where(Agency.id.in_(ids)).order_by(Agency.name)).scalars()
    )


def attendance_of(conference: Conference) -> list[Attendance]:
    return list(
        db.session.execute(
            select(Attendance)
            .where(Attendance.conference_id == conference.id)
            .order_by(Attendance.agency_id, Attendance.id)
        ).scalars()
    )


def hub_people(conference: Conference) -> list[User]:
    """Who may be recorded as attending by name: the active people of the hub's partner
    agencies who hold a role in it."""
    query = perm.hub_people(conference.hub_id).options(lazyload(User.roles))  # names only
    return list(db.session.execute(query).scalars())


def record_attendance(conference: Conference, data: dict, *, actor) -> Attendance:
    """Record an agency as present, sending apologies or absent, with the person who came (a
    user of that agency, or a typed name for someone without an account). Recording the same
    agency and person again changes their status."""
    data = AttendanceSchema().load(data)
    check_live(conference)
    check_edit_version(conference, data["version"])
    if data["agency_id"] not in perm.partner_ids(conference.hub_id):
        raise ValidationError({"agency_id": ["Choose an agency that is a partner of this hub"]})
    name = data["name"].strip()
    if data["user_id"] is not None:
        person = db.session.get(User, data["user_id"])
        if person is None or person.agency_id != data["agency_id"]:
            raise ValidationError({"user_id": ["Choose a person from that agency"]})
        name = ""
    if data["status"] == AttendanceStatus.PRESENT.value and not (data["user_id"] or name):
        raise ValidationError({"user_id": ["Choose who attended, or type their name"]})
    key = Attendance.key_of(data["user_id"], name)
    existing = db.session.execute(
        select(Attendance).where(
            Attendance.conference_id == conference.id,
            Attendance.agency_id == data["agency_id"],
            Attendance.person_key == key,
        )
    ).scalar_one_or_none()
    before = existing.status if existing else None
    row = existing or Attendance(
        conference_id=conference.id,
        agency_id=data["agency_id"],
        user_id=data["user_id"],
        name=name,
        person_key=key,
    )
    row.status = data["status"]
    row.recorded_by_id = actor.id
    row.recorded_at = utcnow()
    db.session.add(row)
    flush_or_stale(lambda: StaleForm())  # the same person recorded by someone else just now
    record_change(
        conference,
        actor,
        "conference_attendance_recorded",
        {
            "attendance_id": row.id,
            "agency_id": row.agency_id,
            "before": {"status": before},
            "after": {"status": row.status, "user_id": row.user_id, "named": bool(row.name)},
        },
    )
    return row


# -- discussion notes ------------------------------------------------------------------------


def mark_discussed(item: AgendaItem) -> None:
    if item.discussed_at is None:
        item.discussed_at = utcnow()


def case_for_writing(item: AgendaItem, actor) -> Case:
    case = item.case
    if not perm.can_access_case(actor, case, perm.Action.WRITE):
        raise ValidationError(
            {
                "form": [
                    f"Your agency is not a member of case {case.reference}, so you cannot "
                    "record this. Add it as a member first."
                ]
            }
        )
    return case


def add_item_note(conference: Conference, item: AgendaItem, data: dict, *, actor) -> CaseNote:
    """A discussion note on the item's case: a case note (s115 rule, feed, notices, audit as
    any other) that remembers the agenda item it was taken under."""
    check_live(conference)
    check_item(conference, item)
    if item.case_id is None:
        raise ValidationError(
            {"body": ["Open a case from the referral (or decline it) before adding notes"]}
        )
    case = case_for_writing(item, actor)
    note = notes.add_note(case, data, actor=actor)
    note.agenda_item_id = item.id
    mark_discussed(item)
    db.session.flush()
    return note


def item_notes(user, conference: Conference, item: AgendaItem) -> list[CaseNote]:
    """The discussion notes on an item this user may see, recorded as read."""
    if item.case_id is None:
        return []
    case = item.case
    rows = list(
        db.session.execute(
            perm.visible_records(user, CaseNote, conference.hub)
            .where(CaseNote.case_id == case.id, CaseNote.agenda_item_id == item.id)
            .order_by(CaseNote.created_at, CaseNote.id)
        ).scalars()
    )
    perm.record_read(user, case, rows, what="conference discussion notes")
    return rows
