"""After the meeting: the minutes (on screen and printed), the chair's remarks and approval,
circulation, the printed agenda and the hub's decision log. Every reader in the hub may open
them; what each sees of a case is decided by hub.permissions in hub.conferences.minutes."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from hub import permissions as perm
from hub.conferences import decision_log as decisions_record
from hub.conferences import minutes as minutes_service
from hub.core.forms import FormErrors, attempt
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
@perm.requires("see_conference")
def show(conference: Conference):
    return _minutes_page(conference)


def _write(conference: Conference, change, message):
    """Run one change to the minutes; `message` turns what the change returned into the
    confirmation."""
    done = attempt(change, conference)
    if not done:
        conference = db.session.get(Conference, conference.id)
        status = 409 if done.stale else 400
        form = {k: v for k, v in request.form.items() if k != "csrf_token"}
        return _minutes_page(conference, done.errors, form, status)
    flash(message(done.result), "success")
    return redirect(url_for("conference_minutes.show", conference_id=conference.id))


@bp.post("/conferences/<int:conference_id>/minutes/remarks")
@perm.requires("approve_minutes")
def save_remarks(conference: Conference):
    return _write(
        conference,
        lambda c: minutes_service.save_remarks(c, request.form, current_user),
        lambda _: "The general remarks are saved.",
    )


@bp.post("/conferences/<int:conference_id>/minutes/approve")
@perm.requires("approve_minutes")
def approve(conference: Conference):
    return _write(
        conference,
        lambda c: minutes_service.approve(c, request.form, current_user),
        lambda _: "The minutes are approved.",
    )


@bp.post("/conferences/<int:conference_id>/minutes/circulate")
@perm.requires("circulate_minutes")
def circulate(conference: Conference):
    return _write(
        conference,
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
@perm.requires("see_conference")
def print_minutes(conference: Conference):
    minutes = minutes_service.build_minutes(
        current_user, conference, what="conference minutes (printed)"
    )
    return _print_page(
        "conferences/minutes_print.html", conference, "minutes", minutes.items, minutes=minutes
    )


@bp.get("/conferences/<int:conference_id>/agenda/print")
@perm.requires("see_conference")
def print_agenda(conference: Conference):
    items = minutes_service.agenda_for_print(current_user, conference)
    return _print_page("conferences/agenda_print.html", conference, "agenda", items, items=items)


@bp.get("/hubs/<slug>/decisions")
@perm.requires("hub_member")
def decision_log(hub: Hub):
    form = {k: v for k, v in request.args.items() if k != "page" and v.strip()}
    parsed = attempt(decisions_record.parse_log_filters, request.args, commit=False)
    page, errors, status = None, parsed.errors, 400
    if parsed:
        page, status = decisions_record.decision_log(current_user, hub, parsed.result), 200
    return render_template(
        "conferences/decisions.html",
        hub=hub,
        page=page,
        form=form,
        errors=errors or FormErrors(),
        decision_kinds=DecisionKind,
        not_shown=minutes_service.NOT_SHOWN,
    ), status
