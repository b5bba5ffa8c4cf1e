"""Running a conference: the chair opens it, records who came, takes notes on each agenda item
and records decisions that are written straight into the case (or the referral) through the
casework, triage and sharing services, in the same transaction. Partners follow the decisions.

Every function validates first and raises marshmallow ValidationError (nothing written), or
ConferenceChanged for a form opened before someone else's change; every write is audited; the
caller commits. Nothing about a conference changes once its minutes are approved."""

from datetime import date, timedelta

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from hub import audit
from hub import permissions as perm
from hub.casework import changes, stages
from hub.casework.activity import log
from hub.conferences import case_reviews
from hub.conferences.agenda import agenda_items
from hub.conferences.slot import slot_for
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    Agency,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Band,
    Case,
    CaseMembership,
    CaseNote,
    CaseReviewStatus,
    Conference,
    ConferenceDecision,
    ConferenceStatus,
    DecisionKind,
    HubAgency,
    MembershipRoute,
    Referral,
    Stage,
    StandingAttendee,
    User,
    UserRole,
)
from hub.sharing import agreements
from referrals import triage


class ConferenceChanged(ValidationError):
    """The form was opened before someone else changed the conference or the case."""


def _today() -> date:
    return utcnow().astimezone(LONDON).date()


def _on(moment) -> str:
    return moment.astimezone(LONDON).strftime("%-d %B %Y")


def _version(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _check_not_approved(conference: Conference) -> None:
    if conference.minutes_approved_at is not None:
        raise ValidationError(
            {
                "form": [
                    f"The minutes were approved on {_on(conference.minutes_approved_at)}; "
                    "nothing about this conference can change"
                ]
            }
        )


def _check_edit_version(conference: Conference, submitted) -> None:
    if _version(submitted) != conference.edit_version:
        raise ConferenceChanged(
            {
                "form": [
                    "Someone else changed this conference since you opened the page. "
                    "Check the page and try again."
                ]
            }
        )


def _check_live(conference: Conference) -> None:
    _check_not_approved(conference)
    if conference.status != ConferenceStatus.LIVE.value:
        raise ValidationError(
            {"form": ["The conference is not in progress: decisions are recorded while it runs"]}
        )


def _check_item(conference: Conference, item: AgendaItem | None) -> AgendaItem:
    if item is None or item.conference_id != conference.id or item.removed:
        raise ValidationError({"item": ["That item is not on this conference's agenda"]})
    return item


def _changed(conference: Conference, user, action: str, details: dict) -> None:
    conference.edit_version += 1
    audit.record(action, user=user, hub=conference.hub_id, target=conference, details=details)


# -- opening and closing the meeting -----------------------------------------------------------

CANNOT_START = {
    ConferenceStatus.PROPOSED.value: "This urgent conference has not been confirmed yet, so it "
    "cannot be started",
    ConferenceStatus.CANCELLED.value: "This conference was cancelled, so it cannot be started",
    ConferenceStatus.HELD.value: "This conference has already been held",
    ConferenceStatus.LIVE.value: "This conference is already in progress",
}


def start_conference(conference: Conference, version, *, actor) -> Conference:
    """Open a scheduled conference: the actor chairs it from now."""
    _check_not_approved(conference)
    if conference.status in CANNOT_START:
        raise ValidationError({"form": [CANNOT_START[conference.status]]})
    _check_edit_version(conference, version)
    before = conference.status
    conference.status = ConferenceStatus.LIVE.value
    conference.started_at = utcnow()
    conference.chair_id = actor.id
    _changed(
        conference,
        actor,
        "conference_started",
        {"before": {"status": before}, "after": {"status": conference.status}},
    )
    return conference


def end_conference(conference: Conference, version, *, actor) -> Conference:
    _check_not_approved(conference)
    if conference.status != ConferenceStatus.LIVE.value:
        raise ValidationError({"form": ["Only a conference in progress can be ended"]})
    _check_edit_version(conference, version)
    conference.status = ConferenceStatus.HELD.value
    conference.ended_at = utcnow()
    _changed(
        conference,
        actor,
        "conference_ended",
        {"before": {"status": ConferenceStatus.LIVE.value}, "after": {"status": "held"}},
    )
    return conference


# -- attendance ------------------------------------------------------------------------------


def _partner_ids(hub_id: int) -> set[int]:
    return set(
        db.session.execute(select(HubAgency.agency_id).where(HubAgency.hub_id == hub_id)).scalars()
    )


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
    ids &= _partner_ids(conference.hub_id)
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
    """Active users of the hub's partner agencies with a role in the hub: who may be recorded
    as attending by name."""
    return list(
        db.session.execute(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                UserRole.hub_id == conference.hub_id,
                User.is_active_account.is_(True),
                User.agency_id.in_(
                    select(HubAgency.agency_id).where(HubAgency.hub_id == conference.hub_id)
                ),
            )
            .distinct()
            .order_by(User.name, User.id)
        ).scalars()
    )


class AttendanceSchema(Schema):
    agency_id = fields.Integer(
        required=True,
        error_messages={"required": "Choose the agency", "invalid": "Choose the agency"},
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf(
            [s.value for s in AttendanceStatus], error="Choose present, apologies or absent"
        ),
        error_messages={"required": "Choose present, apologies or absent"},
    )
    user_id = fields.Integer(load_default=None, error_messages={"invalid": "Choose the person"})
    name = fields.String(
        load_default="",
        validate=validate.Length(max=120, error="Enter a name of 120 characters or fewer"),
    )
    version = fields.Raw(load_default=None)


def record_attendance(conference: Conference, data: dict, *, actor) -> Attendance:
    """Record an agency as present, sending apologies or absent, with the person who came (a
    user of that agency, or a typed name for someone without an account). Recording the same
    agency and person again changes their status."""
    data = AttendanceSchema().load(data)
    _check_live(conference)
    _check_edit_version(conference, data["version"])
    if data["agency_id"] not in _partner_ids(conference.hub_id):
        raise ValidationError({"agency_id": ["Choose an agency that is a partner of this hub"]})
    name = data["name"].strip()
    if data["user_id"] is not None:
        person = db.session.get(User, data["user_id"])
        if person is None or person.agency_id != data["agency_id"]:
            raise ValidationError({"user_id": ["Choose a person from that agency"]})
        name = ""
    if data["status"] == AttendanceStatus.PRESENT.value and not (data["user_id"] or name):
        raise ValidationError({"user_id": ["Choose who attended, or type their name"]})
    existing = db.session.execute(
        select(Attendance).where(
            Attendance.conference_id == conference.id,
            Attendance.agency_id == data["agency_id"],
            Attendance.user_id.is_(None)
            if data["user_id"] is None
            else Attendance.user_id == data["user_id"],
            func.lower(Attendance.name) == name.lower(),
        )
    ).scalar_one_or_none()
    before = existing.status if existing else None
    row = existing or Attendance(
        conference_id=conference.id,
        agency_id=data["agency_id"],
        user_id=data["user_id"],
        name=name,
    )
    row.status = data["status"]
    row.recorded_by_id = actor.id
    row.recorded_at = utcnow()
    db.session.add(row)
    db.session.flush()
    _changed(
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


def _discussed(item: AgendaItem) -> None:
    if item.discussed_at is None:
        item.discussed_at = utcnow()


def _case_for_writing(item: AgendaItem, actor) -> Case:
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
    _check_live(conference)
    _check_item(conference, item)
    if item.case_id is None:
        raise ValidationError(
            {"body": ["Open a case from the referral (or decline it) before adding notes"]}
        )
    case = _case_for_writing(item, actor)
    note = changes.add_note(case, data, actor=actor)
    note.agenda_item_id = item.id
    _discussed(item)
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


# -- decisions -------------------------------------------------------------------------------


class DecisionSchema(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf([k.value for k in DecisionKind], error="Choose a decision"),
        error_messages={"required": "Choose a decision"},
    )
    version = fields.Raw(load_default=None)
    case_version = fields.Raw(load_default=None)
    reason = fields.String(
        load_default="",
        validate=validate.Length(max=2000, error="Use 2000 characters or fewer"),
    )
    title = fields.String(load_default="")
    objective = fields.String(load_default="")
    success_measures = fields.String(load_default="")
    agency_id = fields.Raw(load_default=None)
    owner_id = fields.Raw(load_default=None)
    description = fields.String(load_default="")
    due_on = fields.Raw(load_default=None)
    band = fields.String(load_default="")
    review_on = fields.Raw(load_default=None)
    met = fields.String(load_default="")


def _agency_id(data: dict, message: str) -> int:
    try:
        return int(data.get("agency_id"))
    except (TypeError, ValueError):
        raise ValidationError({"agency_id": [message]}) from None


def _check_case_version(case: Case, submitted) -> None:
    if _version(submitted) != case.version:
        raise ConferenceChanged(
            {
                "form": [
                    f"Case {case.reference} changed since you opened the page. "
                    "Check it and record the decision again."
                ]
            }
        )


def record_decision(
    conference: Conference, item: AgendaItem, data: dict, *, actor
) -> ConferenceDecision:
    """Record one decision on an agenda item and write it into the case or referral."""
    data = DecisionSchema().load(data)
    _check_live(conference)
    _check_item(conference, item)
    _check_edit_version(conference, data["version"])
    kind = DecisionKind(data["kind"])
    if item.case_id is None:
        decision = _decide_referral(conference, item, kind, data, actor)
    else:
        decision = _decide_case(conference, item, kind, data, actor)
    _discussed(item)
    db.session.add(decision)
    db.session.flush()
    _changed(
        conference,
        actor,
        "conference_decision_recorded",
        {
            "decision_id": decision.id,
            "item_id": item.id,
            "kind": decision.kind,
            "case_id": decision.case_id,
            "referral_id": decision.referral_id,
        },
    )
    return decision


def _new_decision(conference, item, kind, actor, summary, **values) -> ConferenceDecision:
    return ConferenceDecision(
        conference_id=conference.id,
        item_id=item.id,
        kind=kind.value,
        summary=summary,
        decided_by_id=actor.id,
        decided_at=utcnow(),
        **values,
    )


def _decide_referral(conference, item, kind, data, actor) -> ConferenceDecision:
    referral: Referral = item.referral
    if kind not in (DecisionKind.OPEN_CASE, DecisionKind.DECLINE):
        raise ValidationError(
            {"kind": ["Open a case from the referral, or decline it, before any other decision"]}
        )
    reason = data["reason"].strip()
    if kind == DecisionKind.DECLINE:
        if not reason:
            raise ValidationError({"reason": ["Enter the reason for declining"]})
        triage.decide(referral, {"decision": "declined", "reason": reason}, user=actor)
        return _new_decision(
            conference,
            item,
            kind,
            actor,
            f"Referral {referral.reference} declined",
            referral_id=referral.id,
            reason=reason,
        )
    title = data["title"].strip()
    triage.decide(referral, {"decision": "new_case", "title": title, "reason": reason}, user=actor)
    case = db.session.get(Case, referral.case_id)
    item.case = case
    return _new_decision(
        conference,
        item,
        kind,
        actor,
        f"Case {case.reference} opened from referral {referral.reference}",
        referral_id=referral.id,
        case_id=case.id,
        reason=reason,
        details={"title": case.title},
    )


def _decide_case(conference, item, kind, data, actor) -> ConferenceDecision:
    case: Case = item.case
    if kind == DecisionKind.REVIEW_THRESHOLD:
        return _review_threshold(conference, item, case, data, actor)
    if kind == DecisionKind.ADD_MEMBER:
        # Adding an agency needs no access to the case's records: a coordinator may add their
        # own agency this way before working the case.
        if not perm.can_manage_case_membership(actor, case):
            raise ValidationError({"form": ["Only a coordinator or hub manager can add agencies"]})
    else:
        _case_for_writing(item, actor)
    _check_case_version(case, data["case_version"])
    handler = CASE_DECISIONS[kind]
    summary, values = handler(conference, case, data, actor)
    return _new_decision(conference, item, kind, actor, summary, case_id=case.id, **values)


def _open(conference, case: Case, data, actor):
    if case.stage not in (Stage.REFERRED.value, Stage.AWAITING_CONFERENCE.value):
        stage = Stage(case.stage).label.lower()
        raise ValidationError({"kind": [f"Case {case.reference} is already open ({stage})"]})
    if case.lead_agency_id is None or case.lead_agreed_at is None:
        raise ValidationError({"form": ["Agree the lead agency before opening the case"]})
    plan = changes.plan_of(case)
    objective = data["objective"].strip()
    if plan is None or not plan.objective.strip():
        if not objective:
            raise ValidationError({"objective": ["Enter the plan's objective"]})
        measures = data["success_measures"].strip()
        if not measures:
            raise ValidationError(
                {"success_measures": ["State how you will measure success with the objective"]}
            )
        fields_now = {k: getattr(plan, k) or "" for k in changes.PLAN_LABELS} if plan else {}
        changes.save_plan(
            case,
            {
                **fields_now,
                "objective": objective,
                "success_measures": measures,
                "version": str(plan.version) if plan else None,
            },
            actor=actor,
        )
    stages.move_stage(case, Stage.ACTIVE.value, case.version, actor=actor)
    return f"Case {case.reference} opened: now active", {"details": {"objective": objective}}


def _decline(conference, case: Case, data, actor):
    reason = data["reason"].strip()
    if not reason:
        raise ValidationError({"reason": ["Enter the reason for declining"]})
    if case.stage not in (Stage.REFERRED.value, Stage.AWAITING_CONFERENCE.value):
        raise ValidationError(
            {"kind": ["Only a case awaiting its first conference can be declined: close it"]}
        )
    stages.close_unopened(case, reason, case.version, actor=actor)
    return f"Case {case.reference} declined and closed", {"reason": reason}


def _lead(conference, case: Case, data, actor):
    agency_id = _agency_id(data, "Choose the lead agency")
    if agency_id not in changes._member_ids(case):
        raise ValidationError({"agency_id": ["Choose an agency that is a member of the case"]})
    agency = db.session.get(Agency, agency_id)
    before = {
        "lead_agency_id": case.lead_agency_id,
        "lead_agreed_conference_id": case.lead_agreed_conference_id,
    }
    case.lead_agency_id = agency.id
    case.lead_agreed_at = utcnow()
    case.lead_agreed_by_id = actor.id
    case.lead_agreed_conference_id = conference.id
    db.session.flush()
    audit.record(
        "case_lead_agreed",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={
            "before": before,
            "after": {"lead_agency_id": agency.id, "lead_agreed_conference_id": conference.id},
        },
    )
    log(
        case,
        actor,
        "case_updated",
        f"Agreed {agency.name} as lead agency at the conference on {_on(conference.starts_at)}",
    )
    return f"Lead agency: {agency.name}", {"details": {"agency_id": agency.id}}


def _add_member(conference, case: Case, data, actor):
    membership = agreements.add_member(
        case,
        {
            "agency_id": data["agency_id"],
            "route": MembershipRoute.CONFERENCE.value,
            "reason": data["reason"],
        },
        actor=actor,
        may_use_hub_manager_route=False,
    )
    name = db.session.get(Agency, membership.agency_id).name
    return f"{name} added as a member agency", {
        "reason": membership.reason,
        "details": {"agency_id": membership.agency_id},
    }


def _band(conference, case: Case, data, actor):
    band = data["band"]
    if band not in {b.value for b in Band}:
        raise ValidationError({"band": ["Choose the band"]})
    reason = data["reason"].strip()
    if not reason:
        raise ValidationError({"reason": ["Enter the reason for setting the band"]})
    if band == case.band:
        raise ValidationError({"band": [f"The case is already {band}"]})
    before = {"band": case.band, "next_review_on": _iso(case.next_review_on)}
    case.band = band
    # The review comes round at the new band's cadence: a raised band brings it forward.
    due = _today() + timedelta(days=changes.RULESET.review_days[band])
    if case.next_review_on is None or due < case.next_review_on:
        case.next_review_on = due
    db.session.flush()
    audit.record(
        "case_band_set",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={
            "before": before,
            "after": {"band": band, "next_review_on": _iso(case.next_review_on)},
            "conference_id": conference.id,
        },
    )
    log(case, actor, "case_updated", f"Set the band to {band} at the conference")
    return f"Band set to {band} (was {before['band']})", {
        "reason": reason,
        "details": {"before": before["band"], "after": band},
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _action(conference, case: Case, data, actor):
    action = changes.add_action(
        case,
        {
            k: data[k]
            for k in ("description", "agency_id", "owner_id", "due_on")
            if data.get(k) not in (None, "")
        },
        actor=actor,
    )
    summary = (
        f"Action for {action.agency.name} ({action.owner.name}), due "
        f"{action.due_on.strftime('%-d %B %Y')}: {action.description}"
    )
    return summary, {"action_id": action.id}


class _ReviewOn(Schema):
    review_on = fields.Date(
        required=True,
        error_messages={
            "required": "Enter the next review date",
            "invalid": "Enter the next review date in the form 2027-03-31",
        },
    )


def _next_review(conference, case: Case, data, actor):
    if not data.get("review_on"):
        raise ValidationError({"review_on": ["Enter the next review date"]})
    day = _ReviewOn().load({"review_on": data["review_on"]})["review_on"]
    if day < _today():
        raise ValidationError({"review_on": ["The next review date cannot be in the past"]})
    before = _iso(case.next_review_on)
    case.next_review_on = day
    db.session.flush()
    audit.record(
        "case_next_review_set",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={
            "before": {"next_review_on": before},
            "after": {"next_review_on": day.isoformat()},
            "conference_id": conference.id,
        },
    )
    log(case, actor, "case_updated", "Set the next review date at the conference")
    return f"Next review on {day.strftime('%-d %B %Y')}", {"details": {"on": day.isoformat()}}


def _case_review(conference, case: Case, data, actor):
    waiting = case_reviews.awaiting_decision(case)
    if waiting is not None:
        raise ValidationError(
            {
                "kind": [
                    f"{case.reference} already awaits a threshold decision ({waiting.reference})"
                ]
            }
        )
    review = case_reviews.open_review(
        conference.hub, source="conference", received_on=_today(), actor=actor, case=case
    )
    return f"Referred to an ASB case review ({review.reference})", {
        "reason": data["reason"].strip(),
        "details": {"case_review_id": review.id},
    }


def review_on_item(item: AgendaItem):
    """The ASB case review application to decide on this case item: the one the agenda builder
    linked, or, on an item it did not build (an urgent conference, a coordinator's addition,
    an application received since), the case's application awaiting its decision."""
    linked = item.case_review
    if linked is not None and linked.status == CaseReviewStatus.RECEIVED.value:
        return linked
    return case_reviews.awaiting_decision(item.case) if item.case_id else None


def _review_threshold(conference, item: AgendaItem, case: Case, data, actor):
    """Whether the application this item carries meets the ASB case review threshold. The
    decision names no one, so like adding a member it needs no access to the case's records:
    it is the partnership's, recorded by whoever runs the conference."""
    if not perm.can_run_conferences(actor, conference.hub):
        raise ValidationError({"form": ["Only a coordinator or hub manager can record this"]})
    review = review_on_item(item)
    if review is None and item.case_review is not None:
        decided = item.case_review.reference
        raise ValidationError({"kind": [f"{decided} has already had its threshold decision"]})
    if review is None:
        raise ValidationError(
            {"kind": [f"No ASB case review application awaits a decision on {case.reference}"]}
        )
    item.case_review_id = review.id
    if data["met"] not in ("yes", "no"):
        raise ValidationError({"met": ["Choose whether the threshold is met"]})
    reason = data["reason"].strip()
    if not reason:
        raise ValidationError({"reason": ["Enter the reason, which the applicant will be told"]})
    met = data["met"] == "yes"
    case_reviews.decide_threshold(review, met=met, actor=actor, conference=conference)
    outcome = "met: the review will be held" if met else "not met"
    log(case, actor, "case_updated", f"ASB case review {review.reference}: threshold {outcome}")
    return _new_decision(
        conference,
        item,
        DecisionKind.REVIEW_THRESHOLD,
        actor,
        f"ASB case review {review.reference}: threshold {outcome}",
        case_id=case.id,
        reason=reason,
        details={"case_review_id": review.id, "threshold_met": met},
    )


def _close(conference, case: Case, data, actor):
    if case.stage == Stage.CLOSED.value:
        raise ValidationError({"kind": [f"Case {case.reference} is already closed"]})
    needs = stages.unmet_needs(case, Stage.CLOSED)
    if needs:
        raise ValidationError({"form": [". ".join(needs)]})
    stages.move_stage(case, Stage.CLOSED.value, case.version, actor=actor)
    return f"Case {case.reference} closed", {"reason": data["reason"].strip()}


CASE_DECISIONS = {
    DecisionKind.OPEN_CASE: _open,
    DecisionKind.DECLINE: _decline,
    DecisionKind.LEAD_AGENCY: _lead,
    DecisionKind.ADD_MEMBER: _add_member,
    DecisionKind.BAND: _band,
    DecisionKind.ACTION: _action,
    DecisionKind.NEXT_REVIEW: _next_review,
    DecisionKind.CASE_REVIEW: _case_review,
    DecisionKind.CLOSE: _close,
}


# -- reading the decisions -------------------------------------------------------------------


def decisions_of(conference: Conference, item: AgendaItem | None = None):
    query = select(ConferenceDecision).where(ConferenceDecision.conference_id == conference.id)
    if item is not None:
        query = query.where(ConferenceDecision.item_id == item.id)
    return list(db.session.execute(query.order_by(ConferenceDecision.id)).scalars())


def decisions_marker(conference: Conference) -> int:
    """The newest decision: pollers compare it to know whether anything changed."""
    query = select(func.max(ConferenceDecision.id)).where(
        ConferenceDecision.conference_id == conference.id
    )
    return db.session.execute(query).scalar() or 0


def decisions_for(user, conference: Conference) -> list[dict]:
    """Each decision as this reader may see it: in full on a case they may open (or a
    referral they may see); otherwise only the reference and that a decision was recorded."""
    rows = decisions_of(conference)
    case_ids = {d.case_id for d in rows if d.case_id}
    open_ids = (
        set(
            db.session.execute(
                perm.cases_with_access(user, conference.hub)
                .with_only_columns(Case.id)
                .where(Case.id.in_(case_ids))
            ).scalars()
        )
        if case_ids
        else set()
    )
    out = []
    for d in rows:
        if d.case_id:
            reference = d.case.reference
            visible = d.case_id in open_ids
        else:
            reference = d.referral.reference
            visible = perm.can_see_referral(user, d.referral)
        out.append(
            {
                "id": d.id,
                "reference": reference,
                "case_id": d.case_id if visible else None,
                "kind": DecisionKind(d.kind).label if visible else None,
                "summary": d.summary if visible else None,
                "decided_at": d.decided_at,
                "visible": visible,
            }
        )
    return out


__all__ = [
    "ConferenceChanged",
    "add_item_note",
    "agenda_items",
    "attendance_of",
    "decisions_for",
    "decisions_marker",
    "decisions_of",
    "end_conference",
    "expected_agencies",
    "hub_people",
    "item_notes",
    "record_attendance",
    "record_decision",
    "review_on_item",
    "start_conference",
]
