"""Writing a lesson: a draft (its author's alone), the personal-data check before it goes to
review, and the review that publishes it or returns it to its author. Audited (field names,
ids and codes only); callers commit."""

from collections import Counter

from marshmallow import ValidationError
from sqlalchemy import func, select

from hub import audit
from hub import permissions as perm
from hub.casework import evaluations
from hub.core.locking import StaleForm, check_version, flush_or_stale
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.lessons import library, redaction
from hub.lessons.schemas import TEXT_FIELDS, LessonSchema
from hub.models import (
    Case,
    CaseReview,
    ConferenceDecision,
    Evaluation,
    Hub,
    Lesson,
    LessonStatus,
    LessonUse,
    Referral,
)

LABELS = {
    "title": "Title",
    "problem": "The problem",
    "context": "Context",
    "people_roles": "The people involved, by role only",
    "tried": "What was tried",
    "worked": "What worked",
    "not_worked": "What did not work",
    "tags": "Tags",
}


def checked_fields(lesson_or_data) -> dict[str, str]:
    """The words the personal-data check reads, by field."""
    get = (
        lesson_or_data.get
        if isinstance(lesson_or_data, dict)
        else lambda k, d=None: getattr(lesson_or_data, k, d)
    )
    out = {k: get(k, "") or "" for k in TEXT_FIELDS}
    out["tags"] = ", ".join(get("tags", []) or [])
    return out


# -- where a lesson comes from --------------------------------------------------------------------


def source_evaluation(user, case: Case) -> Evaluation | None:
    """The case's signed evaluation a lesson is drawn from, if the user may read it (the
    evaluation is a working record of the case); None otherwise."""
    if not perm.can_read_working_records(user, case):
        return None
    query = (
        select(Evaluation)
        .where(Evaluation.case_id == case.id, Evaluation.signed_at.is_not(None))
        .order_by(Evaluation.number.desc())
        .limit(1)
    )
    return db.session.execute(query).scalar_one_or_none()


def source_decision(user, hub: Hub, decision_id) -> ConferenceDecision | None:
    """A conference decision on a case of the hub, when the user may read it in full."""
    decision = db.session.get(ConferenceDecision, decision_id) if decision_id else None
    if decision is None or decision.case_id is None or decision.conference.hub_id != hub.id:
        return None
    return decision if decision.id in perm.readable_decisions(user, hub, [decision]) else None


def source_review(user, hub: Hub, review_id) -> CaseReview | None:
    """An ASB case review of the hub with its recommendations recorded, for those who keep
    the reviews (coordinators, hub managers, SPoCs) or may read its case's working records."""
    review = db.session.get(CaseReview, review_id) if review_id else None
    if review is None or review.hub_id != hub.id or not review.outcome:
        return None
    if perm.can_keep_case_reviews(user, hub):
        return review
    case = db.session.get(Case, review.case_id) if review.case_id else None
    return review if case is not None and perm.can_read_working_records(user, case) else None


def source_of(user, hub: Hub, source: str, *, case_id=None, record_id=None):
    """(the source case or None, the source record's id) for a lesson drawn from `source`, or
    None when the user may not draw on it (the caller refuses as for a missing thing)."""
    if source == "evaluation":
        case = db.session.get(Case, case_id) if case_id else None
        if case is None or case.hub_id != hub.id:
            return None
        evaluation = source_evaluation(user, case)
        return (case, evaluation.id) if evaluation is not None else None
    if source == "decision":
        decision = source_decision(user, hub, record_id)
        return (db.session.get(Case, decision.case_id), decision.id) if decision else None
    if source == "case_review":
        review = source_review(user, hub, record_id)
        if review is None:
            return None
        return (db.session.get(Case, review.case_id) if review.case_id else None, review.id)
    return None


def case_category(case_id: int) -> str | None:
    """The ASB category most of the case's referrals give (not personal)."""
    rows = db.session.execute(
        select(Referral.asb_category).where(
            Referral.case_id == case_id, Referral.asb_category.is_not(None)
        )
    ).scalars()
    counts = Counter(rows)
    return counts.most_common(1)[0][0] if counts else None


def prefill(evaluation: Evaluation | None) -> dict:
    """What a lesson drawn from an evaluation starts with: the coded facts only (outcome, the
    interventions used, the category). Its words stay on the case: the author writes the
    lesson's own, which the check reads before anyone else does."""
    if evaluation is None:
        return {}
    return {
        "outcome": evaluation.outcome,
        "interventions": sorted(evaluation.worked or evaluations_types(evaluation.case_id)),
        "asb_category": case_category(evaluation.case_id),
    }


def evaluations_types(case_id: int) -> list[str]:
    return evaluations.intervention_types(db.session.get(Case, case_id))


# -- drafting -------------------------------------------------------------------------------------


def _apply(lesson: Lesson, data: dict, findings) -> list[str]:
    """Copy the form onto the lesson; keep only confirmations of what the check finds now."""
    changed = []
    for key in (*TEXT_FIELDS, "asb_category", "place_type", "outcome", "interventions", "tags"):
        if getattr(lesson, key) != data[key]:
            changed.append(key)
            setattr(lesson, key, data[key])
    current = {f.key for f in findings}
    lesson.confirmed = sorted(k for k in set(data["confirm"]) if k in current)
    lesson.updated_at = utcnow()
    return changed


def create_draft(
    hub: Hub,
    data: dict,
    *,
    actor,
    source: str = "own",
    case: Case | None = None,
    record_id: int | None = None,
) -> Lesson:
    """A new draft: on its own, or drawn from a case's signed evaluation (`case`), a
    conference decision or an ASB case review's recommendations (`record_id`)."""
    loaded = LessonSchema().load(data)
    if source == "own":
        case, record_id = None, None
    else:
        found = source_of(
            actor, hub, source, case_id=case.id if case else None, record_id=record_id
        )
        if found is None:
            raise ValidationError({"form": ["Choose a record of this hub that you can read"]})
        case, record_id = found
    lesson = Lesson(
        hub_id=hub.id,
        source=source,
        source_case_id=case.id if case else None,
        source_record_id=record_id,
        author_id=actor.id,
        author_agency_id=actor.agency_id,
        title="",
        interventions=[],
        tags=[],
        confirmed=[],
    )
    db.session.add(lesson)
    findings = redaction.find(checked_fields(loaded), redaction.case_names(lesson.source_case_id))
    _apply(lesson, loaded, findings)
    db.session.flush()
    audit.record(
        "lesson_drafted",
        user=actor,
        hub=hub.id,
        target=lesson,
        details={"source": source, "case_id": lesson.source_case_id},
    )
    return _then_submit(lesson, data, actor=actor)


def save_draft(lesson: Lesson, data: dict, *, actor) -> Lesson:
    """Save the author's draft; with submit, send it for review once the check passes."""
    if not perm.can_edit_lesson(actor, lesson):
        raise ValidationError({"form": ["Only its author changes a draft lesson"]})
    loaded = LessonSchema().load(data)
    check_version(lesson.version, loaded["version"], _stale)
    findings = redaction.find(checked_fields(loaded), redaction.case_names(lesson.source_case_id))
    changed = _apply(lesson, loaded, findings)
    flush_or_stale(_stale)
    audit.record(
        "lesson_saved",
        user=actor,
        hub=lesson.hub_id,
        target=lesson,
        details={"version": lesson.version, "changed": changed},
    )
    return _then_submit(lesson, data, actor=actor)


def _stale():
    return StaleForm()


def findings_of(lesson: Lesson) -> list[redaction.Finding]:
    """What the check finds in the lesson as saved, confirmed or not."""
    return redaction.find(checked_fields(lesson), redaction.case_names(lesson.source_case_id))


def check(lesson: Lesson) -> None:
    """Refuse, field by field, while anything the check finds is neither removed nor
    confirmed as not personal."""
    names = redaction.case_names(lesson.source_case_id)
    left = redaction.unconfirmed(checked_fields(lesson), names, lesson.confirmed)
    if left:
        raise ValidationError(redaction.messages(left))


def _then_submit(lesson: Lesson, data: dict, *, actor) -> Lesson:
    if data.get("submit") not in ("1", "true", True):
        return lesson
    check(lesson)
    lesson.status = LessonStatus.IN_REVIEW.value
    lesson.submitted_at = utcnow()
    flush_or_stale(_stale)
    audit.record(
        "lesson_submitted",
        user=actor,
        hub=lesson.hub_id,
        target=lesson,
        details={"version": lesson.version, "count": len(lesson.confirmed)},
    )
    return lesson


# -- review ---------------------------------------------------------------------------------------


def review(lesson: Lesson, data: dict, *, actor) -> Lesson:
    """Publish the lesson (the check runs again: its words may have been confirmed against an
    older list of the case's people) or return it to its author as a draft."""
    if not perm.can_review_lesson(actor, lesson):
        raise ValidationError({"form": ["Only a coordinator or hub manager reviews lessons"]})
    if lesson.author_id == actor.id:
        raise ValidationError({"form": ["Someone other than its author reviews a lesson"]})
    check_version(lesson.version, data.get("version"), _stale)
    decision = data.get("decision")
    if decision == "return":
        lesson.status = LessonStatus.DRAFT.value
        lesson.submitted_at = None
    elif decision == "publish":
        check(lesson)
        lesson.status = LessonStatus.PUBLISHED.value
        lesson.published_at = utcnow()
        lesson.reviewed_by_id = actor.id
        lesson.search_text = library.search_words(lesson)
        lesson.cases_helped = (1 if lesson.source_case_id else 0) + _helped(lesson)
    else:
        raise ValidationError({"decision": ["Choose to publish the lesson or return it"]})
    flush_or_stale(_stale)
    if decision == "publish":
        library.index(lesson)
    audit.record(
        "lesson_published" if decision == "publish" else "lesson_returned",
        user=actor,
        hub=lesson.hub_id,
        target=lesson,
        details={"version": lesson.version},
    )
    return lesson


def _helped(lesson: Lesson) -> int:
    query = select(func.count()).where(LessonUse.lesson_id == lesson.id, LessonUse.helped == "yes")
    return db.session.execute(query).scalar() or 0
