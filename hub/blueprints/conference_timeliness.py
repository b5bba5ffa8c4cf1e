"""Keeping conferences on time: a coordinator confirms or declines a proposed urgent
conference, and the hub's timeliness page lists, per band, whose conference was held within
its deadline and why each breach happened. Nothing personal: references, bands and times."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from hub import permissions as perm
from hub.conferences import invitations
from hub.conferences import timeliness as timeliness_service
from hub.conferences import urgent as urgent_service
from hub.core.forms import FormErrors, attempt
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    CaseDeadline,
    Conference,
    ConferenceStatus,
    DeadlineSource,
    Hub,
    Referral,
)

bp = Blueprint("conference_time", __name__)


# -- urgent conferences ------------------------------------------------------------------------


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
@perm.requires("answer_urgent_conference")
def urgent(conference: Conference):
    return _urgent_page(conference)


def _answer(conference: Conference, answer):
    answered = attempt(answer, conference)
    if not answered:
        conference = db.session.get(Conference, conference.id)
        form = dict(request.form)
        form["edit_version"] = str(conference.edit_version)
        return _urgent_page(conference, answered.errors, form), 400
    for text in answered.result:
        flash(text)
    return redirect(url_for("conferences.show", conference_id=conference.id))


@bp.post("/conferences/<int:conference_id>/urgent/confirm")
@perm.requires("answer_urgent_conference")
def confirm_urgent(conference: Conference):
    def answer(conference):
        warnings = urgent_service.confirm(conference, request.form, current_user, utcnow())
        invited = invitations.invite(conference, actor=current_user)
        return [f"Urgent conference confirmed: {invited} people invited by email", *warnings]

    return _answer(conference, answer)


@bp.post("/conferences/<int:conference_id>/urgent/decline")
@perm.requires("answer_urgent_conference")
def decline_urgent(conference: Conference):
    def answer(conference):
        urgent_service.decline(conference, request.form, current_user, utcnow())
        return ["Urgent conference declined; the reason is recorded against its referrals"]

    return _answer(conference, answer)


# -- timeliness -------------------------------------------------------------------------------


@bp.get("/hubs/<slug>/conferences/timeliness")
@perm.requires("see_timeliness")
def timeliness(hub: Hub):
    now = utcnow()
    today = now.astimezone(LONDON).date()
    start, end, problems = timeliness_service.date_range(request.args, today)
    found = timeliness_service.all_rows(hub, now, start, end)
    body = render_template(
        "conferences/timeliness.html",
        hub=hub,
        start=start,
        end=end,
        counts=timeliness_service.summary(found),
        breaches=timeliness_service.breaches(found),
        source_labels={s.value: s.label for s in DeadlineSource},
        can_record=perm.can_record_breach_reasons(current_user, hub),
        errors=FormErrors(problems),
        form={
            "from": request.args.get("from", start.isoformat()),
            "to": request.args.get("to", end.isoformat()),
        },
    )
    return body, (400 if problems else 200)


@bp.route("/hubs/<slug>/conferences/timeliness/<int:referral_id>", methods=["GET", "POST"])
@perm.requires("record_breach_reasons")
def breach(hub: Hub, referral_id: int):
    referral = perm.record_or_deny(
        Referral,
        referral_id,
        lambda user, referral: referral.hub_id == hub.id,
        "deadline_breach",
        hub=hub,
    )
    return _breach_page(hub, referral.reference, referral_id=referral_id)


@bp.route("/hubs/<slug>/conferences/timeliness/cases/<int:deadline_id>", methods=["GET", "POST"])
@perm.requires("record_breach_reasons")
def case_breach(hub: Hub, deadline_id: int):
    """Why a case's raised deadline (a reassessment, a conference decision, a new incident)
    was missed."""
    deadline = perm.record_or_deny(
        CaseDeadline,
        deadline_id,
        lambda user, deadline: deadline.hub_id == hub.id and deadline.referral_id is None,
        "deadline_breach",
        hub=hub,
    )
    return _breach_page(hub, deadline.case.reference, case_deadline_id=deadline_id)


def _breach_page(hub: Hub, reference: str, referral_id=None, case_deadline_id=None):
    errors, status, form = FormErrors(), 200, None
    if request.method == "POST":
        recorded = attempt(
            timeliness_service.record_reason,
            hub,
            referral_id,
            request.form,
            current_user,
            utcnow(),
            case_deadline_id,
        )
        if recorded:
            flash(f"Reason recorded for {reference}", "success")
            return redirect(url_for("conference_time.timeliness", slug=hub.slug))
        errors, status, form = recorded.errors, 400, dict(request.form)
    row = timeliness_service.breach_row(hub, referral_id, utcnow(), case_deadline_id)
    if form is None:
        form = {"reason": (row.reason if row else "") or ""}
    form["version"] = timeliness_service.version_of(row) if row else ""
    body = render_template(
        "conferences/timeliness_reason.html",
        hub=hub,
        row=row,
        reference=reference,
        breach_outcomes=timeliness_service.BREACHES,
        form=form,
        errors=errors,
    )
    return body, status
