"""Case conferences: a hub's list of conferences, each agenda, the coordinator's edits and
the weekly slot, and a calendar invitation."""

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError

from hub import permissions as perm
from hub.casework import board
from hub.conferences import agenda as agenda_service
from hub.conferences import slot as slot_service
from hub.core.forms import FormErrors, attempt
from hub.core.timeutil import format_local, utcnow
from hub.extensions import db
from hub.models import (
    AgendaItem,
    AgendaReason,
    Conference,
    ConferenceKind,
    ConferenceStatus,
    Hub,
    Stage,
)
from hub.models.referral import ReferralStatus

bp = Blueprint("conferences", __name__)


@bp.get("/conferences")
@perm.requires("in_a_hub")
def home():
    return redirect(url_for("conferences.index", slug=perm.hubs_of(current_user)[0].slug))


@bp.get("/hubs/<slug>/conferences")
@perm.requires("hub_member")
def index(hub: Hub):
    upcoming, past = agenda_service.conferences_of(hub, utcnow())
    return render_template(
        "conferences/index.html",
        hub=hub,
        upcoming=upcoming,
        past=past,
        slot=slot_service.slot_for(hub.id),
        weekdays=slot_service.WEEKDAYS,
        kinds=ConferenceKind,
        statuses=ConferenceStatus,
        can_run=perm.can_run_conferences(current_user, hub),
        can_see_timeliness=perm.can_see_timeliness(current_user, hub),
        can_keep_case_reviews=perm.can_keep_case_reviews(current_user, hub),
    )


@bp.route("/hubs/<slug>/conferences/slot", methods=["GET", "POST"])
@perm.requires("run_conferences")
def slot(hub: Hub):
    current = slot_service.slot_for(hub.id)
    errors = FormErrors()
    status = 200
    if request.method == "POST":
        form = request.form
        saved = attempt(slot_service.save_slot, hub, form, current_user)
        if saved:
            flash("Conference slot saved", "success")
            return redirect(url_for("conferences.index", slug=hub.slug))
        errors, status = saved.errors, 400
    elif current is not None:
        values = slot_service.slot_dict(current)
        standing = values.pop("standing")
        form = {k: str(v if v is not None else "") for k, v in values.items()}
        form["version"] = str(current.version)
        form["standing"] = [str(i) for i in standing]
    else:
        form = {"time": "10:00", "agenda_hours_before": "48", "weeks_ahead": "4"}
    body = render_template(
        "conferences/slot.html",
        hub=hub,
        form=form,
        errors=errors,
        weekdays=slot_service.WEEKDAYS[:5],
        people=slot_service.chair_choices(hub),
        partners=sorted(hub.agencies, key=lambda a: a.name),
        standing=set(slot_service.standing_ticked(form)),
    )
    return body, status


def _agenda_page(conference: Conference, errors: FormErrors | None = None, form=None):
    hub = conference.hub
    items = agenda_service.agenda_items(conference)
    # Which cases link through to the workspace, in one query (the rule in SQL).
    linkable = perm.readable_cases(current_user, hub, [i.case_id for i in items])
    no_spoc = board.victims_without_spoc([i.case_id for i in items])
    rows = []
    for item in items:
        # An item whose referral has become a case is the case's (agenda.referral_now_a_case
        # sets case_id and keeps referral_id): the case comes first, as on the chair's page.
        if item.case_id is None:
            ref = item.referral
            rows.append(
                {
                    "item": item,
                    "reference": ref.reference,
                    "kind": "Referral",
                    "band": ref.band,
                    "stage": ReferralStatus(ref.status).label,
                    "lead": None,
                    "deadline": ref.conference_due_by,
                    "late": agenda_service.misses_deadline(conference, ref.conference_due_by),
                    "href": None,
                }
            )
        else:
            case = item.case
            rows.append(
                {
                    "item": item,
                    "reference": case.reference,
                    "kind": "Case",
                    "band": case.band,
                    "stage": Stage(case.stage).label,
                    "lead": case.lead_agency.name if case.lead_agency_id else None,
                    "deadline": case.conference_due_by,
                    "late": agenda_service.misses_deadline(conference, case.conference_due_by),
                    "href": url_for("cases.show", case_id=case.id) if case.id in linkable else None,
                    "no_spoc": case.id in no_spoc,
                }
            )
    return render_template(
        "conferences/show.html",
        hub=hub,
        conference=conference,
        rows=rows,
        kinds=ConferenceKind,
        statuses=ConferenceStatus,
        can_run=perm.can_run_conferences(current_user, hub),
        reason_label=lambda reason: AgendaReason(reason).label,
        errors=errors or FormErrors(),
        form=form or {},
    )


@bp.get("/conferences/<int:conference_id>")
@perm.requires("see_conference")
def show(conference: Conference):
    return _agenda_page(conference)


def _edit(conference: Conference, change):
    edited = attempt(change, conference)
    if not edited:
        conference = db.session.get(Conference, conference.id)
        return _agenda_page(conference, edited.errors, request.form), 400
    return redirect(url_for("conferences.show", conference_id=conference.id))


def _item_of(conference: Conference, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.conference_id != conference.id:
        raise ValidationError({"item": ["That item is not on this agenda"]})
    return item


@bp.post("/conferences/<int:conference_id>/items")
@perm.requires("run_conference")
def add_item(conference: Conference):
    added = attempt(
        agenda_service.add_case, conference, request.form.get("reference", ""), current_user
    )
    if not added:
        conference = db.session.get(Conference, conference.id)
        return _agenda_page(conference, added.errors, request.form), 400
    case = added.result.case
    if agenda_service.misses_deadline(conference, case.conference_due_by):
        # Added, but the partners should know it is late: a critical case may need an
        # urgent conference rather than this one.
        flash(
            f"{case.reference} is on the agenda, but its conference was due by "
            f"{format_local(case.conference_due_by)}, before this conference. "
            f"Consider an urgent conference for it.",
            "warning",
        )
    return redirect(url_for("conferences.show", conference_id=conference.id))


@bp.post("/conferences/<int:conference_id>/items/<int:item_id>/remove")
@perm.requires("run_conference")
def remove_item(conference: Conference, item_id: int):
    return _edit(
        conference,
        lambda c: agenda_service.remove_item(c, _item_of(c, item_id), current_user),
    )


@bp.post("/conferences/<int:conference_id>/items/<int:item_id>/move")
@perm.requires("run_conference")
def move_item(conference: Conference, item_id: int):
    return _edit(
        conference,
        lambda c: agenda_service.move_item(
            c, _item_of(c, item_id), request.form.get("direction", ""), current_user
        ),
    )


@bp.get("/conferences/<int:conference_id>.ics")
@perm.requires("see_conference")
def ics(conference: Conference):
    url = url_for("conferences.show", conference_id=conference.id, _external=True)
    response = make_response(slot_service.ics(conference, url))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="conference-{conference.id}.ics"'
    )
    return response
