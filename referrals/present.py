"""What a user is shown of a referral. Matching never discloses to a referrer which cases or
people matched: they get a yes/no and the counts; coordinators get the board cards."""

from hub import audit
from hub import permissions as perm
from hub.core.timeutil import LONDON
from hub.models import Referral
from referrals.triage import suggested_cases

OPEN_CASE_MESSAGE = "An open case may concern this; the hub's coordinator has been told."


def local_iso(value):
    return value.astimezone(LONDON).isoformat() if value else None


def summary_dict(referral: Referral, user) -> dict:
    """Fields for lists: the referral's status, score and outcome. Another agency's referral
    on a case (seen under the case's rule) lists without its words: they are read, audited and
    registered as a disclosure, on its own page."""
    words = referral.agency_id == user.agency_id or referral.case_id is None
    return {
        "id": referral.id,
        "reference": referral.reference,
        "hub": referral.hub.slug,
        "status": referral.status,
        "about": referral.about,
        "category": referral.asb_category,
        "summary": referral.summary if words else None,
        "score": referral.score,
        "band": referral.band,
        "conference_due_by": local_iso(referral.conference_due_by),
        "submitted_at": local_iso(referral.submitted_at),
        "decision": referral.decision,
        "decision_reason": referral.decision_reason if words else None,
        "decided_at": local_iso(referral.decided_at),
    }


def outcome_dict(referral: Referral, user) -> dict:
    """The score and matching outcome (the POST response)."""
    open_case = bool(referral.suggested_case_ids)
    data = summary_dict(referral, user) | {
        "ruleset_version": referral.ruleset_version,
        "explanation": referral.explanation or [],
        "overridden_by": referral.overridden_by,
        "case_review_threshold_met": referral.case_review_threshold_met,
        "case_review_reason": referral.case_review_reason,
        "review_every_days": referral.review_every_days,
        "next_review_on": referral.next_review_on.isoformat() if referral.next_review_on else None,
        "repeat": referral.repeat or {},
        "matches": {
            "open_case_exists": open_case,
            "message": OPEN_CASE_MESSAGE if open_case else None,
        },
    }
    if referral.signposted_agency_id:
        data["signposted_to"] = referral.signposted_agency.name
    if referral.case_id and perm.can_triage(user, referral.hub_id):
        data["case_reference"] = referral.case.reference
    elif referral.case_id and referral.agency_id == user.agency_id:
        data["case_reference"] = referral.case.reference  # the referrer's agency is a member
    if perm.can_triage(user, referral.hub_id):
        data["suggested_cases"] = [
            {"id": c.id, "reference": c.reference, "stage": c.stage, "band": c.band}
            for c in suggested_cases(referral)
        ]
    return data


def full_dict(referral: Referral, user) -> dict:
    """Everything, and the people the user may see: personal data, so the read is audited."""
    people = perm.referral_people(user, referral)
    data = outcome_dict(referral, user) | {
        "description": referral.description,
        "first_incident_on": referral.first_incident_on.isoformat()
        if referral.first_incident_on
        else None,
        "incident_count": referral.incident_count,
        "location": {
            "address": referral.address,
            "postcode": referral.postcode,
            "lat": referral.lat,
            "lon": referral.lon,
        },
        "consent": {"given": referral.consent_given, "reason": referral.consent_reason},
        "risk": referral.risk or {},
        "risk_unknown": referral.risk_unknown or [],
        "incident_category": referral.incident_category,
        "asb_type": referral.asb_type,
        "hate_strands": referral.hate_strands or [],
        "crime_reference": referral.crime_reference,
        "people": [
            {
                "role": p.role,
                "name": p.name,
                "is_group": p.is_group,
                "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
                "age_band": p.age_band,
                "address": p.address,
                "phone": p.phone,
                "email": p.email,
                "vulnerabilities": p.vulnerabilities or [],
            }
            for p in people
        ],
    }
    audit_read(referral, user, people)
    return data


TRIAGE_BASIS = "s115 Crime and Disorder Act 1998: referral to the hub for triage"


def audit_list(user, referrals, *, what: str) -> None:
    """Audit a list of referrals that shows their words (a summary): one entry per hub,
    naming each referral. Another agency's on a case shows none (summary_dict). Each
    referral may be a row with its id, hub_id, agency_id and case_id alone."""
    agency_id = user.agency_id  # once: `user` is often current_user, a proxy
    by_hub: dict[int, list[Referral]] = {}
    for referral in referrals:
        if referral.agency_id == agency_id or referral.case_id is None:
            by_hub.setdefault(referral.hub_id, []).append(referral)
    for hub_id, shown in by_hub.items():
        own = all(r.agency_id == agency_id for r in shown)
        perm.list_read(
            user,
            hub_id,
            what=what,
            records={"referral": [r.id for r in shown]},
            legal_basis=None if own else TRIAGE_BASIS,
        )


def audit_read(referral: Referral, user, people: list) -> None:
    """Audit a read of a referral and the people shown with it. Another agency's referral on
    a case is read under the case's agreement: audited and registered as a disclosure."""
    if referral.case_id is not None and referral.agency_id != user.agency_id:
        perm.record_read(user, referral.case, [referral, *people], what="referral")
        return
    audit.record(
        "referral_read",
        user=user,
        hub=referral.hub_id,
        target=referral,
        legal_basis=None if referral.agency_id == user.agency_id else TRIAGE_BASIS,
        details={"what": "referral", "people": len(people)},
    )
