"""After the meeting: minutes built from the decisions (never typed), filtered for whoever
reads them; the chair's general remarks and approval; circulation by email; the hub's
decision log; and the conferences a case has been to.

Who may see what is decided by hub.permissions, in SQL, a constant number of queries however
long the agenda: a case's decisions need access to the case, a referral's need sight of the
referral, discussion notes pass visible_records() and are recorded as read (record_read)."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from marshmallow import ValidationError
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import joinedload

from hub import audit
from hub import permissions as perm
from hub.conferences.agenda import agenda_items
from hub.core import mail
from hub.core.locking import StaleForm, check_version, move_version_on
from hub.core.timeutil import format_local, utcnow
from hub.extensions import db
from hub.models import (
    Agency,
    AgendaItem,
    AgendaReason,
    Attendance,
    AttendanceStatus,
    Case,
    CaseMembership,
    CaseNote,
    Conference,
    ConferenceDecision,
    ConferenceKind,
    ConferenceStatus,
    HubAgency,
    Role,
    User,
    UserRole,
)

NOT_SHOWN = "Details are shown only to member agencies"
REMARKS_LIMIT = 5000


# -- reading the minutes ---------------------------------------------------------------------


@dataclass
class MinutesNote:
    note: CaseNote
    agency_name: str


@dataclass
class MinutesItem:
    number: int
    item: AgendaItem
    kind: str  # "Case" or "Referral"
    reference: str
    reason: str
    # Whether this reader may see the item's details; when not, only the reference and the
    # reason (what the agenda shows everyone) appear.
    entitled: bool
    title: str | None = None  # a case's title, which names no one
    decisions: list[ConferenceDecision] = field(default_factory=list)
    notes: list[MinutesNote] = field(default_factory=list)


@dataclass
class Minutes:
    conference: Conference
    chair: User | None
    attendance: list[Attendance]
    items: list[MinutesItem]
    approved_by: User | None

    @property
    def present(self) -> list[Attendance]:
        return [a for a in self.attendance if a.status == AttendanceStatus.PRESENT.value]

    @property
    def apologies(self) -> list[Attendance]:
        return [a for a in self.attendance if a.status == AttendanceStatus.APOLOGIES.value]

    @property
    def absent(self) -> list[Attendance]:
        return [a for a in self.attendance if a.status == AttendanceStatus.ABSENT.value]

    @property
    def approved(self) -> bool:
        return self.conference.minutes_approved_at is not None


def build_minutes(reader, conference: Conference, *, what: str = "conference minutes") -> Minutes:
    """The minutes as this reader may see them. Discussion notes shown are recorded as read
    (and as disclosures where they came from another agency); the caller commits."""
    hub = conference.hub
    items = agenda_items(conference)
    decisions = list(
        db.session.execute(
            select(ConferenceDecision)
            .where(ConferenceDecision.conference_id == conference.id)
            .options(joinedload(ConferenceDecision.decided_by).lazyload(User.roles))
            .order_by(ConferenceDecision.decided_at, ConferenceDecision.id)
        ).scalars()
    )
    case_ids = {i.case_id for i in items} | {d.case_id for d in decisions}
    case_ids |= {i.referral.case_id for i in items if i.referral_id}
    cases, working = perm.readable_and_working_cases(reader, hub, case_ids)
    referrals = perm.readable_referrals(
        reader, {i.referral_id for i in items} | {d.referral_id for d in decisions}
    )
    by_item: dict[int, list[ConferenceDecision]] = {}
    for d in decisions:
        if perm.decision_readable(d, working, referrals):
            by_item.setdefault(d.item_id, []).append(d)
    perm.working_records_read(
        reader,
        hub.id,
        what="conference decisions",
        records={"decision": [d.id for found in by_item.values() for d in found]},
    )
    notes_by_item = _visible_notes(reader, conference, hub, items, what)

    rows = []
    for number, item in enumerate(items, start=1):
        if item.case_id:
            case = item.case
            entitled = case.id in cases
            row = MinutesItem(
                number,
                item,
                "Case",
                case.reference,
                AgendaReason(item.reason).label,
                entitled,
                title=case.title if entitled else None,
            )
        else:
            referral = item.referral
            entitled = referral.id in referrals or referral.case_id in cases
            row = MinutesItem(
                number,
                item,
                "Referral",
                referral.reference,
                AgendaReason(item.reason).label,
                entitled,
            )
        row.decisions = by_item.get(item.id, [])
        row.notes = notes_by_item.get(item.id, [])
        rows.append(row)
    attendance = list(
        db.session.execute(
            select(Attendance)
            .where(Attendance.conference_id == conference.id)
            .options(joinedload(Attendance.agency), joinedload(Attendance.user))
            .order_by(Attendance.id)
        ).scalars()
    )
    attendance.sort(key=lambda a: (a.agency.name, a.id))
    return Minutes(
        conference=conference,
        chair=conference.chair,
        attendance=attendance,
        items=rows,
        approved_by=conference.minutes_approved_by,
    )


def _visible_notes(reader, conference, hub, items, what) -> dict[int, list[MinutesNote]]:
    item_ids = [i.id for i in items]
    if not item_ids:
        return {}
    query = (
        perm.visible_records(reader, CaseNote, hub)
        .add_columns(Agency.name)
        .join(Agency, Agency.id == CaseNote.origin_agency_id)
        .where(CaseNote.agenda_item_id.in_(item_ids))
        .order_by(CaseNote.created_at, CaseNote.id)
    )
    found: dict[int, list[MinutesNote]] = {}
    by_case: dict[int, list[CaseNote]] = {}
    for note, agency_name in db.session.execute(query):
        found.setdefault(note.agenda_item_id, []).append(MinutesNote(note, agency_name))
        by_case.setdefault(note.case_id, []).append(note)
    for case_id, notes in by_case.items():
        perm.record_read(reader, db.session.get(Case, case_id), notes, what=what)
    return found


def agenda_for_print(reader, conference: Conference) -> list[MinutesItem]:
    """The agenda as a list of items, with a case's title only for a reader who may see the
    case (the minutes' rule, without decisions or notes)."""
    items = agenda_items(conference)
    cases = perm.readable_cases(reader, conference.hub, {i.case_id for i in items})
    referrals = perm.readable_referrals(reader, {i.referral_id for i in items})
    rows = []
    for number, item in enumerate(items, start=1):
        if item.case_id:
            entitled = item.case_id in cases
            rows.append(
                MinutesItem(
                    number,
                    item,
                    "Case",
                    item.case.reference,
                    AgendaReason(item.reason).label,
                    entitled,
                    title=item.case.title if entitled else None,
                )
            )
        else:
            entitled = item.referral_id in referrals
            rows.append(
                MinutesItem(
                    number,
                    item,
                    "Referral",
                    item.referral.reference,
                    AgendaReason(item.reason).label,
                    entitled,
                )
            )
    return rows


def record_print(reader, conference: Conference, what: str, items: list[MinutesItem]) -> None:
    """A printed agenda or set of minutes leaves the system: audited as an export, naming
    the cases and referrals whose details it carried. The caller commits."""
    audit.record(
        f"conference_{what}_exported",
        user=reader,
        hub=conference.hub,
        target=conference,
        legal_basis="s115 Crime and Disorder Act 1998",
        details={
            "format": "print",
            "cases": sorted(i.item.case_id for i in items if i.entitled and i.item.case_id),
            "referrals": sorted(
                i.item.referral_id for i in items if i.entitled and i.item.referral_id
            ),
        },
    )


# -- the chair's remarks and approval ---------------------------------------------------------


def approved_message(conference: Conference) -> str:
    by = conference.minutes_approved_by
    return (
        f"These minutes were approved on {format_local(conference.minutes_approved_at)} "
        f"by {by.name if by else 'the chair'} and cannot be changed"
    )


STALE_MESSAGE = (
    "The minutes were changed by someone else after you opened this page. Check them and try again"
)


def _stale() -> StaleForm:
    return StaleForm(STALE_MESSAGE, field="version")


def _guarded_update(conference: Conference, **values) -> None:
    """Write only if nobody approved or changed the minutes since they were read: two
    browsers submitting at once cannot both succeed."""
    unapproved = Conference.minutes_approved_at.is_(None)
    move_version_on(conference, "edit_version", _stale, unapproved, **values)


def save_remarks(conference: Conference, form: Mapping, actor) -> None:
    """The chair's general remarks, which name no one. Only before approval, and only for
    a conference that has started."""
    if conference.minutes_approved_at is not None:
        raise ValidationError({"remarks": [approved_message(conference)]})
    if conference.status not in (ConferenceStatus.LIVE.value, ConferenceStatus.HELD.value):
        raise ValidationError({"remarks": ["Remarks can be written once the conference starts"]})
    check_version(conference.edit_version, form.get("version"), _stale)
    remarks = (form.get("remarks") or "").strip()
    if len(remarks) > REMARKS_LIMIT:
        raise ValidationError(
            {"remarks": [f"General remarks must be {REMARKS_LIMIT} characters or fewer"]}
        )
    before = len(conference.minutes_remarks or "")
    _guarded_update(conference, minutes_remarks=remarks)
    # The remarks should name no one, but the audit log does not rely on it: lengths only.
    audit.record(
        "minutes_remarks_saved",
        user=actor,
        hub=conference.hub,
        target=conference,
        details={"before": {"length": before}, "after": {"length": len(remarks)}},
    )


def approve(conference: Conference, form: Mapping, actor) -> None:
    """The chair approves the minutes of a held conference: from then on nothing about
    them changes."""
    if conference.minutes_approved_at is not None:
        raise ValidationError({"minutes": [approved_message(conference)]})
    if conference.status != ConferenceStatus.HELD.value:
        raise ValidationError(
            {"minutes": ["The minutes can be approved once the conference has been held"]}
        )
    check_version(conference.edit_version, form.get("version"), _stale)
    now = utcnow()
    _guarded_update(conference, minutes_approved_at=now, minutes_approved_by_id=actor.id)
    audit.record(
        "minutes_approved",
        user=actor,
        hub=conference.hub,
        target=conference,
        details={"after": {"approved_at": now.isoformat(), "approved_by": actor.id}},
    )


# -- circulation -------------------------------------------------------------------------------


def agenda_case_ids(conference: Conference):
    """SQL: the cases on the agenda, and those the conference decided on (a referral it
    opened as a case)."""
    on_agenda = select(AgendaItem.case_id).where(
        AgendaItem.conference_id == conference.id,
        AgendaItem.removed.is_(False),
        AgendaItem.case_id.is_not(None),
    )
    decided = select(ConferenceDecision.case_id).where(
        ConferenceDecision.conference_id == conference.id, ConferenceDecision.case_id.is_not(None)
    )
    return on_agenda.union(decided)


def recipients(conference: Conference) -> list[User]:
    """Who receives approved minutes, each once: the people recorded present who have an
    account, the hub's coordinators, and the people of the agencies on any case discussed
    whose role reads case data (a referrer or analyst would find nothing in them). Only
    active accounts of agencies still in the hub."""
    hub_id = conference.hub_id
    present = select(Attendance.user_id).where(
        Attendance.conference_id == conference.id,
        Attendance.status == AttendanceStatus.PRESENT.value,
        Attendance.user_id.is_not(None),
    )
    coordinators = perm.hub_people(hub_id, Role.COORDINATOR).with_only_columns(User.id)
    readers = select(UserRole.user_id).where(
        UserRole.hub_id == hub_id,
        UserRole.role.in_(sorted(perm.ROLE_ACTIONS[perm.Action.READ])),
    )
    member_agencies = select(CaseMembership.agency_id).where(
        CaseMembership.case_id.in_(agenda_case_ids(conference).scalar_subquery()),
        CaseMembership.removed_at.is_(None),
    )
    query = (
        select(User)
        .where(
            User.is_active_account.is_(True),
            User.agency_id.in_(select(HubAgency.agency_id).where(HubAgency.hub_id == hub_id)),
            or_(
                User.id.in_(present),
                User.id.in_(coordinators),
                and_(User.agency_id.in_(member_agencies), User.id.in_(readers)),
            ),
        )
        .order_by(User.id)
    )
    seen: set[str] = set()
    found = []
    for user in db.session.execute(query).scalars():
        if user.email.lower() not in seen:
            seen.add(user.email.lower())
            found.append(user)
    return found


def circulate(conference: Conference, actor) -> list[User]:
    """Email every recipient a link to the approved minutes, once. The emails carry no case
    details (the reader signs in and sees what they are entitled to) and go after the
    commit. Returns the recipients."""
    if conference.minutes_approved_at is None:
        raise ValidationError({"minutes": ["Approve the minutes before circulating them"]})
    if conference.minutes_circulated_at is not None:
        raise ValidationError({"minutes": [_circulated_message(conference)]})
    now = utcnow()
    result = db.session.execute(
        update(Conference)
        .where(Conference.id == conference.id, Conference.minutes_circulated_at.is_(None))
        .values(minutes_circulated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # circulated by someone else a moment ago
        db.session.refresh(conference)
        raise ValidationError({"minutes": [_circulated_message(conference)]})
    db.session.refresh(conference)
    people = recipients(conference)
    kind = ConferenceKind(conference.kind).label.lower()
    when = format_local(conference.started_at or conference.starts_at, "%-d %B %Y")
    link = mail.external_url("conference_minutes.show", conference_id=conference.id)
    for user in people:
        mail.queue_mail(  # sent after the commit, dropped on a rollback
            user.email,
            f"Focus Hub: minutes of the {kind} on {when}",
            f"The minutes of the {conference.hub.name} {kind} on {when} are approved.\n\n"
            f"Sign in to read them:\n{link}\n\n"
            "You see the details your agency is entitled to see. This email contains no case "
            "details: please do not add any if you forward it.",
        )
    audit.record(
        "minutes_circulated",
        user=actor,
        hub=conference.hub,
        target=conference,
        details={"after": {"circulated_at": now.isoformat(), "recipients": len(people)}},
    )
    return people


def _circulated_message(conference: Conference) -> str:
    return (
        f"These minutes were circulated on {format_local(conference.minutes_circulated_at)}"
        " and are sent only once"
    )
