"""Keeping conferences on time: a coordinator confirms or declines a proposed urgent
conference, and the hub's timeliness page lists, per band, whose conference was held within
its deadline and why each breach happened. Nothing personal: references, bands and times."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from hub import permissions as perm
from hub.conferences import timeliness as timeliness_service
from hub.conferences import urgent as urgent_service
from hub.core.forms import FormErrors
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import Conference, ConferenceKind, ConferenceStatus, Hub, Referral

bp = Blueprint("conference_time", __name__)


# -- urgent conferences ------------------------------------------------------------------------


def _urgent_or_deny(conference_id: int) -> Conference:
    conference = db.session.get(Conference, conference_id)
    if (
        conference is None
        or conference.kind != ConferenceKind.URGENT.value
        or not perm.can_run_conferences(current_user, conference.hub)
    ):
        perm.deny("urgent_conference", target_type="conference", target_id=conference_id)
    return conference


def _urgent_page(conference: Conference, errors: FormErrors | None = None, form=None):
    return render_template(
        "conferences/urgent.html",
        hub=conference.hub,
        conference=conference,
        deadlines=urgent_service.deadlines(conference),
        statuses=ConferenceStatus,
        proposed=conference.status == ConferenceStatus.PROPOSED.value,
        form=form or urgent_service.confirm_form(conference),
        errors=errors or FormErrors(),
    )


@bp.get("/conferences/<int:conference_id>/urgent")
@perm.requires("signed_in")
def urgent(conference_id: int):
    return _urgent_page(_urgent_or_deny(conference_id))


def _answer(conference_id: int, answer):
    conference = _urgent_or_deny(conference_id)
    try:
        message = answer(conference)
    except ValidationError as err:
        db.session.rollback()
        conference = db.session.get(Conference, conference_id)
        form = dict(request.form)
        form["edit_version"] = str(conference.edit_version)
        return _urgent_page(conference, FormErrors(err.messages), form), 400
    db.session.commit()
    for text in message:
        flash(text)
    return redirect(url_for("conferences.show", conference_id=conference_id))


@bp.post("/conferences/<int:conference_id>/urgent/confirm")
@perm.requires("signed_in")
def confirm_urgent(conference_id: int):
    def answer(conference):
        warnings = urgent_service.confirm(conference, request.form, current_user, utcnow())
        return ["Urgent conference confirmed", *warnings]

    return _answer(conference_id, answer)


@bp.post("/conferences/<int:conference_id>/urgent/decline")
@perm.requires("signed_in")
def decline_urgent(conference_id: int):
    def answer(conference):
        urgent_service.decline(conference, request.form, current_user, utcnow())
        return ["Urgent conference declined; the reason is recorded against its referrals"]

    return _answer(conference_id, answer)


# -- timeliness -------------------------------------------------------------------------------


def _hub_or_deny(slug: str) -> Hub:
    hub = db.session.execute(select(Hub).where(Hub.slug == slug)).scalar_one_or_none()
    if hub is None or not perm.can_see_timeliness(current_user, hub):
        perm.deny("conference_timeliness", hub=hub, target_type="hub", target_id=slug)
    return hub


@bp.get("/hubs/<slug>/conferences/timeliness")
@perm.requires("signed_in")
def timeliness(slug: str):
    hub = _hub_or_deny(slug)
    now = utcnow()
    today = now.astimezone(LONDON).date()
    start, end, problems = timeliness_service.date_range(request.args, today)
    found = timeliness_service.rows(hub, now, start, end)
    body = render_template(
        "conferences/timeliness.html",
        hub=hub,
        start=start,
        end=end,
        counts=timeliness_service.summary(found),
        breaches=timeliness_service.breaches(found),
        errors=FormErrors(problems),
        form={
            "from": request.args.get("from", start.isoformat()),
            "to": request.args.get("to", end.isoformat()),
        },
    )
    return body, (400 if problems else 200)


@bp.route("/hubs/<slug>/conferences/timeliness/<int:referral_id>", methods=["GET", "POST"])
@perm.requires("signed_in")
def breach(slug: str, referral_id: int):
    hub = _hub_or_deny(slug)
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.hub_id != hub.id:
        perm.deny("deadline_breach", hub=hub, target_type="referral", target_id=referral_id)
    errors, status, form = FormErrors(), 200, None
    if request.method == "POST":
        try:
            timeliness_service.record_reason(hub, referral_id, request.form, current_user, utcnow())
        except ValidationError as err:
            db.session.rollback()
            errors, status, form = FormErrors(err.messages), 400, dict(request.form)
        else:
            db.session.commit()
            flash(f"Reason recorded for {referral.reference}", "success")
            return redirect(url_for("conference_time.timeliness", slug=hub.slug))
    row = timeliness_service.breach_row(hub, referral_id, utcnow())
    if form is None:
        form = {"reason": (row.reason if row else "") or ""}
    form["version"] = timeliness_service.version_of(row) if row else ""
    body = render_template(
        "conferences/timeliness_reason.html",
        hub=hub,
        row=row,
        reference=referral.reference,
        breach_outcomes=timeliness_service.BREACHES,
        form=form,
        errors=errors,
    )
    return body, status
