"""ASB case reviews: the hub's register, recording an application, and a review's outcome.
The threshold decision itself is taken at conference (conference_live). Thin: parse,
authorise through hub.permissions, call hub.conferences.case_reviews, render."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from hub import permissions as perm
from hub.conferences import case_reviews as service
from hub.core.forms import FormErrors, attempt
from hub.extensions import db
from hub.models import CaseReview, CaseReviewApplicant, CaseReviewStatus, Hub

bp = Blueprint("case_reviews", __name__)


@bp.get("/hubs/<slug>/case-reviews")
@perm.requires("keep_case_reviews")
def index(hub: Hub):
    return render_template(
        "case_reviews/index.html",
        hub=hub,
        reviews=service.reviews_of(hub),
        statuses=CaseReviewStatus,
        applicants=CaseReviewApplicant,
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
                f"Application {review.reference} recorded. It goes on the next weekly "
                "conference's agenda for the threshold decision.",
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
    decisions = service.decisions_on(review)
    body = render_template(
        "case_reviews/show.html",
        hub=review.hub,
        review=review,
        decisions=decisions,
        errors=errors or FormErrors(),
        form=form or {},
        statuses=CaseReviewStatus,
        applicants=CaseReviewApplicant,
    )
    return body, status


@bp.get("/case-reviews/<int:review_id>")
@perm.requires("keep_case_review")
def show(review: CaseReview):
    return _review_page(review)


@bp.post("/case-reviews/<int:review_id>/outcome")
@perm.requires("keep_case_review")
def outcome(review: CaseReview):
    recorded = attempt(service.record_outcome, review, request.form, current_user)
    if not recorded:
        review = db.session.get(CaseReview, review.id)
        return _review_page(review, recorded.errors, request.form, 400)
    flash(f"Outcome of {review.reference} recorded", "success")
    return redirect(url_for("case_reviews.show", review_id=review.id))
