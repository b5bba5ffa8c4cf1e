"""Right of access: everything the hub holds about one person, for its data protection officer.

Found by the same normalised keys that repeat matching uses (name, with date of birth or
postcode to narrow), so "Bill Smith" finds "William Smith". The export is a JSON document the
officer reviews (it may hold other people's data, to be redacted) before anything is released.
Every search and every export is audited.
"""

from datetime import date

from sqlalchemy import select

from hub import audit
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import Agency, Case, CaseNote, Hub
from hub.models.casework import Intervention, RiskAssessment
from hub.models.referral import Referral, ReferralPerson, ReferralStatus
from referrals.normalise import name_key, normalise_postcode

LEGAL_BASIS = "UK GDPR Article 15 (right of access)"


def find_people(
    hub: Hub, name: str, date_of_birth: date | None = None, postcode: str | None = None, *, actor
) -> list[ReferralPerson]:
    """Person records in this hub's referrals that match, newest first."""
    key = name_key(name)
    if not key:
        return []
    query = (
        select(ReferralPerson)
        .join(Referral, Referral.id == ReferralPerson.referral_id)
        .where(
            Referral.hub_id == hub.id,
            Referral.status != ReferralStatus.DRAFT.value,
            ReferralPerson.name_key == key,
        )
        .order_by(Referral.created_at.desc())
    )
    if date_of_birth is not None:
        query = query.where(ReferralPerson.date_of_birth == date_of_birth)
    people = list(db.session.execute(query).scalars())
    wanted = normalise_postcode(postcode) if postcode else None
    if wanted:
        people = [
            p
            for p in people
            if wanted in (p.address or "").upper().replace(" ", "")
            or wanted == (p.referral.postcode or "").replace(" ", "")
        ]
    audit.record(
        "subject_access_search",
        user=actor,
        hub=hub,
        legal_basis=LEGAL_BASIS,
        details={
            "search_digest": audit.digest(key, date_of_birth, postcode),
            "found": [p.id for p in people],
        },
    )
    return people


def _iso(value) -> str | None:
    return None if value is None else value.isoformat()


def export_person(hub: Hub, person_ids: list[int], *, actor) -> dict:
    """Everything held about the chosen person records: their details, the referrals they
    appear in, and the cases those referrals became (with notes, assessments, interventions)."""
    people = list(
        db.session.execute(
            select(ReferralPerson)
            .join(Referral, Referral.id == ReferralPerson.referral_id)
            .where(ReferralPerson.id.in_(person_ids), Referral.hub_id == hub.id)
        ).scalars()
    )
    referrals = {p.referral.id: p.referral for p in people}
    case_ids = {r.case_id for r in referrals.values() if r.case_id}
    cases = list(db.session.execute(select(Case).where(Case.id.in_(case_ids))).scalars())
    notes = db.session.execute(select(CaseNote).where(CaseNote.case_id.in_(case_ids))).scalars()
    assessments = db.session.execute(
        select(RiskAssessment).where(RiskAssessment.case_id.in_(case_ids))
    ).scalars()
    interventions = db.session.execute(
        select(Intervention).where(Intervention.case_id.in_(case_ids))
    ).scalars()
    notes, assessments, interventions = list(notes), list(assessments), list(interventions)
    agency_ids = {p.referral.agency_id for p in people} | {
        r.origin_agency_id for r in (*notes, *assessments, *interventions)
    }
    categories = sorted(
        {"identity"}
        | ({"incident"} if referrals else set())
        | {n.category for n in notes}
        | {r.category for r in (*assessments, *interventions)}
    )
    entry = audit.record(
        "subject_access_export",
        user=actor,
        hub=hub,
        legal_basis=LEGAL_BASIS,
        details={
            "person_records": [p.id for p in people],
            "referrals": len(referrals),
            "cases": sorted(case_ids),
            "agency_ids": sorted(agency_ids),
            "categories": categories,
        },
    )
    audit.write_pending()  # the document names its entry, so it needs its id now
    document = {
        # What the document is and holds, first, so whoever opens it knows before reading on.
        "header": {
            "title": "Right of access: records held about one person",
            "legal_basis": LEGAL_BASIS,
            "hub": hub.name,
            "prepared_at": utcnow().isoformat(),
            "prepared_by": actor.name,
            "audit_entry": entry.id,
            "contains": {
                "person_records": len(people),
                "referrals": len(referrals),
                "cases": len(cases),
                "case_notes": len(notes),
                "risk_assessments": len(assessments),
                "interventions": len(interventions),
                "data_categories": categories,
                "recorded_by_agencies": sorted(
                    db.session.execute(
                        select(Agency.name).where(Agency.id.in_(agency_ids))
                    ).scalars()
                ),
            },
            "notice": "Prepared for a right of access request. It may contain other people's "
            "personal data and other agencies' records: review and redact before anything is "
            "released. Its export is recorded in the hub's audit log as a disclosure.",
        },
        "person_records": [
            {
                "id": p.id,
                "role": p.role,
                "name": p.name,
                "date_of_birth": _iso(p.date_of_birth),
                "age_band": p.age_band,
                "address": p.address,
                "phone": p.phone,
                "email": p.email,
                "vulnerabilities": p.vulnerabilities,
                "referral": p.referral.reference,
                "recorded_by_agency": p.referral.agency.name,
            }
            for p in people
        ],
        "referrals": [
            {
                "reference": r.reference,
                "submitted_at": _iso(r.submitted_at),
                "referring_agency": r.agency.name,
                "summary": r.summary,
                "description": r.description,
                "address": r.address,
                "postcode": r.postcode,
                "consent_given": r.consent_given,
                "consent_reason": r.consent_reason,
                "risk": r.risk,
                "score": r.score,
                "band": r.band,
                "decision": r.decision,
                "decision_reason": r.decision_reason,
            }
            for r in referrals.values()
        ],
        "cases": [
            {
                "reference": c.reference,
                "title": c.title,
                "stage": c.stage,
                "band": c.band,
                "opened_at": _iso(c.opened_at),
                "closed_at": _iso(c.closed_at),
            }
            for c in cases
        ],
        "case_notes": [
            {"case_id": n.case_id, "at": _iso(n.created_at), "category": n.category, "body": n.body}
            for n in notes
        ],
        "risk_assessments": [
            {
                "case_id": a.case_id,
                "kind": a.kind,
                "assessed_at": _iso(a.assessed_at),
                "answers": a.answers,
                "band": a.band,
            }
            for a in assessments
        ],
        "interventions": [
            {
                "case_id": i.case_id,
                "type": i.type,
                "subject": i.subject,
                "conditions": i.conditions,
                "served_on": _iso(i.served_on),
                "outcome": i.outcome,
            }
            for i in interventions
        ],
    }
    return document
