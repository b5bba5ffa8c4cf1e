"""Qualifying complaints for the ASB case review threshold, counted from every report the
partners hold about a case: its referrals (on the day each was submitted, to the referring
agency), the incidents logged on it (on the day each happened, to the agency that logged it)
and the complaints each agency records as made to it (AgencyComplaint, on the day made).

The same incident reported to several agencies counts once. The rule: two complaints are one
incident when they fall on the same day, were made to different agencies, and share a place
or a person, compared by the hub's matching keys (referrals.normalise: a normalised address,
a normalised name at an address or with a date of birth). Complaints to the same agency on the
same day are separate reports and count separately; a complaint with nothing to match on is
never merged. Every count keeps the dated complaints behind it, so it can be traced.

Counts and dates are not personal; which record stands behind each complaint is shown only
through hub.permissions. Recording a complaint is audited; callers commit."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from marshmallow import ValidationError
from sqlalchemy import select

from hub import audit
from hub.casework import scores
from hub.casework.activity import log
from hub.casework.checks import check_category, restrict, restriction
from hub.casework.schemas import AgencyComplaintSchema
from hub.clock.scheduler import once
from hub.core import mail
from hub.core.locking import add_once, submitted_before
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    AgencyComplaint,
    Case,
    CaseIncident,
    CaseReview,
    DataCategory,
    Incident,
    Notification,
    Referral,
    Stage,
    User,
)
from referrals.normalise import address_key, person_keys

REFERRAL, INCIDENT, AGENCY = "referral", "case_incident", "agency_complaint"
SOURCE_LABELS = {
    REFERRAL: "Referral to the hub",
    INCIDENT: "Incident logged on the case",
    AGENCY: "Complaint made to an agency",
}
ORDER = {REFERRAL: 0, INCIDENT: 1, AGENCY: 2}
CATEGORY = DataCategory.INCIDENT.value
OFFER_JOB = "case_review_offer"


@dataclass(frozen=True)
class Complaint:
    source: str  # REFERRAL, INCIDENT or AGENCY
    record_id: int
    made_on: date
    agency_id: int | None  # the agency it was made to
    keys: frozenset[str] = field(default=frozenset(), compare=False)
    at: datetime | None = field(default=None, compare=False)  # when known, else the day

    @property
    def moment(self) -> datetime:
        return self.at or datetime.combine(self.made_on, time(0), tzinfo=LONDON)

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self.source]


@dataclass(frozen=True)
class Counted:
    """One qualifying complaint, and the reports of it to other agencies that day."""

    first: Complaint
    same: tuple[Complaint, ...] = ()

    @property
    def made_on(self) -> date:
        return self.first.made_on

    @property
    def all(self) -> tuple[Complaint, ...]:
        return (self.first, *self.same)


@dataclass(frozen=True)
class ComplaintCount:
    since: date
    until: date
    window_days: int
    threshold: int
    counted: list[Counted]

    @property
    def count(self) -> int:
        return len(self.counted)

    @property
    def met(self) -> bool:
        return self.count >= self.threshold

    @property
    def reports(self) -> int:
        return sum(1 + len(c.same) for c in self.counted)


def _keys(*values: str | None, kind: str) -> set[str]:
    return {f"{kind}:{v}" for v in values if v}


def _history_keys(column, ids: list[int]) -> dict[int, set[str]]:
    """The matching keys the hub's history holds for these referrals or logged incidents."""
    found: dict[int, set[str]] = {i: set() for i in ids}
    if not ids:
        return found
    rows = db.session.execute(
        select(column, Incident.victim_key, Incident.victim_addr_key, Incident.place_key).where(
            column.in_(ids)
        )
    ).all()
    for record_id, victim, victim_addr, place in rows:
        found[record_id] |= _keys(victim, victim_addr, kind="person") | _keys(place, kind="place")
    return found


def complaints_of(case: Case, since: date, until: date) -> list[Complaint]:
    """Every report about the case made from `since` to `until` (London days), oldest first.
    Five statements, whatever the case's size."""
    start = datetime.combine(since, time(0), tzinfo=LONDON)
    end = datetime.combine(until + timedelta(days=1), time(0), tzinfo=LONDON)
    referrals = db.session.execute(
        select(Referral.id, Referral.submitted_at, Referral.agency_id).where(
            Referral.case_id == case.id,
            Referral.submitted_at >= start,
            Referral.submitted_at < end,
        )
    ).all()
    incidents = db.session.execute(
        select(
            CaseIncident.id,
            CaseIncident.occurred_on,
            CaseIncident.origin_agency_id,
            CaseIncident.location,
            CaseIncident.occurred_at,
        ).where(
            CaseIncident.case_id == case.id,
            CaseIncident.occurred_on >= since,
            CaseIncident.occurred_on <= until,
        )
    ).all()
    made = db.session.execute(
        select(AgencyComplaint).where(
            AgencyComplaint.case_id == case.id,
            AgencyComplaint.made_on >= since,
            AgencyComplaint.made_on <= until,
        )
    ).scalars()
    referral_keys = _history_keys(Incident.referral_id, [r.id for r in referrals])
    incident_keys = _history_keys(Incident.case_incident_id, [i.id for i in incidents])
    found = [
        Complaint(
            REFERRAL,
            r.id,
            r.submitted_at.astimezone(LONDON).date(),
            r.agency_id,
            frozenset(referral_keys[r.id]),
            r.submitted_at,
        )
        for r in referrals
    ]
    found += [
        Complaint(
            INCIDENT,
            i.id,
            i.occurred_on,
            i.origin_agency_id,
            frozenset(incident_keys[i.id] | _keys(address_key(i.location), kind="place")),
            i.occurred_at,
        )
        for i in incidents
    ]
    for c in made:
        person = person_keys(c.complainant, None, c.location)
        keys = _keys(*person, kind="person") | _keys(address_key(c.location), kind="place")
        found.append(Complaint(AGENCY, c.id, c.made_on, c.origin_agency_id, frozenset(keys)))
    # Within a day: referrals, then logged incidents, then complaints to agencies, each in
    # the order they were made (hub.casework.complaints.deduplicate keeps the first).
    return sorted(found, key=lambda c: (c.made_on, ORDER[c.source], c.moment, c.record_id))


def same_incident(a: Complaint, b: Complaint) -> bool:
    """The dedupe rule (see the module's docstring)."""
    return (
        a.made_on == b.made_on
        and a.agency_id != b.agency_id
        and a.agency_id is not None
        and b.agency_id is not None
        and bool(a.keys & b.keys)
    )


def deduplicate(complaints: list[Complaint]) -> list[Counted]:
    """Group the reports of one incident: each joins the first earlier group (that day) it is
    the same incident as. Greedy and in a fixed order, so the count never depends on chance."""
    groups: list[list[Complaint]] = []
    for complaint in complaints:
        home = next(
            (
                g
                for g in groups
                if g[0].made_on == complaint.made_on
                and all(x.agency_id != complaint.agency_id for x in g)
                and any(same_incident(x, complaint) for x in g)
            ),
            None,
        )
        if home is None:
            groups.append([complaint])
        else:
            home.append(complaint)
    return [Counted(g[0], tuple(g[1:])) for g in groups]


def count_complaints(case: Case, until: date) -> ComplaintCount:
    """The qualifying complaints in the hub's case review window ending on `until` (an
    application's day of receipt, or today)."""
    rule = scores.for_hub(case.hub_id).ruleset.case_review
    since = until - timedelta(days=rule.window_days)
    counted = deduplicate(complaints_of(case, since, until))
    return ComplaintCount(since, until, rule.window_days, rule.complaints, counted)


# -- recording a complaint made to an agency ---------------------------------------------------


def record_complaint(case: Case, data: dict, *, actor) -> AgencyComplaint:
    """A complaint made to the actor's agency about the case's ASB (a closed case's too: an
    application may ask how a closed case was handled). Refused, writing nothing, on bad
    input or for an agency whose agreements do not cover incident data."""
    data = AgencyComplaintSchema().load(data)
    earlier = submitted_before(AgencyComplaint, case.id, data["form_token"])
    if earlier is not None:
        return earlier  # the same form sent twice: one complaint
    check_category(actor, case, CATEGORY, field="form")
    today = utcnow().astimezone(LONDON).date()
    if data["made_on"] > today:
        raise ValidationError({"made_on": ["The date it was made must be today or earlier"]})
    restricted_to = restriction(case, data, actor, "the complaint")
    complaint = AgencyComplaint(
        case_id=case.id,
        made_on=data["made_on"],
        complainant=data["complainant"],
        location=data["location"],
        summary=data["summary"],
        category=CATEGORY,
        origin_agency_id=actor.agency_id,
        restricted=restricted_to is not None,
        recorded_by_id=actor.id,
        form_token=data["form_token"],
    )
    added = add_once(complaint)
    if added is not complaint:
        return added
    restrict(complaint, restricted_to)
    audit.record(
        "agency_complaint_recorded",
        user=actor,
        hub=case.hub_id,
        target=complaint,
        details={
            "case_id": case.id,
            "category": CATEGORY,
            "restricted_to": sorted(restricted_to) if restricted_to is not None else None,
        },
    )
    log(case, actor, "complaint_recorded", "Recorded a complaint made to an agency", complaint)
    prompt_case_review_offer(case, today)
    return complaint


# -- telling a victim who reports again that they may ask for a review -------------------------


def second_report(case: Case, today: date) -> Complaint | None:
    """The second qualifying complaint in the window ending today, if there is one."""
    counted = count_complaints(case, today).counted
    return counted[1].first if len(counted) > 1 else None


def prompt_case_review_offer(case: Case, today: date) -> bool:
    """When a victim has reported for the second time in the window, the case's SPoC is told
    once (hub.clock.scheduler.once) to tell them about the ASB case review: in the hub and by
    email, naming the case reference only. Nothing once a review is under way or the case is
    closed. Returns whether a prompt went out; the caller commits."""
    if case.spoc_user_id is None or case.stage == Stage.CLOSED.value:
        return False
    if db.session.execute(select(CaseReview.id).where(CaseReview.case_id == case.id)).first():
        return False
    second = second_report(case, today)
    if second is None or not once(f"{OFFER_JOB}:{case.id}:{second.made_on}", OFFER_JOB):
        return False
    spoc = db.session.get(User, case.spoc_user_id)
    line = (
        f"A victim on case {case.reference} has reported the ASB a second time within the "
        "hub's case review window: tell them they may ask for an ASB case review, and record "
        "that you did on the case's Victim tab."
    )
    db.session.add(Notification(user_id=spoc.id, case_id=case.id, text=line))
    link = mail.external_url("victims.case_tab", case_id=case.id)
    mail.queue_mail(
        spoc.email,
        f"Focus Hub: tell a victim on case {case.reference} about the ASB case review",
        f"{line}\n\nSign in to see it:\n{link}\n\nYou get this because you are the case's SPoC.",
    )
    audit.record(
        "case_review_offer_prompted",
        hub=case.hub_id,
        target=case,
        details={"kind": OFFER_JOB, "due_on": second.made_on.isoformat(), "recipients": [spoc.id]},
    )
    return True


def prompt_open_cases(today: date) -> int:
    """The scheduler's daily sweep, for reports that came in by routes that do not prompt at
    once (a referral joining a case). Returns how many prompts went out."""
    cases = db.session.execute(
        select(Case).where(Case.spoc_user_id.is_not(None), Case.stage != Stage.CLOSED.value)
    ).scalars()
    return sum(prompt_case_review_offer(c, today) for c in cases)
