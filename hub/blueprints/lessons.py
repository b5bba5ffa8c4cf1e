"""The lessons-learned library: search it, draft a lesson (on its own or from a case's signed
evaluation), the personal-data check, review and publication, and marking a suggested lesson
as used on a case. Thin: parse, authorise through hub.permissions, call hub.lessons (or
hub.casework for the case's side), render."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError

from hub import permissions as perm
from hub.casework import evaluations
from hub.core.forms import FormErrors, attempt
from hub.extensions import db
from hub.lessons import drafting, library, redaction
from hub.lessons.schemas import LibraryFilters
from hub.models import Case, Hub, Lesson, LessonStatus

bp = Blueprint("lessons", __name__)


def _labels() -> dict:
    return library.labels()


def _form() -> dict:
    data = {k: v.strip() for k, v in request.form.items() if k != "csrf_token"}
    data["interventions"] = request.form.getlist("interventions")
    data["confirm"] = request.form.getlist("confirm")
    return data


@bp.get("/lessons")
@perm.requires("in_a_hub")
def home():
    hubs = perm.hubs_of(current_user)
    return redirect(url_for("lessons.library_page", slug=hubs[0].slug))


@bp.get("/hubs/<slug>/lessons")
@perm.requires("lesson_library")
def library_page(hub: Hub):
    errors = FormErrors()
    try:
        filters = LibraryFilters().load(request.args.to_dict())
    except ValidationError as exc:
        errors = FormErrors(exc.messages)
        filters = LibraryFilters().load({})
    page = library.search(current_user, hub, filters)
    db.session.commit()  # the search's audit entry
    return render_template(
        "lessons/library.html",
        hub=hub,
        page=page,
        filters=filters,
        errors=errors,
        labels=_labels(),
        can_draft=perm.can_draft_lessons(current_user, hub),
        queue=library.queue(current_user, hub),
    )


SOURCES = ("evaluation", "decision", "case_review")


def _source(hub: Hub):
    """What a new lesson is drawn from (?source=evaluation&case_id=, or ?source=decision or
    case_review&record_id=), when the user may read it: (source, case, record id). A refusal
    is the same 404 as a missing record, audited."""
    source = request.values.get("source")
    if source not in SOURCES:
        return "own", None, None
    case_id = request.values.get("case_id", type=int)
    record_id = request.values.get("record_id", type=int)
    found = drafting.source_of(current_user, hub, source, case_id=case_id, record_id=record_id)
    if found is None:
        perm.deny("lesson_source", hub=hub, target_type=source, target_id=case_id or record_id)
    return source, found[0], found[1]


@bp.route("/hubs/<slug>/lessons/new", methods=["GET", "POST"])
@perm.requires("draft_lessons")
def new(hub: Hub):
    source, case, record_id = _source(hub)
    if request.method == "POST":
        form = _form()
        done = attempt(
            drafting.create_draft,
            hub,
            form,
            actor=current_user,
            source=source,
            case=case,
            record_id=record_id,
        )
        if done:
            lesson = done.result
            if lesson.status == LessonStatus.IN_REVIEW.value:
                flash(
                    "The lesson passed the personal-data check and is sent for review.", "success"
                )
            else:
                flash(
                    "Your draft is saved. Only you can see it until you send it for review.",
                    "success",
                )
            return redirect(url_for("lessons.show", lesson_id=lesson.id))
        return _edit_page(hub, None, form, done.errors, case=case, source=source, status=400)
    evaluation = drafting.source_evaluation(current_user, case) if source == "evaluation" else None
    form = drafting.prefill(evaluation) or (
        {"asb_category": drafting.case_category(case.id)} if case else {}
    )
    return _edit_page(hub, None, form, FormErrors(), case=case, source=source)


def _edit_page(hub, lesson, form, errors, *, case=None, source="own", status=200):
    names = redaction.case_names(lesson.source_case_id if lesson else (case.id if case else None))
    findings = redaction.find(drafting.checked_fields(form), names) if form else []
    confirmed = set(form.get("confirm") or (lesson.confirmed if lesson else []))
    body = render_template(
        "lessons/edit.html",
        hub=hub,
        lesson=lesson,
        case=case,
        source=source,
        query=request.args.to_dict(),
        form=form,
        errors=errors,
        findings=findings,
        confirmed=confirmed,
        labels=_labels(),
        field_labels=drafting.LABELS,
    )
    return body, status


@bp.get("/lessons/<int:lesson_id>")
@perm.requires("see_lesson")
def show(lesson: Lesson):
    hub, origin = library.reading_hub(current_user, lesson)
    if origin is not None:
        db.session.commit()  # the shared read's audit entry
    return render_template(
        "lessons/show.html",
        hub=hub,
        origin=origin,
        lesson=lesson,
        labels=_labels(),
        can_edit=perm.can_edit_lesson(current_user, lesson),
        can_review=perm.can_review_lesson(current_user, lesson)
        and lesson.author_id != current_user.id,
        findings=drafting.findings_of(lesson)
        if lesson.status != LessonStatus.PUBLISHED.value
        else [],
        errors=FormErrors(),
    )


@bp.route("/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@perm.requires("edit_lesson")
def edit(lesson: Lesson):
    hub = db.session.get(Hub, lesson.hub_id)
    if request.method == "POST":
        form = _form()
        done = attempt(drafting.save_draft, lesson, form, actor=current_user)
        if done:
            if lesson.status == LessonStatus.IN_REVIEW.value:
                flash(
                    "The lesson passed the personal-data check and is sent for review.", "success"
                )
            else:
                flash("Your draft is saved.", "success")
            return redirect(url_for("lessons.show", lesson_id=lesson.id))
        lesson = db.session.get(Lesson, lesson.id)
        status = 409 if done.stale else 400
        return _edit_page(hub, lesson, form, done.errors, status=status)
    form = {k: getattr(lesson, k) for k in drafting.LABELS}
    form.update(
        asb_category=lesson.asb_category,
        place_type=lesson.place_type,
        outcome=lesson.outcome,
        interventions=lesson.interventions,
        tags=", ".join(lesson.tags),
        confirm=lesson.confirmed,
        version=lesson.version,
    )
    return _edit_page(hub, lesson, form, FormErrors())


@bp.post("/lessons/<int:lesson_id>/review")
@perm.requires("review_lesson")
def review(lesson: Lesson):
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    done = attempt(drafting.review, lesson, form, actor=current_user)
    if not done:
        lesson = db.session.get(Lesson, lesson.id)
        return render_template(
            "lessons/show.html",
            hub=db.session.get(Hub, lesson.hub_id),
            origin=None,
            lesson=lesson,
            labels=_labels(),
            can_edit=False,
            can_review=True,
            findings=drafting.findings_of(lesson),
            errors=done.errors,
        ), 409 if done.stale else 400
    if form.get("decision") == "publish":
        flash("The lesson is published in the hub's library.", "success")
    else:
        flash("The lesson is returned to its author as a draft.", "success")
    return redirect(url_for("lessons.show", lesson_id=lesson.id))


@bp.post("/cases/<int:case_id>/lessons/<int:lesson_id>/used")
@perm.requires("write_case")
def mark_used(case: Case, lesson_id: int):
    lesson = perm.record_or_deny(
        Lesson,
        lesson_id,
        lambda user, lesson: perm.lesson_open_to_hub(lesson, case.hub),
        "lesson",
        hub=case.hub_id,
    )
    done = attempt(evaluations.mark_lesson_used, case, lesson, actor=current_user)
    if done:
        flash("The lesson is marked as used on this case; its evaluation will say if it helped.")
    else:
        flash(" ".join(done.errors.by_field.values()), "error")
    return redirect(url_for("cases.show", case_id=case.id, tab="plan"))
