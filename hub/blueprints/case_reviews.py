"""ASB case reviews: the hub's register, recording an application, and a review's outcome.
The threshold decision itself is taken at conference (conference_live). Thin: parse,
authorise through hub.permissions, call hub.conferences.case_reviews, render."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from hub import permissions as perm
from hub.conferences import case_reviews as service
from hub.core.forms import FormErrors
from hub.extensions import db
from hub.models import CaseReview, CaseReviewApplicant, CaseReviewStatus, Hub

bp = Blueprint("case_reviews", __name__)


def _hub_or_deny(slug: str) -> Hub:
    hub = db.session.execute(select(Hub).where(Hub.slug == slug)).scalar_one_or_none()
    if hub is None or not perm.can_keep_case_reviews(current_user, hub):
        perm.deny("case_reviews", hub=hub, target_type="hub", target_id=slug)
    return hub


def _review_or_deny(review_id: int) -> CaseReview:
    review = db.session.get(CaseReview, review_id)
    if review is None or not perm.can_keep_case_reviews(current_user, review.hub):
        perm.deny("case_review", target_type="case_review", target_id=review_id)
    return review


@bp.get("/hubs/<slug>/case-reviews")
@perm.requires("signed_in")
def index(slug: str):
    hub = _hub_or_deny(slug)
    return render_template(
        "case_reviews/index.html",
        hub=hub,
        reviews=service.reviews_of(hub),
        statuses=CaseReviewStatus,
        applicants=CaseReviewApplicant,
    )


@bp.route("/hubs/<slug>/case-reviews/new", methods=["GET", "POST"])
@perm.requires("signed_in")
def new(slug: str):
    hub = _hub_or_deny(slug)
    errors, status, form = FormErrors(), 200, request.form
    if request.method == "POST":
        try:
            review = service.record_application(hub, form, current_user)
        except ValidationError as err:
            db.session.rollback()
            errors, status = FormErrors(err.messages), 400
        else:
            db.session.commit()
            flash(
                f"Application {review.reference} recorded. It goes on the next weekly "
                "conference's agenda for the threshold decision.",
                "success",
            )
            return redirect(url_for("case_reviews.show", review_id=review.id))
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
@perm.requires("signed_in")
def show(review_id: int):
    return _review_page(_review_or_deny(review_id))


@bp.post("/case-reviews/<int:review_id>/outcome")
@perm.requires("signed_in")
def outcome(review_id: int):
    review = _review_or_deny(review_id)
    try:
        service.record_outcome(review, request.form, current_user)
    except ValidationError as err:
        db.session.rollback()
        review = db.session.get(CaseReview, review_id)
        return _review_page(review, FormErrors(err.messages), request.form, 400)
    db.session.commit()
    flash(f"Outcome of {review.reference} recorded", "success")
    return redirect(url_for("case_reviews.show", review_id=review.id))
