"""ASB case reviews: the hub's register, recording an application, a review's steps (its
timescales, the victim's account, the chair, the outcome, recommendations as actions, an
appeal), the letters to the applicant (previewed, printed, marked sent as the review's
steps), complaints made to an agency, the hub's timescales and its annual figures. The
threshold decision itself is taken at conference (conference_live). Thin: parse, authorise
through hub.permissions, call hub.conferences, render."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from hub import permissions as perm
from hub.casework import complaints as complaint_service
from hub.casework import membership, workspace
from hub.conferences import case_review_figures as figures_service
from hub.conferences import case_reviews as service
from hub.conferences import review_letters, review_steps, timescales
from hub.conferences.schemas import FiguresSchema
from hub.core.database import commit_reads
from hub.core.forms import FormErrors, attempt, form_data
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    DEFAULT_TIMESCALES,
    Case,
    CaseReview,
    CaseReviewApplicant,
    CaseReviewStatus,
    Hub,
    LetterChannel,
    VictimAccount,
)
from hub.permissions import hub_today

bp = Blueprint("case_reviews", __name__)

STEPS = {
    "acknowledge": (review_steps.acknowledge, "Acknowledgement letter recorded as sent"),
    "chair": (review_steps.record_chair, "Independent chair recorded"),
    "victim_invited": (review_steps.invite_victim, "Invitation to the victim recorded"),
    "victim_account": (review_steps.record_victim_account, "The victim's answer recorded"),
    "outcome": (service.record_outcome, "Outcome recorded"),
    "outcome_letter": (review_steps.send_outcome_letter, "Outcome letter recorded as sent"),
    "recommendation": (
        review_steps.add_recommendation,
        "Recommendation written into the case as an action",
    ),
    "appeal": (review_steps.lodge_appeal, "Appeal recorded"),
    "appeal_decision": (review_steps.decide_appeal, "Appeal decision recorded"),
    "appeal_letter": (review_steps.send_appeal_letter, "Appeal outcome letter recorded as sent"),
}


@bp.get("/hubs/<slug>/case-reviews")
@perm.requires("keep_case_reviews")
def index(hub: Hub):
    today, rules = hub_today(), timescales.settings_for(hub.id)
    reviews = service.reviews_of(hub)
    return render_template(
        "case_reviews/index.html",
        hub=hub,
        reviews=reviews,
        steps={r.id: timescales.timescales_of(r, today, rules) for r in reviews},
        statuses=CaseReviewStatus,
        applicants=CaseReviewApplicant,
        may_see_figures=perm.can_see_case_review_figures(current_user, hub),
        may_set_timescales=perm.can_set_case_review_timescales(current_user, hub),
    )


@bp.route("/hubs/<slug>/case-reviews/new", methods=["GET", "POST"])
@perm.requires("keep_case_reviews")
def new(hub: Hub):
    errors, status, form = FormErrors(), 200, request.form
    if request.method == "POST":
        recorded = attempt(service.record_application, hub, form, current_user)
        if recorded:
            review = recorded.result
            flash(
                f"Application {review.reference} recorded against case "
                f"{review.case.reference}. It goes on the next weekly conference's agenda for "
                "the threshold decision.",
                "success",
            )
            return redirect(url_for("case_reviews.show", review_id=review.id))
        errors, status = recorded.errors, 400
    else:
        form = {"case_reference": request.args.get("case", "")}
    body = render_template(
        "case_reviews/new.html", hub=hub, form=form, errors=errors, applicants=CaseReviewApplicant
    )
    return body, status


def _review_page(review: CaseReview, errors: FormErrors | None = None, form=None, status=200):
    today = hub_today()
    rules = timescales.settings_for(review.hub_id)
    case = review.case
    count, traced = service.traced_complaints(review, current_user) if case else (None, [])
    body = render_template(
        "case_reviews/show.html",
        hub=review.hub,
        review=review,
        decisions=service.decisions_on(review),
        steps=timescales.timescales_of(review, today, rules),
        appeal_by=timescales.appeal_by(review, rules),
        rules=rules,
        count=count,
        traced=traced,
        handlers=review_steps.case_handlers(review),
        agencies=review.hub.agencies,
        members=membership.member_agencies(case) if case else [],
        people=workspace.spoc_candidates(case) if case else [],
        may_write_case=case is not None
        and perm.can_work_case(current_user, case, perm.Action.WRITE),
        errors=errors or FormErrors(),
        form=form or {},
        statuses=CaseReviewStatus,
        applicants=CaseReviewApplicant,
        accounts=VictimAccount,
        letters=[
            review_letters.make(current_user, review, kind)
            for kind in review_letters.available(review)
        ],
        letter_steps=review_letters.STEPS,
        channels=LetterChannel,
    )
    commit_reads()  # the complaints' places and references shown are audited reads
    return body, status


@bp.get("/case-reviews/<int:review_id>")
@perm.requires("keep_case_review")
def show(review: CaseReview):
    return _review_page(review)


@bp.get("/case-reviews/<int:review_id>/letters/<any(acknowledgement, outcome, appeal):kind>")
@perm.requires("keep_case_review")
def letter(review: CaseReview, kind: str):
    """A letter to the applicant, to print on A4: addressed only when hub.permissions lets
    this reader see the applicant's victim record, otherwise with a blank address block."""
    try:
        made = review_letters.printed(current_user, review, kind)
    except review_letters.NotReady:
        flash("This review has not reached that letter yet.", "error")
        return redirect(url_for("case_reviews.show", review_id=review.id))
    body = render_template("case_reviews/letter.html", review=review, letter=made)
    db.session.commit()
    return body


@bp.post("/case-reviews/<int:review_id>/outcome")
@perm.requires("keep_case_review")
def outcome(review: CaseReview):
    return _take(review, "outcome")


@bp.post("/case-reviews/<int:review_id>/steps/<step_name>")
@perm.requires("keep_case_review")
def step(review: CaseReview, step_name: str):
    return _take(review, step_name)


def _take(review: CaseReview, step_name: str):
    if step_name not in STEPS:
        return _review_page(review, FormErrors({"form": ["Choose a step on the page"]}), None, 400)
    change, done = STEPS[step_name]
    recorded = attempt(change, review, request.form, current_user)
    if not recorded:
        review = db.session.get(CaseReview, review.id)
        status = 409 if recorded.stale else 400  # someone else saved the review first
        return _review_page(review, recorded.errors, request.form, status)
    flash(f"{done}: {review.reference}", "success")
    return redirect(url_for("case_reviews.show", review_id=review.id))


@bp.post("/cases/<int:case_id>/complaints")
@perm.requires("write_case")
def complaint(case: Case):
    """A complaint made to the user's agency, recorded from a review's page."""
    review = db.session.get(CaseReview, request.form.get("review_id", type=int) or 0)
    if review is None or review.case_id != case.id:
        perm.deny("policy:keep_case_review", hub=case.hub_id, target_type="case", target_id=case.id)
    data = form_data()
    data.pop("review_id", None)
    recorded = attempt(complaint_service.record_complaint, case, data, actor=current_user)
    if not recorded:
        review = db.session.get(CaseReview, review.id)
        return _review_page(review, recorded.errors, request.form, 409 if recorded.stale else 400)
    flash("Complaint recorded: it counts towards the threshold", "success")
    return redirect(url_for("case_reviews.show", review_id=review.id) + "#complaints")


@bp.route("/hubs/<slug>/case-reviews/timescales", methods=["GET", "POST"])
@perm.requires("case_review_timescales")
def settings(hub: Hub):
    errors, status = FormErrors(), 200
    current = timescales.settings_for(hub.id)
    form = {k: getattr(current, k) for k in DEFAULT_TIMESCALES}
    if request.method == "POST":
        form = request.form
        saved = attempt(review_steps.save_timescales, hub, form, current_user)
        if saved:
            flash("Timescales saved", "success")
            return redirect(url_for("case_reviews.index", slug=hub.slug))
        errors, status = saved.errors, 400
    body = render_template("case_reviews/timescales.html", hub=hub, form=form, errors=errors)
    return body, status


def _figures(hub: Hub):
    loaded = attempt(FiguresSchema().load, request.args, commit=False)
    today = hub_today()
    year = (loaded.result or {}).get("year") if loaded else None
    year = year or figures_service.financial_year(today)
    errors = FormErrors() if loaded else loaded.errors
    return figures_service.annual_figures(hub, year), figures_service.years_of(hub, today), errors


@bp.get("/hubs/<slug>/case-reviews/figures")
@perm.requires("case_review_figures")
def figures(hub: Hub):
    found, years, errors = _figures(hub)
    body = render_template(
        "case_reviews/figures.html",
        hub=hub,
        figures=found,
        years=[(y, figures_service.year_label(y)) for y in years],
        errors=errors,
    )
    return body, 400 if errors else 200


@bp.get("/hubs/<slug>/case-reviews/figures/print")
@perm.requires("case_review_figures")
def figures_print(hub: Hub):
    found, _, _ = _figures(hub)
    return render_template(
        "case_reviews/figures_print.html", hub=hub, figures=found, printed_at=utcnow()
    )


@bp.get("/hubs/<slug>/case-reviews/figures.csv")
@perm.requires("case_review_figures")
def figures_csv(hub: Hub):
    found, _, _ = _figures(hub)
    text = figures_service.figures_csv(hub, found, current_user)
    db.session.commit()
    name = f"asb-case-reviews-{hub.slug}-{found.year}-{found.year + 1}.csv"
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
