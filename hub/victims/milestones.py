"""What the victim must hear about (the Victims' Code): their referral received, the case
opened, the lead agency agreed, each conference's outcome for them, each action or power
taken, an ASB case review's decision, and closure.

Milestones are read from the case as it moves, never copied: each has a stable key
("lead_agreed:4", "intervention:12") and a VictimUpdate row records that the victim was told
of it, when, how and by whom. Only what the SPoC may see becomes a milestone (interventions
and referrals pass the permission rule; conference outcomes need working-record access), so
nothing partner-only reaches a victim through this list. Callers commit."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from marshmallow import ValidationError
from sqlalchemy import select

from hub import audit
from hub import permissions as perm
from hub.casework import scores
from hub.casework.activity import log
from hub.core.locking import flush_or_refuse
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    Agency,
    Case,
    CaseReview,
    Conference,
    ConferenceDecision,
    Intervention,
    Referral,
    Victim,
    VictimUpdate,
)
from hub.models.victims import VICTIM_CATEGORY
from hub.victims.schemas import ToldSchema


@dataclass(frozen=True)
class Milestone:
    key: str
    label: str  # plain English, as a SPoC would say it to the victim
    at: datetime
    told: VictimUpdate | None = None


# What may reach a letter to the victim: a record no agency has restricted, of a category the
# victim may be told of. Police intelligence, health, housing and safeguarding records stay
# with the partners, whoever may read them.
LETTER_CATEGORIES = ("incident", "victim_contact")


def case_milestones(user, case: Case, *, for_letter: bool = False) -> list[Milestone]:
    """The milestones of the case so far that this user may tell a victim of, oldest first.
    For a letter, only those from unrestricted records of LETTER_CATEGORIES. A constant
    number of queries, however long the case has run."""
    found = []

    def letter_safe(query, model):
        if not for_letter:
            return query
        return query.where(model.restricted.is_(False), model.category.in_(LETTER_CATEGORIES))

    referrals = db.session.execute(
        letter_safe(perm.visible_records(user, Referral, case.hub), Referral)
        .where(Referral.case_id == case.id, Referral.submitted_at.is_not(None))
        .order_by(Referral.submitted_at)
    ).scalars()
    for referral in referrals:
        found.append(
            Milestone(
                f"referral:{referral.id}", "The hub received a referral", referral.submitted_at
            )
        )
    found.append(Milestone("case_opened", "The partners opened a case", case.opened_at))
    if case.lead_agency_id and case.lead_agreed_at:
        lead = db.session.get(Agency, case.lead_agency_id)
        found.append(
            Milestone(
                f"lead_agreed:{case.lead_agency_id}",
                f"{lead.name} agreed to lead the case",
                case.lead_agreed_at,
            )
        )
    if perm.can_read_working_records(user, case):
        held = db.session.execute(
            select(Conference.id, Conference.starts_at)
            .where(
                Conference.id.in_(
                    select(ConferenceDecision.conference_id).where(
                        ConferenceDecision.case_id == case.id
                    )
                )
            )
            .order_by(Conference.starts_at)
        ).all()
        for conference_id, starts_at in held:
            found.append(
                Milestone(
                    f"conference:{conference_id}",
                    "A case conference decided what the partners will do next",
                    starts_at,
                )
            )
    interventions = db.session.execute(
        letter_safe(perm.visible_records(user, Intervention, case.hub), Intervention)
        .where(Intervention.case_id == case.id)
        .order_by(Intervention.recorded_at)
    ).scalars()
    for item in interventions:
        found.append(
            Milestone(f"intervention:{item.id}", f"{item.type_label} used", item.recorded_at)
        )
    reviews = db.session.execute(
        select(CaseReview)
        .where(CaseReview.case_id == case.id, CaseReview.decided_at.is_not(None))
        .order_by(CaseReview.decided_at)
    ).scalars()
    for review in reviews:
        met = "met" if review.threshold_met else "not met"
        found.append(
            Milestone(
                f"case_review:{review.id}",
                f"ASB case review decided: the threshold was {met}",
                review.decided_at,
            )
        )
    if case.closed_at:
        found.append(Milestone("case_closed", "The partners closed the case", case.closed_at))
    if not for_letter:
        offer = case_review_offer(case)
        if offer is not None:
            found.append(offer)
    return sorted(found, key=lambda m: m.at)


def case_review_offer(case: Case) -> Milestone | None:
    """A victim who has reported a second time within the hub's case review window must be
    told they may ask for an ASB case review (the 2025 statutory guidance): a prompt for the
    SPoC, recorded as told like any milestone. None once a review is under way, or before
    the second report. Counts referrals (never reads their words): one query."""
    window = scores.hub_ruleset(case.hub_id).case_review.window_days
    since = utcnow() - timedelta(days=window)
    second = db.session.execute(
        select(Referral.submitted_at)
        .where(Referral.case_id == case.id, Referral.submitted_at >= since)
        .order_by(Referral.submitted_at)
        .offset(1)
        .limit(1)
    ).scalar_one_or_none()
    if second is None:
        return None
    under_way = db.session.execute(
        select(CaseReview.id).where(CaseReview.case_id == case.id).limit(1)
    ).first()
    if under_way:
        return None
    return Milestone(
        "case_review_offer",
        "They have reported more than once: tell them they may ask for an ASB case review",
        second,
    )


def for_victims(user, case: Case, victims: list[Victim]) -> dict[int, list[Milestone]]:
    """Each victim's milestones with whether they were told (two more queries)."""
    milestones = case_milestones(user, case)
    ids = [v.id for v in victims]
    told: dict[tuple[int, str], VictimUpdate] = {}
    if ids:
        rows = db.session.execute(
            perm.victim_records(user, VictimUpdate, case.hub).where(VictimUpdate.victim_id.in_(ids))
        ).scalars()
        told = {(u.victim_id, u.milestone): u for u in rows}
    return {
        v.id: [Milestone(m.key, m.label, m.at, told.get((v.id, m.key))) for m in milestones]
        for v in victims
    }


def mark_told(case: Case, victim: Victim, data: dict, *, actor) -> VictimUpdate:
    """One click: the victim was told of this milestone, and how. Told twice is told once."""
    data = ToldSchema().load(data)
    known = {m.key for m in case_milestones(actor, case)}
    if data["milestone"] not in known:
        raise ValidationError({"milestone": ["Choose an update from the list"]})
    existing = db.session.execute(
        select(VictimUpdate).where(
            VictimUpdate.victim_id == victim.id, VictimUpdate.milestone == data["milestone"]
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    update = VictimUpdate(
        case_id=case.id,
        victim_id=victim.id,
        category=VICTIM_CATEGORY,
        origin_agency_id=actor.agency_id,
        milestone=data["milestone"],
        channel=data["channel"],
        told_at=utcnow(),
        told_by_id=actor.id,
    )
    db.session.add(update)
    flush_or_refuse({"milestone": ["Someone has just recorded telling the victim of this"]})
    audit.record(
        "victim_told",
        user=actor,
        hub=case.hub_id,
        target=update,
        details={
            "case_id": case.id,
            "record_id": victim.id,
            "item": update.milestone,
            "kind": update.channel,
        },
    )
    log(case, actor, "victim_told", "Told a victim of a step in their case", record=update)
    return update
