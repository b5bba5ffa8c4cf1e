"""Triage: a coordinator opens a case, adds the referral to a case, declines it or signposts it
to one agency. Every decision is recorded with who, when and why, and audited; the referrer
sees the decision and reason on their referral. Callers commit."""

import re

from marshmallow import ValidationError
from sqlalchemy import case as sql_case
from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from hub import audit
from hub import permissions as perm
from hub.core import signals
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    Agency,
    Case,
    CaseMembership,
    HubAgency,
    Incident,
    MembershipRoute,
    Referral,
    ReferralPerson,
    Stage,
)
from hub.models.referral import ReferralStatus, TriageDecision
from referrals.schemas import DecisionSchema
from scoring import band_rank

STALE = (
    "Another coordinator has already triaged this referral. Reload the page to see their decision."
)


def triage_queue(user, hub_ids=None):
    """SQL: referrals awaiting triage in the hubs this user triages, most urgent band first,
    then earliest deadline."""
    hubs = perm.triage_hub_ids(user)
    if hub_ids is not None:
        hubs &= set(hub_ids)
    band_order = {"critical": 0, "high": 1, "medium": 2, "standard": 3}
    return (
        select(Referral)
        .where(Referral.hub_id.in_(hubs), Referral.status == ReferralStatus.SUBMITTED.value)
        .order_by(
            sql_case(band_order, value=Referral.band, else_=4),
            Referral.conference_due_by,
            Referral.id,
        )
    )


def hub_prefix(slug: str) -> str:
    """'copeland' -> 'CPL': the first letter and the next consonants (a short, stable tag)."""
    letters = re.sub(r"[^a-z]", "", slug.lower()) or "hub"
    consonants = [c for c in letters[1:] if c not in "aeiou"]
    return (letters[0] + "".join(consonants) + letters[1:] + "xx")[:3].upper()


def next_case_reference(hub) -> str:
    year = utcnow().astimezone(LONDON).year
    prefix = f"{hub_prefix(hub.slug)}-{year}-"
    count = db.session.execute(
        select(func.count()).select_from(Case).where(Case.reference.like(prefix + "%"))
    ).scalar_one()
    return f"{prefix}{count + 1:04d}"


def default_case_title(referral: Referral) -> str:
    """A title without names: the ASB category and the postcode district ("Personal ASB,
    CA28")."""
    category = (referral.asb_category or "").capitalize()
    district = (referral.postcode or "").split(" ")[0]
    return f"{category} ASB, {district}" if district else f"{category} ASB"


def suggested_cases(referral: Referral) -> list[Case]:
    """Board cards (reference, stage, band: nothing personal) of the open cases matching
    suggested, for coordinators."""
    ids = referral.suggested_case_ids or []
    if not ids:
        return []
    rows = db.session.execute(
        select(Case).where(Case.id.in_(ids), Case.hub_id == referral.hub_id)
    ).scalars()
    order = {case_id: i for i, case_id in enumerate(ids)}
    return sorted(rows, key=lambda c: order[c.id])


def decide(referral: Referral, form: dict, *, user) -> Referral:
    """Apply a coordinator's decision. Raises ValidationError (nothing written)."""
    data = DecisionSchema().load(form)
    if not perm.can_triage(user, referral.hub_id):
        raise PermissionError("not a coordinator of this hub")
    if referral.status != ReferralStatus.SUBMITTED.value or (
        data["version"] is not None and data["version"] != referral.version
    ):
        raise ValidationError({"decision": [STALE]})
    decision = data["decision"]
    reason = data["reason"].strip()
    now = utcnow()
    case = None
    if decision == TriageDecision.NEW_CASE:
        case = _open_case(referral, data["title"].strip(), user, now)
    elif decision == TriageDecision.ADDED_TO_CASE:
        case = db.session.get(Case, data["case_id"])
        if case is None or case.hub_id != referral.hub_id or case.stage == Stage.CLOSED.value:
            raise ValidationError({"case_id": ["Choose an open case in this hub"]})
        _add_to_case(referral, case, user, now)
    elif decision == TriageDecision.SIGNPOSTED:
        agency = db.session.get(Agency, data["agency_id"])
        in_hub = (
            agency is not None
            and db.session.execute(
                select(HubAgency.id).where(
                    HubAgency.hub_id == referral.hub_id, HubAgency.agency_id == agency.id
                )
            ).first()
        )
        if not in_hub:
            raise ValidationError({"agency_id": ["Choose a partner agency of this hub"]})
        referral.signposted_agency_id = agency.id
    before = {"status": referral.status}
    referral.status = ReferralStatus.TRIAGED.value
    referral.decision = decision
    referral.decision_reason = reason or None
    referral.decided_by_id = user.id
    referral.decided_at = now
    referral.updated_at = now
    if case is not None:
        referral.case_id = case.id
        db.session.execute(
            update(ReferralPerson)
            .where(ReferralPerson.referral_id == referral.id)
            .values(case_id=case.id)
        )
        db.session.execute(
            update(Incident).where(Incident.referral_id == referral.id).values(case_id=case.id)
        )
        signals.referral_joined_case.send(referral, case=case)
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ValidationError({"decision": [STALE]}) from None
    audit.record(
        "referral_triaged",
        user=user,
        hub=referral.hub_id,
        target=referral,
        details={
            "before": before,
            "after": {
                "status": referral.status,
                "decision": decision,
                "case": case.reference if case else None,
                "signposted_agency_id": referral.signposted_agency_id,
            },
        },
    )
    return referral


def _membership(case: Case, agency_id: int, route: str, reason: str, user, now) -> None:
    exists = db.session.execute(
        select(CaseMembership.id).where(
            CaseMembership.case_id == case.id,
            CaseMembership.agency_id == agency_id,
            CaseMembership.removed_at.is_(None),
        )
    ).first()
    if exists:
        return
    db.session.add(
        CaseMembership(
            case_id=case.id,
            agency_id=agency_id,
            route=route,
            reason=reason,
            added_by_id=user.id,
            added_at=now,
        )
    )
    audit.record(
        "case_member_added",
        user=user,
        hub=case.hub_id,
        target=case,
        details={"after": {"agency_id": agency_id, "route": route}},
    )


def _open_case(referral: Referral, title: str, user, now) -> Case:
    case = Case(
        hub_id=referral.hub_id,
        reference=next_case_reference(referral.hub),
        title=title,
        stage=Stage.AWAITING_CONFERENCE.value,
        band=referral.band,
        score=referral.score,
        score_explanation=referral.explanation or [],
        ruleset_version=referral.ruleset_version or "",
        conference_due_by=referral.conference_due_by,
        next_review_on=referral.next_review_on,
        opened_at=now,
        opened_by_id=user.id,
    )
    db.session.add(case)
    db.session.flush()
    audit.record(
        "case_opened",
        user=user,
        hub=case.hub_id,
        target=case,
        details={"after": {"reference": case.reference, "band": case.band, "from": referral.id}},
    )
    _membership(
        case,
        referral.agency_id,
        MembershipRoute.REFERRAL.value,
        f"Referring agency ({referral.reference})",
        user,
        now,
    )
    # The coordinator's agency runs the conference, so it joins the case it opened.
    _membership(
        case, user.agency_id, MembershipRoute.TRIAGE.value, "Coordinator who triaged", user, now
    )
    return case


def _add_to_case(referral: Referral, case: Case, user, now) -> None:
    _membership(
        case,
        referral.agency_id,
        MembershipRoute.REFERRAL.value,
        f"Referring agency ({referral.reference})",
        user,
        now,
    )
    # A more urgent referral raises the case's band and brings its conference forward.
    if referral.band and band_rank(referral.band) > band_rank(case.band):
        case.band = referral.band
        case.score = referral.score
        case.score_explanation = referral.explanation or []
    if referral.conference_due_by and (
        case.conference_due_by is None or referral.conference_due_by < case.conference_due_by
    ):
        case.conference_due_by = referral.conference_due_by
