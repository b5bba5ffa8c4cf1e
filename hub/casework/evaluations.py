"""The formal evaluation of a case: drafted by its lead agency at the evaluation stage, signed
off by a coordinator or hub manager, immutable once signed (a correction is a new version), and
measured before and after from the hub's own records.

Before and after are computed, never typed: the hub's incidents and referrals about the case's
people and places (the matching keys its referrals left, hub.models.Incident) in two windows of
equal length, before the first intervention and after the last, and the police.uk ASB around
its places once the hub has imported some. Audited; callers commit."""

from dataclasses import dataclass
from datetime import date, timedelta

from marshmallow import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from hub import audit
from hub import permissions as perm
from hub.casework.activity import log
from hub.casework.checks import stale_case
from hub.casework.plans import plan_of
from hub.casework.schemas import EvaluationSchema
from hub.core.locking import StaleForm, check_version, flush_or_stale
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    Case,
    CaseMembership,
    ContextIncident,
    ContextMonthCount,
    Evaluation,
    Incident,
    Intervention,
    Lesson,
    LessonUse,
    Referral,
    Stage,
    User,
)
from hub.models.casework import ACHIEVED_OUTCOMES, MEASURE_RESULTS, WORKED
from referrals.normalise import neighbours
from scoring.calendar import bank_holidays, is_working_day

DEFAULT_WINDOW_DAYS = 90
HELPED = {"yes": "It helped", "no": "It did not help", "unsure": "Too early to say"}

LABELS = {
    "outcome": "Outcome",
    "summary": "Summary",
    "objective_result": "Against the objective",
    "victim_satisfaction": "Victim's satisfaction",
    "victim_words": "Victim's view",
    "victim_not_asked": "Why the victim was not asked",
    "officer_hours": "Officer hours",
    "window_days": "Window",
    "lessons": "Lessons in brief",
}


# -- before and after -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Windows:
    """Two windows of `days` calendar days: the days before the first intervention and the
    days after the last. Calendar days, bank holidays included: incidents do not stop for
    them (each window says how many working days it held, for the agencies' side)."""

    days: int
    before_from: date
    before_to: date
    after_from: date
    after_to: date
    today: date

    @property
    def after_complete(self) -> bool:
        return self.today >= self.after_to

    @property
    def after_days_so_far(self) -> int:
        return max(0, min((self.today - self.after_from).days + 1, self.days))


def windows(first: date, last: date, days: int, today: date) -> Windows:
    return Windows(
        days=days,
        before_from=first - timedelta(days=days),
        before_to=first - timedelta(days=1),
        after_from=last + timedelta(days=1),
        after_to=last + timedelta(days=days),
        today=today,
    )


def working_days(start: date, end: date) -> tuple[int, int]:
    """(working days, bank holidays on weekdays) from start to end inclusive."""
    holidays = set()
    for year in range(start.year, end.year + 1):
        holidays |= bank_holidays(year)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    working = sum(1 for d in days if is_working_day(d))
    on_weekdays = sum(1 for d in days if d in holidays and d.weekday() < 5)
    return working, on_weekdays


def count_window(rows, start: date, end: date) -> dict:
    """rows: (referral_id, occurred_on, incident_count) of matching history. A referral counts
    once however many of its people match; its incidents are what it reported (at least 1); a
    history row without a referral is one incident."""
    referrals: dict[int, int] = {}
    loose = 0
    for referral_id, occurred_on, incidents in rows:
        if not start <= occurred_on <= end:
            continue
        if referral_id is None:
            loose += 1
        else:
            referrals[referral_id] = max(referrals.get(referral_id, 0), incidents or 1)
    return {"referrals": len(referrals), "incidents": sum(referrals.values()) + loose}


def intervention_span(case: Case) -> tuple[date, date] | None:
    """The first and last day an intervention was used on the case (served, or else recorded)."""
    rows = db.session.execute(
        select(Intervention.served_on, Intervention.recorded_at).where(
            Intervention.case_id == case.id
        )
    ).all()
    days = [served or recorded.astimezone(LONDON).date() for served, recorded in rows]
    return (min(days), max(days)) if days else None


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def before_after(case: Case, days: int = DEFAULT_WINDOW_DAYS, today: date | None = None) -> dict:
    """The before and after figures, as plain data (kept on the evaluation at signing). Four
    statements, whatever the history's size."""
    today = today or utcnow().astimezone(LONDON).date()
    span = intervention_span(case)
    if span is None:
        return {"measurable": False, "window_days": days}
    w = windows(span[0], span[1], days, today)
    keys = db.session.execute(
        select(
            Incident.victim_key,
            Incident.victim_addr_key,
            Incident.subject_key,
            Incident.subject_addr_key,
            Incident.place_key,
            Incident.cell,
        ).where(Incident.case_id == case.id)
    ).all()
    people = {k for row in keys for k in row[:4] if k}
    places = {row[4] for row in keys if row[4]}
    cells = {n for row in keys if row[5] for n in neighbours(row[5])}
    rows = []
    if people or places or cells:
        matches = or_(
            Incident.victim_key.in_(people),
            Incident.victim_addr_key.in_(people),
            Incident.subject_key.in_(people),
            Incident.subject_addr_key.in_(people),
            Incident.place_key.in_(places),
            Incident.cell.in_(cells),
        )
        rows = db.session.execute(
            select(Incident.referral_id, Incident.occurred_on, Referral.incident_count)
            .outerjoin(Referral, Referral.id == Incident.referral_id)
            .where(
                Incident.hub_id == case.hub_id,
                matches,
                Incident.occurred_on >= w.before_from,
                Incident.occurred_on <= w.after_to,
            )
        ).all()
    result = {"measurable": True, "window_days": days, "first": span[0], "last": span[1]}
    for name, start, end in (
        ("before", w.before_from, w.before_to),
        ("after", w.after_from, w.after_to),
    ):
        working, holidays = working_days(start, end)
        result[name] = {
            "from": start,
            "to": end,
            **count_window(rows, start, end),
            "working_days": working,
            "bank_holidays": holidays,
        }
    result["after"]["complete"] = w.after_complete
    result["after"]["days_so_far"] = w.after_days_so_far
    result["police_uk"] = _police_uk(case, w, cells)
    result["located"] = bool(places or cells)
    return _iso(result)


def _police_uk(case: Case, w: Windows, cells: set[str]) -> dict | None:
    """police.uk ASB around the case's places in the months each window touches; None until
    the hub has imported any. police.uk publishes by month, so the months are whole ones."""
    latest = db.session.execute(
        select(func.max(ContextMonthCount.month)).where(ContextMonthCount.hub_id == case.hub_id)
    ).scalar()
    if latest is None:
        return None
    counts = {}
    if cells:
        counts = dict(
            db.session.execute(
                select(ContextIncident.month, func.count())
                .where(
                    ContextIncident.hub_id == case.hub_id,
                    ContextIncident.cell.in_(sorted(cells)),
                    ContextIncident.is_asb.is_(True),
                    ContextIncident.month >= _first_of_month(w.before_from),
                    ContextIncident.month <= w.after_to,
                )
                .group_by(ContextIncident.month)
            ).all()
        )

    def total(start: date, end: date) -> int:
        return sum(n for month, n in counts.items() if _first_of_month(start) <= month <= end)

    return {
        "before": total(w.before_from, w.before_to),
        "after": total(w.after_from, w.after_to),
        "latest_month": latest,
        "after_covered": latest >= _first_of_month(w.after_to),
    }


def _iso(value):
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value


# -- reading --------------------------------------------------------------------------------------


def evaluations_of(case: Case) -> list[Evaluation]:
    """Every version, the latest first."""
    query = (
        select(Evaluation)
        .where(Evaluation.case_id == case.id)
        .options(
            joinedload(Evaluation.recorded_by).lazyload(User.roles),
            joinedload(Evaluation.signed_by).lazyload(User.roles),
        )
        .order_by(Evaluation.number.desc())
    )
    return list(db.session.execute(query).unique().scalars())


def latest(case: Case) -> Evaluation | None:
    return db.session.execute(
        select(Evaluation)
        .where(Evaluation.case_id == case.id)
        .order_by(Evaluation.number.desc())
        .limit(1)
    ).scalar_one_or_none()


def has_signed(case: Case) -> bool:
    query = select(Evaluation.id).where(
        Evaluation.case_id == case.id, Evaluation.signed_at.is_not(None)
    )
    return db.session.execute(query.limit(1)).first() is not None


def measures_of(case: Case) -> tuple[str, list[str]]:
    """The plan's objective and its success measures, one a line."""
    plan = plan_of(case)
    if plan is None:
        return "", []
    measures = [m.strip(" -*•\t") for m in (plan.success_measures or "").splitlines()]
    return plan.objective or "", [m for m in measures if m]


def intervention_types(case: Case) -> list[str]:
    """The kinds of intervention and power used on the case (the kinds are not personal)."""
    query = (
        select(Intervention.type)
        .where(Intervention.case_id == case.id)
        .distinct()
        .order_by(Intervention.type)
    )
    return list(db.session.execute(query).scalars())


def member_agencies(case: Case) -> list:
    query = (
        select(CaseMembership)
        .where(CaseMembership.case_id == case.id, CaseMembership.removed_at.is_(None))
        .order_by(CaseMembership.agency_id)
    )
    return [m.agency for m in db.session.execute(query).scalars()]


def lesson_uses(case: Case) -> list[LessonUse]:
    """The lessons marked as used on the case (published lessons hold nothing personal)."""
    query = (
        select(LessonUse)
        .join(Lesson, Lesson.id == LessonUse.lesson_id)
        .where(LessonUse.case_id == case.id)
        .order_by(LessonUse.id)
    )
    return list(db.session.execute(query).scalars())


def tab(user, case: Case, today: date | None = None) -> dict:
    """What the Evaluation tab shows, its read audited like the plan's (a working record).
    The figures are the signed evaluation's own, or computed now for a draft."""
    versions = evaluations_of(case)
    current = versions[0] if versions else None
    objective, measures = measures_of(case)
    window = current.window_days if current else DEFAULT_WINDOW_DAYS
    if current is not None and current.measured is not None:
        figures = current.measured
    else:
        figures = before_after(case, window, today)
    perm.working_records_read(
        user,
        case.hub_id,
        what="evaluation",
        records={"case_evaluation": [e.id for e in versions]},
        case=case,
    )
    return {
        "versions": versions,
        "current": current,
        "objective": objective,
        "measures": measures,
        "kinds": intervention_types(case),
        "agencies": member_agencies(case),
        "uses": lesson_uses(case),
        "figures": figures,
        "can_write": perm.can_write_evaluation(user, case) and case.stage == Stage.EVALUATION.value,
        "can_sign": perm.can_sign_evaluation(user, case),
    }


# -- writing --------------------------------------------------------------------------------------


def _refuse(field: str, message: str):
    raise ValidationError({field: [message]})


def _check_writer(case: Case, actor) -> None:
    if case.stage != Stage.EVALUATION.value:
        _refuse("form", "A case is evaluated at the evaluation stage: move it there first")
    if not perm.can_write_evaluation(actor, case):
        _refuse("form", "The evaluation is written by the case's lead agency")


def _load(case: Case, data: dict) -> tuple[dict, dict[int, str]]:
    """The form, checked field by field: every message at once, nothing written."""
    errors: dict[str, list[str]] = {}
    try:
        loaded = EvaluationSchema().load(
            {k: v for k, v in data.items() if k in EvaluationSchema().fields}
        )
    except ValidationError as exc:
        errors.update(exc.messages)
        loaded = {}
    objective, measures = measures_of(case)
    results = []
    for i, measure in enumerate(measures):
        met = data.get(f"measure_{i}_met") or ""
        if met not in MEASURE_RESULTS:
            errors[f"measure_{i}_met"] = [f"Say whether the measure “{measure[:60]}” was met"]
        result = (data.get(f"measure_{i}_result") or "").strip()
        if len(result) > 2000:
            errors[f"measure_{i}_result"] = ["Use 2000 characters or fewer"]
        results.append({"measure": measure, "met": met, "result": result})
    worked = {}
    for kind in intervention_types(case):
        verdict = data.get(f"worked_{kind}") or ""
        if verdict and verdict not in WORKED:
            errors[f"worked_{kind}"] = ["Choose whether it worked"]
        elif verdict:
            worked[kind] = verdict
    views = {}
    for agency in member_agencies(case):
        words = (data.get(f"view_{agency.id}") or "").strip()
        if len(words) > 5000:
            errors[f"view_{agency.id}"] = ["Use 5000 characters or fewer"]
        elif words:
            views[str(agency.id)] = words
    helped = {}
    for use in lesson_uses(case):
        answer = data.get(f"helped_{use.id}") or ""
        if answer and answer not in HELPED:
            errors[f"helped_{use.id}"] = ["Choose whether the lesson helped"]
        elif answer:
            helped[use.id] = answer
    if errors:
        raise ValidationError(errors)
    loaded.update(objective=objective, measures=results, worked=worked, agency_views=views)
    return loaded, helped


def save_evaluation(case: Case, data: dict, *, actor) -> Evaluation:
    """Create the case's evaluation, or save its draft. A signed one never changes."""
    _check_writer(case, actor)
    current = latest(case)
    if current is not None and current.signed_at is not None:
        _refuse("form", "The evaluation is signed and cannot change: start a correction")
    if current is None and data.get("version") not in (None, "", "0"):
        raise StaleForm(differences=[("Evaluation", "written by someone else", "")])
    loaded, helped = _load(case, data)
    if current is None:
        current = Evaluation(case_id=case.id, number=1, recorded_by_id=actor.id)
        db.session.add(current)
        before = {}
    else:
        check_version(current.version, data.get("version"), _stale(current))
        before = {k: getattr(current, k) for k in (*LABELS, "measures", "worked", "agency_views")}
    for key, value in loaded.items():
        setattr(current, key, value)
    current.updated_at = utcnow()
    flush_or_stale(_stale(current))
    _record_helped(case, helped, current)
    changed = sorted(k for k in loaded if before.get(k) != loaded[k])
    audit.record(
        "evaluation_saved",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={"record_id": current.id, "version": current.number, "changed": changed},
    )
    log(case, actor, "evaluation_saved", f"Saved the evaluation (version {current.number})")
    return current


def _stale(evaluation: Evaluation):
    return stale_case(lambda: [("Evaluation", "saved by someone else meanwhile", "")])


def _record_helped(case: Case, helped: dict[int, str], evaluation: Evaluation) -> None:
    for use in lesson_uses(case):
        if use.id in helped:
            use.helped = helped[use.id]
            use.evaluation_id = evaluation.id


def sign_evaluation(case: Case, data: dict, *, actor) -> Evaluation:
    """Sign the draft off: from now on it never changes, and the before and after figures are
    kept as they stand today."""
    current = latest(case)
    if current is None or current.signed_at is not None:
        _refuse("form", "There is no draft evaluation to sign")
    if not perm.can_sign_evaluation(actor, case):
        _refuse("form", "Only a coordinator or hub manager can sign off an evaluation")
    check_version(current.version, data.get("version"), _stale(current))
    if current.victim_satisfaction is None and not current.victim_not_asked.strip():
        _refuse("form", "The evaluation needs the victim's view, or why they were not asked")
    current.measured = before_after(case, current.window_days)
    current.signed_at = utcnow()
    current.signed_by_id = actor.id
    flush_or_stale(_stale(current))
    _recount_evidence(case)
    audit.record(
        "evaluation_signed",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={"record_id": current.id, "version": current.number, "outcome": current.outcome},
    )
    log(case, actor, "evaluation_signed", f"Signed off the evaluation (version {current.number})")
    return current


def _recount_evidence(case: Case) -> None:
    """A lesson used on a case that it helped counts that case in its evidence."""
    lesson_ids = [u.lesson_id for u in lesson_uses(case)]
    if not lesson_ids:
        return
    counts = dict(
        db.session.execute(
            select(LessonUse.lesson_id, func.count())
            .join(Evaluation, Evaluation.id == LessonUse.evaluation_id)
            .where(
                LessonUse.lesson_id.in_(lesson_ids),
                LessonUse.helped == "yes",
                Evaluation.signed_at.is_not(None),
            )
            .group_by(LessonUse.lesson_id)
        ).all()
    )
    for lesson in db.session.execute(select(Lesson).where(Lesson.id.in_(lesson_ids))).scalars():
        lesson.cases_helped = (1 if lesson.source_case_id else 0) + counts.get(lesson.id, 0)


def start_correction(case: Case, data: dict, *, actor) -> Evaluation:
    """A new draft version of the signed evaluation, to correct it; the signed one stays."""
    _check_writer(case, actor)
    current = latest(case)
    if current is None or current.signed_at is None:
        _refuse("form", "Only a signed evaluation is corrected; edit the draft instead")
    check_version(current.version, data.get("version"), _stale(current))
    copy = Evaluation(
        case_id=case.id,
        number=current.number + 1,
        supersedes_id=current.id,
        recorded_by_id=actor.id,
        updated_at=utcnow(),
        **{
            k: getattr(current, k)
            for k in (
                "outcome",
                "summary",
                "lessons",
                "objective",
                "objective_result",
                "measures",
                "worked",
                "victim_satisfaction",
                "victim_words",
                "victim_not_asked",
                "agency_views",
                "officer_hours",
                "window_days",
            )
        },
    )
    db.session.add(copy)
    flush_or_stale(_stale(current))
    audit.record(
        "evaluation_correction_started",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={"record_id": copy.id, "version": copy.number},
    )
    log(case, actor, "evaluation_saved", f"Started a correction (version {copy.number})")
    return copy


def mark_lesson_used(case: Case, lesson: Lesson, *, actor) -> LessonUse:
    """A partner marks a published lesson as used on this case (a write to the case)."""
    if not perm.can_read_working_records(actor, case, perm.Action.WRITE):
        _refuse("form", "Your agency cannot write this case's plan")
    if not perm.lesson_open_to_hub(lesson, case.hub):
        _refuse("form", "Only a published lesson of this hub, or one shared with it, can be used")
    existing = db.session.execute(
        select(LessonUse).where(LessonUse.case_id == case.id, LessonUse.lesson_id == lesson.id)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    use = LessonUse(lesson_id=lesson.id, case_id=case.id, marked_by_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(use)
            db.session.flush()
    except IntegrityError:  # marked by someone else a moment ago: one row either way
        return db.session.execute(
            select(LessonUse).where(LessonUse.case_id == case.id, LessonUse.lesson_id == lesson.id)
        ).scalar_one()
    audit.record(
        "lesson_used",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={"record_id": lesson.id},
    )
    log(case, actor, "lesson_used", "Marked a lesson from the library as used on this case")
    return use


def is_achieved(outcome: str | None) -> bool:
    return outcome in ACHIEVED_OUTCOMES
