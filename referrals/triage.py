"""Triage: a coordinator opens a case, adds the referral to a case, declines it or signposts it
to one agency. Every decision is recorded with who, when and why, and audited; the referrer
sees the decision and reason on their referral. Callers commit."""

from marshmallow import ValidationError
from sqlalchemy import case as sql_case
from sqlalchemy import select, update

from hub import audit
from hub import permissions as perm
from hub.casework import cases
from hub.core import signals
from hub.core.locking import StaleForm, flush_or_stale
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    Agency,
    Case,
    Incident,
    Referral,
    ReferralPerson,
    Stage,
)
from hub.models.referral import ReferralStatus, TriageDecision
from referrals import notices
from referrals.schemas import DecisionSchema

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
        raise StaleForm(STALE, field="decision")
    decision = data["decision"]
    reason = data["reason"].strip()
    band = data["band"] if data["band"] and data["band"] != referral.band else None
    band_reason = data["band_reason"].strip()
    if band and not band_reason:
        raise ValidationError(
            {"band_reason": [f"Enter why the case should be {band}, not {referral.band}"]}
        )
    now = utcnow()
    case = None
    if decision == TriageDecision.NEW_CASE:
        case = cases.open_case(referral, data["title"].strip(), actor=user, now=now)
    elif decision == TriageDecision.ADDED_TO_CASE:
        case = db.session.get(Case, data["case_id"])
        if case is None or case.hub_id != referral.hub_id or case.stage == Stage.CLOSED.value:
            raise ValidationError({"case_id": ["Choose an open case in this hub"]})
        cases.add_referral(case, referral, actor=user, now=now)
    elif decision == TriageDecision.SIGNPOSTED:
        agency = db.session.get(Agency, data["agency_id"])
        if agency is None or not perm.is_partner(agency.id, referral.hub_id):
            raise ValidationError({"agency_id": ["Choose a partner agency of this hub"]})
        referral.signposted_agency_id = agency.id
    before = {"status": referral.status}
    referral.status = ReferralStatus.TRIAGED.value
    referral.decision = decision
    referral.decision_reason = reason or None
    referral.decided_by_id = user.id
    referral.decided_at = now
    referral.updated_at = now
    if band:
        # Kept on the referral with the coordinator's reason; the case takes the band, and a
        # raised one is convened for within its own deadline (hub.casework.deadlines).
        referral.triage_band = band
        referral.triage_band_reason = band_reason
        cases.set_band_at_triage(case, band, referral=referral, actor=user, now=now)
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
    flush_or_stale(lambda: StaleForm(STALE, field="decision"))
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
                "band": referral.triage_band,
            },
        },
    )
    notices.referral_triaged(referral, case, actor=user)
    return referral
