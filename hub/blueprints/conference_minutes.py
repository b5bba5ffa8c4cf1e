"""After the meeting: the minutes (on screen and printed), the chair's remarks and approval,
circulation, the printed agenda and the hub's decision log. Every reader in the hub may open
them; what each sees of a case is decided by hub.permissions in hub.conferences.minutes."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from hub import permissions as perm
from hub.conferences import minutes as minutes_service
from hub.core.forms import FormErrors
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    AttendanceStatus,
    Conference,
    ConferenceKind,
    ConferenceStatus,
    DataCategory,
    DecisionKind,
    Hub,
)

bp = Blueprint("conference_minutes", __name__)


def _conference_or_deny(conference_id: int) -> Conference:
    conference = db.session.get(Conference, conference_id)
    if conference is None or not perm.is_in_hub(current_user, conference.hub):
        perm.deny("conference_minutes", target_type="conference", target_id=conference_id)
    return conference


def _labels(**extra) -> dict:
    return {
        "kinds": ConferenceKind,
        "statuses": ConferenceStatus,
        "decision_kinds": DecisionKind,
        "attendance_statuses": AttendanceStatus,
        "category_labels": {c.value: c.label for c in DataCategory},
        "not_shown": minutes_service.NOT_SHOWN,
        **extra,
    }


def _commit_reads():
    """The page is rendered: keep the audit entries and disclosures its reads made."""
    db.session.commit()


def _minutes_page(conference: Conference, errors=None, form=None, status: int = 200):
    minutes = minutes_service.build_minutes(current_user, conference)
    body = render_template(
        "conferences/minutes.html",
        hub=conference.hub,
        conference=conference,
        minutes=minutes,
        can_approve=perm.can_approve_minutes(current_user, conference),
        can_circulate=perm.can_circulate_minutes(current_user, conference),
        errors=errors or FormErrors(),
        form=form or {},
        **_labels(link_cases=True),
    )
    _commit_reads()
    return body, status


@bp.get("/conferences/<int:conference_id>/minutes")
@perm.requires("signed_in")
def show(conference_id: int):
    return _minutes_page(_conference_or_deny(conference_id))


def _write(conference_id: int, may, change, message):
    """Run one change to the minutes for someone allowed to make it; `message` turns what
    the change returned into the confirmation."""
    conference = _conference_or_deny(conference_id)
    if not may(current_user, conference):
        perm.deny(
            "conference_minutes_write",
            hub=conference.hub,
            target_type="conference",
            target_id=conference_id,
        )
    try:
        result = change(conference)
    except ValidationError as err:
        db.session.rollback()
        conference = db.session.get(Conference, conference_id)
        status = 409 if minutes_service.is_stale(err) else 400
        form = {k: v for k, v in request.form.items() if k != "csrf_token"}
        return _minutes_page(conference, FormErrors(err.messages), form, status)
    db.session.commit()
    flash(message(result), "success")
    return redirect(url_for("conference_minutes.show", conference_id=conference_id))


@bp.post("/conferences/<int:conference_id>/minutes/remarks")
@perm.requires("signed_in")
def save_remarks(conference_id: int):
    return _write(
        conference_id,
        perm.can_approve_minutes,
        lambda c: minutes_service.save_remarks(c, request.form, current_user),
        lambda _: "The general remarks are saved.",
    )


@bp.post("/conferences/<int:conference_id>/minutes/approve")
@perm.requires("signed_in")
def approve(conference_id: int):
    return _write(
        conference_id,
        perm.can_approve_minutes,
        lambda c: minutes_service.approve(c, request.form, current_user),
        lambda _: "The minutes are approved.",
    )


@bp.post("/conferences/<int:conference_id>/minutes/circulate")
@perm.requires("signed_in")
def circulate(conference_id: int):
    return _write(
        conference_id,
        perm.can_circulate_minutes,
        lambda c: minutes_service.circulate(c, current_user),
        lambda people: f"The minutes are circulated: a link was emailed to {len(people)} people.",
    )


def _print_page(template: str, conference: Conference, what: str, shown, **extra):
    minutes_service.record_print(current_user, conference, what, shown)
    body = render_template(
        template,
        hub=conference.hub,
        conference=conference,
        printed_at=utcnow(),
        **_labels(link_cases=False),
        **extra,
    )
    _commit_reads()
    return body


@bp.get("/conferences/<int:conference_id>/minutes/print")
@perm.requires("signed_in")
def print_minutes(conference_id: int):
    conference = _conference_or_deny(conference_id)
    minutes = minutes_service.build_minutes(
        current_user, conference, what="conference minutes (printed)"
    )
    return _print_page(
        "conferences/minutes_print.html", conference, "minutes", minutes.items, minutes=minutes
    )


@bp.get("/conferences/<int:conference_id>/agenda/print")
@perm.requires("signed_in")
def print_agenda(conference_id: int):
    conference = _conference_or_deny(conference_id)
    items = minutes_service.agenda_for_print(current_user, conference)
    return _print_page("conferences/agenda_print.html", conference, "agenda", items, items=items)


@bp.get("/hubs/<slug>/decisions")
@perm.requires("signed_in")
def decision_log(slug: str):
    hub = db.session.execute(select(Hub).where(Hub.slug == slug)).scalar_one_or_none()
    if hub is None or not perm.is_in_hub(current_user, hub):
        perm.deny("decision_log", target_type="hub", target_id=slug)
    form = {k: v for k, v in request.args.items() if k != "page" and v.strip()}
    try:
        filters = minutes_service.parse_log_filters(request.args)
    except ValidationError as err:
        page, errors, status = None, FormErrors(err.messages), 400
    else:
        page, errors, status = minutes_service.decision_log(current_user, hub, filters), None, 200
    return render_template(
        "conferences/decisions.html",
        hub=hub,
        page=page,
        form=form,
        errors=errors or FormErrors(),
        decision_kinds=DecisionKind,
        not_shown=minutes_service.NOT_SHOWN,
    ), status
