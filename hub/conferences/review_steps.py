"""The steps of an ASB case review after its application: acknowledging it, the victim invited
to give their own account (and whether they did), the independent chair, the letters to the
applicant (each sent recorded with its day and how: hub.conferences.review_letters),
each recommendation written into the case as an action (hub.casework.actions), and an appeal
lodged within the hub's window and heard by someone other than the review's chair. The hub's
timescales are kept here too (hub.conferences.timescales reads them).

Each step is refused with a field message, writing nothing, when it is out of order, dated in
the future or before the step it follows, or sent from a stale page. Audit entries name the
step and the fields changed, never their values. Callers commit."""

from collections.abc import Mapping

from marshmallow import ValidationError
from sqlalchemy import func, select

from hub import audit
from hub.casework import actions
from hub.conferences.case_reviews import STALE, load_step, not_ahead
from hub.conferences.schemas import (
    AcknowledgeSchema,
    AppealDecisionSchema,
    AppealLetterSchema,
    AppealSchema,
    ChairSchema,
    OutcomeLetterSchema,
    TimescalesSchema,
    VictimAccountSchema,
    VictimInviteSchema,
)
from hub.conferences.timescales import appeal_by, decided_on, settings_for
from hub.core.locking import StaleForm, flush_or_stale
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    DEFAULT_TIMESCALES,
    Agency,
    CaseAction,
    CaseReview,
    CaseReviewRecommendation,
    CaseReviewSettings,
    CaseReviewStatus,
    Hub,
)
from referrals.normalise import name_key

DONE = {
    CaseReviewStatus.REVIEW_DUE.value,
    CaseReviewStatus.COMPLETED.value,
}


def _saved(review: CaseReview, actor, step: str, fields: list[str]) -> None:
    flush_or_stale(lambda: StaleForm(STALE))
    audit.record(
        "case_review_step",
        user=actor,
        hub=review.hub,
        target=review,
        details={"item": step, "fields": fields, "status": review.status},
    )


def acknowledge(review: CaseReview, form: Mapping, actor) -> None:
    if review.source != "application":
        raise ValidationError({"form": ["Only an application is acknowledged"]})
    # A form opened before someone else's save is told so first (409), whatever that save was.
    data = load_step(AcknowledgeSchema(), form, review)
    if review.acknowledged_on is not None:
        raise ValidationError({"form": [f"{review.reference} has already been acknowledged"]})
    not_ahead(data["acknowledged_on"], "acknowledged_on", review.received_on, "it was received")
    review.acknowledged_on = data["acknowledged_on"]
    review.acknowledged_by = data["acknowledged_by"]
    _saved(review, actor, "acknowledge", ["acknowledged_on", "acknowledged_by"])


def case_handlers(review: CaseReview) -> list[Agency]:
    """The agencies a chair must not come from: the case's lead agency, and the agency that
    has handled the case most (owned the most of its actions)."""
    case = review.case
    ids = {case.lead_agency_id} if case and case.lead_agency_id else set()
    if case is not None:
        counts = db.session.execute(
            select(CaseAction.agency_id, func.count())
            .where(CaseAction.case_id == case.id)
            .group_by(CaseAction.agency_id)
        ).all()
        if counts:
            most = max(n for _, n in counts)
            ids |= {agency_id for agency_id, n in counts if n == most}
    if not ids:
        return []
    return list(
        db.session.execute(select(Agency).where(Agency.id.in_(ids)).order_by(Agency.name)).scalars()
    )


def record_chair(review: CaseReview, form: Mapping, actor) -> None:
    """The independent chair: a name and role, and their agency unless from outside the
    partnership. Not from an agency that handled the case (case_handlers)."""
    if review.status != CaseReviewStatus.REVIEW_DUE.value:
        raise ValidationError({"form": [f"{review.reference} is not awaiting its review"]})
    data = load_step(ChairSchema(), form, review)
    agency_id = data["chair_agency_id"]
    if agency_id is not None:
        agency = db.session.get(Agency, agency_id)
        if agency is None or agency not in review.hub.agencies:
            raise ValidationError({"chair_agency_id": ["Choose a partner agency of the hub"]})
        if agency in case_handlers(review):
            raise ValidationError(
                {
                    "chair_agency_id": [
                        f"The chair must be independent of the case: {agency.name} has "
                        "handled it. Choose someone from another agency"
                    ]
                }
            )
    review.chair_name = data["chair_name"]
    review.chair_role = data["chair_role"]
    review.chair_agency_id = agency_id
    _saved(review, actor, "chair", ["chair_name", "chair_role", "chair_agency_id"])


def invite_victim(review: CaseReview, form: Mapping, actor) -> None:
    if review.status not in DONE:
        raise ValidationError({"form": [f"{review.reference} is not awaiting its review"]})
    data = load_step(VictimInviteSchema(), form, review)
    not_ahead(data["victim_invited_on"], "victim_invited_on", review.received_on, "receipt")
    review.victim_invited_on = data["victim_invited_on"]
    _saved(review, actor, "victim_invited", ["victim_invited_on"])


def record_victim_account(review: CaseReview, form: Mapping, actor) -> None:
    if review.victim_invited_on is None:
        raise ValidationError({"form": ["Record that the victim was invited first"]})
    data = load_step(VictimAccountSchema(), form, review)
    not_ahead(
        data["victim_account_on"], "victim_account_on", review.victim_invited_on, "the invitation"
    )
    review.victim_account = data["victim_account"]
    review.victim_account_on = data["victim_account_on"]
    _saved(review, actor, "victim_account", ["victim_account", "victim_account_on"])


LETTER_OUTCOMES = {CaseReviewStatus.COMPLETED.value, CaseReviewStatus.THRESHOLD_NOT_MET.value}


def send_outcome_letter(review: CaseReview, form: Mapping, actor) -> None:
    """The outcome letter sent: the review's outcome, or why the threshold was not met. Either
    way the appeal window counts from it (timescales.appeal_by)."""
    if review.status not in LETTER_OUTCOMES or review.outcome_sent_on:
        raise ValidationError({"form": [f"{review.reference} has no outcome letter to send"]})
    data = load_step(OutcomeLetterSchema(), form, review)
    if review.held_on is not None:
        not_ahead(data["outcome_sent_on"], "outcome_sent_on", review.held_on, "the review meeting")
    else:
        not_ahead(data["outcome_sent_on"], "outcome_sent_on", decided_on(review), "the decision")
    review.outcome_sent_on = data["outcome_sent_on"]
    review.outcome_sent_by = data["outcome_sent_by"]
    _saved(review, actor, "outcome_letter", ["outcome_sent_on", "outcome_sent_by"])


def add_recommendation(review: CaseReview, form: Mapping, actor) -> CaseAction:
    """A recommendation, written into the case as an action for a member agency, through the
    casework actions service (which checks the agency, the owner and the actor's access)."""
    if review.status not in DONE or review.case is None:
        raise ValidationError({"form": [f"{review.reference} is not awaiting its review"]})
    fields = ("description", "agency_id", "owner_id", "due_on", "form_token")
    answers = {k: (form.get(k) or "").strip() for k in fields}
    data = {k: v for k, v in answers.items() if v}
    action = actions.add_action(review.case, data, actor=actor)
    linked = db.session.execute(
        select(CaseReviewRecommendation).where(CaseReviewRecommendation.action_id == action.id)
    ).scalar_one_or_none()
    if linked is None:
        db.session.add(CaseReviewRecommendation(case_review_id=review.id, action_id=action.id))
        db.session.flush()
        audit.record(
            "case_review_recommendation_added",
            user=actor,
            hub=review.hub,
            target=review,
            details={"action_id": action.id, "case_id": review.case_id},
        )
    return action


def lodge_appeal(review: CaseReview, form: Mapping, actor) -> None:
    """An appeal against the outcome, lodged within the hub's window of the outcome letter."""
    if review.outcome_sent_on is None:
        raise ValidationError({"form": ["An appeal follows the outcome letter: record it first"]})
    if review.appeal_lodged_on is not None:
        raise ValidationError({"form": [f"{review.reference} already has an appeal"]})
    data = load_step(AppealSchema(), form, review)
    lodged = data["appeal_lodged_on"]
    not_ahead(lodged, "appeal_lodged_on", review.outcome_sent_on, "the outcome letter")
    rules = settings_for(review.hub_id)
    last = appeal_by(review, rules)
    if lodged > last:
        raise ValidationError(
            {
                "appeal_lodged_on": [
                    f"An appeal must be lodged within {rules.appeal_days} working days of the "
                    f"outcome letter, by {last:%-d %B %Y}"
                ]
            }
        )
    review.appeal_lodged_on = lodged
    _saved(review, actor, "appeal_lodged", ["appeal_lodged_on"])


def decide_appeal(review: CaseReview, form: Mapping, actor) -> None:
    """The appeal heard, by someone other than the review's chair, and its result."""
    if review.appeal_lodged_on is None or review.appeal_decided_on is not None:
        raise ValidationError({"form": [f"{review.reference} has no appeal awaiting a decision"]})
    data = load_step(AppealDecisionSchema(), form, review)
    if name_key(data["appeal_chair_name"]) == name_key(review.chair_name):
        raise ValidationError(
            {
                "appeal_chair_name": [
                    "The appeal must be heard by someone other than the review's chair"
                ]
            }
        )
    not_ahead(data["appeal_decided_on"], "appeal_decided_on", review.appeal_lodged_on, "the appeal")
    review.appeal_chair_name = data["appeal_chair_name"]
    review.appeal_chair_role = data["appeal_chair_role"]
    review.appeal_upheld = data["appeal_upheld"] == "yes"
    review.appeal_decided_on = data["appeal_decided_on"]
    _saved(
        review,
        actor,
        "appeal_decided",
        ["appeal_chair_name", "appeal_chair_role", "appeal_upheld", "appeal_decided_on"],
    )


def send_appeal_letter(review: CaseReview, form: Mapping, actor) -> None:
    """The letter telling the applicant how their appeal was decided, sent."""
    if review.appeal_decided_on is None or review.appeal_letter_sent_on is not None:
        raise ValidationError({"form": [f"{review.reference} has no appeal letter to send"]})
    data = load_step(AppealLetterSchema(), form, review)
    not_ahead(
        data["appeal_letter_sent_on"],
        "appeal_letter_sent_on",
        review.appeal_decided_on,
        "the appeal was decided",
    )
    review.appeal_letter_sent_on = data["appeal_letter_sent_on"]
    review.appeal_letter_sent_by = data["appeal_letter_sent_by"]
    _saved(review, actor, "appeal_letter", ["appeal_letter_sent_on", "appeal_letter_sent_by"])


def save_timescales(hub: Hub, form: Mapping, actor) -> CaseReviewSettings:
    """The hub's timescales (a hub manager's or coordinator's setting)."""
    data = TimescalesSchema().load({k: form.get(k, "") for k in DEFAULT_TIMESCALES})
    row = db.session.execute(
        select(CaseReviewSettings).where(CaseReviewSettings.hub_id == hub.id)
    ).scalar_one_or_none()
    if row is None:
        row = CaseReviewSettings(hub_id=hub.id)
        db.session.add(row)
    changed = [k for k in DEFAULT_TIMESCALES if getattr(row, k, None) != data[k]]
    for key, value in data.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "case_review_timescales_saved",
        user=actor,
        hub=hub,
        target=row,
        details={"fields": changed},
    )
    return row
