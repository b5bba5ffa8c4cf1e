"""ASB case reviews (Anti-social Behaviour, Crime and Policing Act 2014, s.104): applications
by or for a victim, and referrals made by a conference. Each goes on the next weekly agenda
(hub.conferences.agenda) until the partners decide at conference whether the threshold is
met; a review found due is then held and its outcome recorded here.

Nothing here is personal: a review carries its reference, the case's reference, dates, who
applied (the victim or someone on their behalf, never a name) and the decisions. The
applicant's details stay in the case's records."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from marshmallow import Schema, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from hub import audit
from hub import permissions as perm
from hub.casework import complaints
from hub.casework.cases import hub_prefix
from hub.conferences.schemas import ApplicationSchema, OutcomeSchema
from hub.core.locking import StaleForm, check_version, flush_or_stale, insert_numbered
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    Agency,
    AgencyComplaint,
    Case,
    CaseIncident,
    CaseReview,
    CaseReviewStatus,
    ConferenceDecision,
    Hub,
    Referral,
)
from hub.models.referral import ReferralStatus
from hub.permissions import hub_today
from referrals import triage

CHECK = "Check the review and try again."
STALE = "Someone else changed this review while you were editing. Check it and try again."


def reference_prefix(hub: Hub, on: date) -> str:
    """'ACR-CPL-2026-': reviews are numbered per hub and year."""
    return f"ACR-{hub_prefix(hub.slug)}-{on.year}-"


def awaiting_decision(case: Case) -> CaseReview | None:
    """The case's review awaiting its threshold decision, if any."""
    return db.session.execute(
        select(CaseReview)
        .where(CaseReview.case_id == case.id, CaseReview.status == CaseReviewStatus.RECEIVED)
        .order_by(CaseReview.id)
        .limit(1)
    ).scalar_one_or_none()


def open_review(
    hub: Hub,
    *,
    source: str,
    received_on: date,
    actor,
    case: Case | None = None,
    referral=None,
    applicant: str | None = None,
    complaints_reported: int | None = None,
) -> CaseReview:
    """Record a case review application (source "application") or a conference's referral to
    one (source "conference"). Audited; the caller commits."""
    review = CaseReview(
        hub_id=hub.id,
        case_id=case.id if case else None,
        referral_id=referral.id if referral else None,
        source=source,
        applicant=applicant,
        complaints_reported=complaints_reported,
        received_on=received_on,
        status=CaseReviewStatus.RECEIVED.value,
        created_by_id=actor.id if actor else None,
    )
    insert_numbered(review, CaseReview.reference, reference_prefix(hub, received_on))
    audit.record(
        "case_review_opened",
        user=actor,
        hub=hub,
        target=review,
        details={
            "after": {
                "reference": review.reference,
                "source": source,
                "applicant": applicant,
                "case": case.reference if case else None,
                "received_on": received_on.isoformat(),
            }
        },
    )
    return review


# -- an application --------------------------------------------------------------------------


def _answers(form: Mapping, schema: Schema) -> dict:
    """The form's non-blank answers: a blank required one gets its "required" message."""
    answers = {k: (form.get(k) or "").strip() for k in schema.fields}
    return {k: v for k, v in answers.items() if v}


def _case_for(hub: Hub, data: dict, actor) -> Case:
    """The application's case: one of the hub's cases (closed ones too: a victim may ask for
    a review of how a closed case was handled), or, for a problem that is not yet a case, the
    one its referral opens now, through triage (referrals.triage: the owner of opening cases,
    so the case is scored, its members, SPoC and deadline set as any other)."""
    if data.get("case_reference"):
        reference = data["case_reference"].upper()
        case = db.session.execute(
            select(Case).where(Case.hub_id == hub.id, Case.reference == reference)
        ).scalar_one_or_none()
        if case is None:
            raise ValidationError(
                {"case_reference": [f"There is no case {reference[:30]} in this hub"]}
            )
        return case
    reference = data["referral_reference"].upper()
    referral = db.session.execute(
        select(Referral).where(Referral.hub_id == hub.id, Referral.reference == reference)
    ).scalar_one_or_none()
    if referral is None or referral.status == ReferralStatus.DRAFT.value:
        raise ValidationError(
            {"referral_reference": [f"There is no referral {reference[:30]} in this hub"]}
        )
    if referral.case_id is not None:
        return referral.case
    if referral.status != ReferralStatus.SUBMITTED.value:
        raise ValidationError(
            {
                "referral_reference": [
                    f"{referral.reference} was not opened as a case at triage: refer the "
                    "complaints again and give the new referral's reference"
                ]
            }
        )
    if not perm.can_triage(actor, hub):
        raise ValidationError(
            {
                "referral_reference": [
                    "Opening a case is for the hub's coordinators: ask one to record this "
                    "application"
                ]
            }
        )
    triage.decide(
        referral,
        {
            "decision": "new_case",
            "title": triage.default_case_title(referral),
            "reason": "An ASB case review application was received about it",
            "version": referral.version,
        },
        user=actor,
    )
    return referral.case


def record_application(hub: Hub, form: Mapping, actor) -> CaseReview:
    """An application received by the hub, against one of its cases or a referral not yet
    triaged (whose case it opens). Raises ValidationError with field messages; the caller
    rolls back, so nothing is written (hub.core.forms.attempt)."""
    data = ApplicationSchema().load(_answers(form, ApplicationSchema()))
    case = _case_for(hub, data, actor)
    field = "case_reference" if data.get("case_reference") else "referral_reference"
    waiting = awaiting_decision(case)
    if waiting is not None:
        raise ValidationError(
            {
                field: [
                    f"{case.reference} already has an application awaiting its threshold "
                    f"decision ({waiting.reference})"
                ]
            }
        )
    try:
        with db.session.begin_nested():
            return open_review(
                hub,
                source="application",
                received_on=data["received_on"],
                actor=actor,
                case=case,
                applicant=data["applicant"],
                complaints_reported=data["complaints_reported"],
            )
    except IntegrityError:
        # Another application, for this case or under the same number, at the same moment.
        raise ValidationError(
            {field: [f"Another application was recorded just now. {CHECK}"]}
        ) from None


# -- the threshold decision and the outcome ----------------------------------------------------


def decide_threshold(review: CaseReview, *, met: bool, actor, conference) -> None:
    """The partners' decision at conference. Refused, changing nothing, once decided."""
    if review.status != CaseReviewStatus.RECEIVED.value:
        raise ValidationError(
            {"kind": [f"{review.reference} has already had its threshold decision"]}
        )
    before = review.status
    review.status = (
        CaseReviewStatus.REVIEW_DUE.value if met else CaseReviewStatus.THRESHOLD_NOT_MET.value
    )
    review.threshold_met = met
    review.decided_at = utcnow()
    flush_or_stale(
        lambda: StaleForm(
            f"{review.reference} has just had its threshold decision. {CHECK}", field="kind"
        )
    )
    audit.record(
        "case_review_threshold_decided",
        user=actor,
        hub=review.hub,
        target=review,
        details={
            "before": {"status": before},
            "after": {"status": review.status, "conference_id": conference.id},
        },
    )


def load_step(schema: Schema, form: Mapping, review: CaseReview) -> dict:
    """A step's form, checked: field messages, and a stale form (opened before someone else's
    save) refused as a whole."""
    try:
        data = schema.load(_answers(form, schema))
    except ValidationError as err:
        messages = dict(err.messages)
        if messages.pop("version", None):
            messages["form"] = [f"The page was out of date. {CHECK}"]
        raise ValidationError(messages) from None
    if "version" in data:
        check_version(review.version, data["version"], lambda: StaleForm(STALE))
    return data


def not_ahead(day: date, field: str, after: date | None = None, what: str = "") -> None:
    """A step's day: today or earlier, and not before the step it follows."""
    if day > hub_today():
        raise ValidationError({field: ["The date cannot be in the future"]})
    if after is not None and day < after:
        raise ValidationError({field: [f"The date cannot be before {what}, {after:%-d %B %Y}"]})


def record_outcome(review: CaseReview, form: Mapping, actor) -> None:
    """The review has been held: the day of the meeting, its outcome and recommendations,
    naming no one. Only for a review found due, once its independent chair is recorded; a
    stale form is refused."""
    if review.status != CaseReviewStatus.REVIEW_DUE.value:
        raise ValidationError({"form": [f"{review.reference} is not awaiting its outcome"]})
    data = load_step(OutcomeSchema(), form, review)
    if not review.chair_name:
        raise ValidationError({"form": ["Record the review's independent chair first"]})
    decided = review.decided_at.astimezone(LONDON).date() if review.decided_at else None
    not_ahead(data["held_on"], "held_on", decided, "the threshold decision")
    review.status = CaseReviewStatus.COMPLETED.value
    review.outcome = data["outcome"]
    review.held_on = data["held_on"]
    flush_or_stale(lambda: StaleForm(STALE))
    audit.record(
        "case_review_completed",
        user=actor,
        hub=review.hub,
        target=review,
        details={
            "before": {"status": "review_due"},
            "after": {"status": review.status, "fields": ["held_on", "outcome"]},
        },
    )


def decisions_on(review: CaseReview) -> list[ConferenceDecision]:
    """The conference decisions about this review (its referral by a conference, its
    threshold), oldest first, each with its conference."""
    return list(
        db.session.execute(
            select(ConferenceDecision)
            .where(
                ConferenceDecision.case_id == review.case_id,
                ConferenceDecision.details["case_review_id"].as_integer() == review.id,
            )
            .options(joinedload(ConferenceDecision.conference))
            .order_by(ConferenceDecision.id)
        ).scalars()
    )


def reviews_of(hub: Hub) -> list[CaseReview]:
    """The hub's case reviews, newest first, with their cases (references only)."""
    return list(
        db.session.execute(
            select(CaseReview)
            .where(CaseReview.hub_id == hub.id)
            .options(joinedload(CaseReview.case))
            .order_by(CaseReview.received_on.desc(), CaseReview.id.desc())
        ).scalars()
    )


# -- what the review's page shows ---------------------------------------------------------------


@dataclass(frozen=True)
class Traced:
    """One report behind the count: its day, the agency it was made to, which counted
    incident it is (numbered from 1) and whether it is a repeat of one already counted, and
    what the reader may see of its record (None when hub.permissions withholds it)."""

    complaint: complaints.Complaint
    number: int
    repeat: bool
    agency: str
    detail: str | None


def _visible(user, hub: Hub, model, ids: list[int], show, read: list) -> dict[int, str]:
    """What of each record the user may see, by id; the records shown go into `read`."""
    if not ids:
        return {}
    rows = (
        db.session.execute(perm.visible_records(user, model, hub).where(model.id.in_(ids)))
        .scalars()
        .all()
    )
    read.extend(rows)
    return {r.id: show(r) for r in rows}


def complaint_count(review: CaseReview) -> complaints.ComplaintCount | None:
    """The qualifying complaints in the window before the application (none without a case)."""
    if review.case is None:
        return None
    return complaints.count_complaints(review.case, review.received_on)


def traced_complaints(review: CaseReview, user) -> tuple[complaints.ComplaintCount, list[Traced]]:
    """The qualifying complaints in the window before the application, each traced to its
    dated report. Dates, agencies and counts are for every keeper of the review; each
    record's reference or place only for whom the section 115 rule lets see the record, and
    that read is audited (any disclosure registered) like any other. The caller commits."""
    count = complaint_count(review)
    every = [(n, c, i > 0) for n, g in enumerate(count.counted, 1) for i, c in enumerate(g.all)]
    by_source: dict[str, list[int]] = {}
    for _, c, _ in every:
        by_source.setdefault(c.source, []).append(c.record_id)
    hub, read = review.hub, []
    shown = {
        complaints.REFERRAL: _visible(
            user, hub, Referral, by_source.get(complaints.REFERRAL, []), lambda r: r.reference, read
        ),
        complaints.INCIDENT: _visible(
            user,
            hub,
            CaseIncident,
            by_source.get(complaints.INCIDENT, []),
            lambda r: r.location,
            read,
        ),
        complaints.AGENCY: _visible(
            user,
            hub,
            AgencyComplaint,
            by_source.get(complaints.AGENCY, []),
            lambda r: r.location,
            read,
        ),
    }
    perm.record_read(user, review.case, read, what="case review complaints")
    agency_ids = {c.agency_id for _, c, _ in every}
    names = dict(
        db.session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids))).all()
    )
    return count, [
        Traced(c, n, repeat, names.get(c.agency_id, "Not known"), shown[c.source].get(c.record_id))
        for n, c, repeat in every
    ]
