"""Referral intake: validate, match, score and store, or keep a draft. Plain functions,
callable without a request; callers commit. Nothing is written when validation fails.

Statements per submission are constant (independent of the history's size): the hub and its
settings, the idempotency check, two matching queries, three inserts and the audit entry.
"""

import hashlib
import json
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from hub import audit
from hub import permissions as perm
from hub.casework import scores
from hub.core import signals
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import Hub, HubScoringSettings, Incident, Referral, ReferralPerson
from hub.models.referral import ReferralStatus
from hub.models.sharing import DataCategory
from referrals import classification
from referrals.matching import MatchKeys, find_matches
from referrals.normalise import address_key, name_key
from referrals.schemas import ReferralSchema
from scoring import RepeatCounts, ScoreInput
from scoring import score_referral as engine_score

UNKNOWN_HUB = "Unknown hub, or your agency does not refer to it"
_SCHEMA = ReferralSchema()  # built once: loading is stateless, building is not cheap


def hub_and_settings(slug: str) -> tuple[Hub | None, HubScoringSettings | None]:
    row = db.session.execute(
        select(Hub, HubScoringSettings)
        .outerjoin(HubScoringSettings, HubScoringSettings.hub_id == Hub.id)
        .where(Hub.slug == slug)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def _existing(user, idempotency_key: str | None, form_token: str | None) -> Referral | None:
    if idempotency_key:
        return db.session.execute(
            select(Referral).where(
                Referral.user_id == user.id, Referral.idempotency_key == idempotency_key
            )
        ).scalar_one_or_none()
    if form_token:
        return db.session.execute(
            select(Referral).where(Referral.form_token == form_token)
        ).scalar_one_or_none()
    return None


KEY_REUSED = (
    "This Idempotency-Key was already used for a different referral. Use a new key for a "
    "new referral."
)


def payload_digest(payload: dict) -> str:
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()


def _replay(earlier: Referral, idempotency_key: str | None, digest: str) -> Referral:
    if idempotency_key and earlier.payload_hash not in (None, digest):
        raise ValidationError({"Idempotency-Key": [KEY_REUSED]})
    return earlier


def victim_vulnerabilities(people) -> tuple[str, ...]:
    """What is recorded of the victims' vulnerabilities, which the score counts as answers."""
    return tuple(
        sorted({v for p in people if p["role"] == "victim" for v in p.get("vulnerabilities") or ()})
    )


def submit_referral(
    payload: dict,
    *,
    user,
    idempotency_key: str | None = None,
    form_token: str | None = None,
    draft: Referral | None = None,
    now: datetime | None = None,
) -> tuple[Referral, bool]:
    """Validate, match, score and store a referral. Returns (referral, created): a repeat of
    an earlier submission (same idempotency key, or same one-time form token) returns the
    first referral and False. Raises ValidationError (nothing written) on bad input."""
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 100:
        raise ValidationError({"Idempotency-Key": ["Send a key of 1 to 100 characters"]})
    data = _SCHEMA.load(payload)
    hub, settings = hub_and_settings(data["hub"])
    if hub is None or not perm.can_refer(user, hub):
        raise ValidationError({"hub": [UNKNOWN_HUB]})
    digest = payload_digest(payload)
    earlier = _existing(user, idempotency_key, form_token)
    if earlier is not None:
        return _replay(earlier, idempotency_key, digest), False

    classification.validate(data, classification.for_settings(settings))
    now = now or utcnow()
    today = now.astimezone(LONDON).date()
    ruleset = scores.ruleset_for(settings)
    keys = MatchKeys.from_referral(data)
    matches = find_matches(hub.id, keys, today, ruleset.case_review.window_days)
    risk = data["risk"]
    weekly = scores.weekly_slot(settings, hub.id)
    result = engine_score(
        ScoreInput(
            risk={k: v for k, v in risk.items() if k in ruleset.answer_keys},
            category=data["category"],
            submitted_at=now,
            repeat=RepeatCounts(**matches.repeat),
            conference=weekly,
            complaints_in_window=matches.victim_in_review_window + 1,
            hate_incidents_in_window=matches.victim_hate_in_review_window
            + (1 if risk.get("hate_motivated") else 0),
            vulnerabilities=victim_vulnerabilities(data["people"]),
            incident_count=data["incident_count"],
            first_incident_on=data["first_incident_on"],
        ),
        ruleset,
    )
    location = data["location"]
    referral = draft or Referral(hub_id=hub.id, agency_id=user.agency_id, user_id=user.id)
    referral.hub_id = hub.id
    fields = dict(
        status=ReferralStatus.SUBMITTED.value,
        draft=None,
        category=DataCategory.INCIDENT.value,
        origin_agency_id=user.agency_id,
        about=data["about"],
        asb_category=data["category"],
        summary=data["summary"].strip(),
        description=data["description"].strip(),
        first_incident_on=data["first_incident_on"],
        incident_count=data["incident_count"],
        address=location["address"].strip(),
        postcode=location["postcode"],
        lat=location["lat"],
        lon=location["lon"],
        consent_given=data["consent"]["given"],
        consent_reason=None
        if data["consent"]["given"]
        else (data["consent"].get("reason") or "").strip() or None,
        risk=risk,
        risk_unknown=data["risk_unknown"],
        incident_category=data["incident_category"],
        asb_type=data["asb_type"],
        hate_strands=sorted(set(data["hate_strands"])),
        crime_reference=(data["crime_reference"] or "").strip() or None,
        score=result.score,
        band=result.band,
        explanation=[c.to_dict() for c in result.explanation],
        overridden_by=result.overridden_by,
        conference_due_by=result.conference_due_by,
        review_every_days=result.review_every_days,
        next_review_on=result.next_review_due,
        case_review_threshold_met=result.case_review_threshold_met,
        case_review_reason=result.case_review_reason,
        # police.uk context beside the hub's own counts, for the place history; the score
        # uses only the hub's own (RepeatCounts above).
        repeat=matches.repeat | {"police_uk": matches.context},
        suggested_case_ids=matches.open_case_ids,
        ruleset_version=result.ruleset_version,
        submitted_at=now,
        updated_at=now,
        idempotency_key=idempotency_key,
        payload_hash=digest,
        form_token=form_token,
    )
    for name, value in fields.items():
        setattr(referral, name, value)
    people = [
        {
            "position": i,
            "category": DataCategory.IDENTITY.value,
            "origin_agency_id": user.agency_id,
            "restricted": False,
            "role": p["role"],
            "name": p["name"].strip(),
            "name_key": name_key(p["name"]) or "",
            "is_group": p["is_group"],
            "date_of_birth": p["date_of_birth"],
            "age_band": p["age_band"],
            "address": (p.get("address") or "").strip() or None,
            "address_key": address_key(p.get("address")),
            "phone": p["phone"],
            "email": p["email"],
            "vulnerabilities": p["vulnerabilities"],
        }
        for i, p in enumerate(data["people"])
    ]
    try:
        db.session.add(referral)
        db.session.flush()
    except IntegrityError:
        # A concurrent retry with the same key or token won the race: nothing but reads has
        # happened in this transaction, so roll it back and return the winner's referral.
        db.session.rollback()
        earlier = _existing(user, idempotency_key, form_token)
        if earlier is None:
            raise
        return _replay(earlier, idempotency_key, digest), False
    referral.reference = f"REF-{now.year}-{referral.id:06d}"
    if people:  # one multi-row INSERT, however many people
        db.session.execute(
            insert(ReferralPerson.__table__).values(
                [p | {"referral_id": referral.id} for p in people]
            )
        )
        db.session.expire(referral, ["people"])
    db.session.execute(
        insert(Incident.__table__).values(
            keys.incident_rows(
                hub_id=hub.id,
                occurred_on=today,
                hate=bool(risk.get("hate_motivated")),
                referral_id=referral.id,
            )
        )
    )
    audit.record(
        "referral_submitted",
        user=user,
        hub=hub,
        target=referral,
        details={
            "after": {
                "reference": referral.reference,
                "score": result.score,
                "band": result.band,
                "ruleset_version": result.ruleset_version,
                "people": len(data["people"]),
                "repeat": matches.repeat,
                "suggested_cases": len(matches.open_case_ids),
            }
        },
    )
    # A deadline before the weekly conference that would take it: the conferences area
    # proposes an urgent one now, in this transaction, and tells the coordinators.
    signals.referral_submitted.send(referral, now=now, weekly=weekly)
    return referral, True


# -- drafts ------------------------------------------------------------------------------------

MAX_DRAFT_CHARS = 200_000


def save_draft(user, hub: Hub, values: dict, draft: Referral | None = None) -> Referral:
    """Keep what the author has entered so far (API-shaped, possibly incomplete)."""
    if not perm.can_refer(user, hub):
        raise ValidationError({"hub": [UNKNOWN_HUB]})
    if len(repr(values)) > MAX_DRAFT_CHARS:
        raise ValidationError({"form": ["This draft is too large to save"]})
    now = utcnow()
    if draft is None:
        draft = Referral(
            hub_id=hub.id,
            agency_id=user.agency_id,
            user_id=user.id,
            origin_agency_id=user.agency_id,
            category=DataCategory.INCIDENT.value,
            status=ReferralStatus.DRAFT.value,
            draft={},
            created_at=now,
        )
        db.session.add(draft)
        action = "referral_draft_created"
    else:
        action = "referral_draft_saved"
    merged = dict(draft.draft or {})
    merged.update(values)
    merged["hub"] = hub.slug
    draft.draft = merged
    draft.updated_at = now
    db.session.flush()
    audit.record(action, user=user, hub=hub, target=draft, details={"fields": sorted(values)})
    return draft


def delete_draft(user, draft: Referral) -> None:
    audit.record("referral_draft_deleted", user=user, hub=draft.hub_id, target=draft)
    db.session.delete(draft)
    db.session.flush()
