"""Case conferences: a hub's list of conferences, each agenda, the coordinator's edits and
the weekly slot, and a calendar invitation."""

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from hub import permissions as perm
from hub.conferences import agenda as agenda_service
from hub.conferences import slot as slot_service
from hub.core.forms import FormErrors
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    AgendaItem,
    AgendaReason,
    Case,
    Conference,
    ConferenceKind,
    ConferenceStatus,
    Hub,
)

bp = Blueprint("conferences", __name__)


def _hub_or_deny(slug: str) -> Hub:
    hub = db.session.execute(select(Hub).where(Hub.slug == slug)).scalar_one_or_none()
    if hub is None or not perm.is_in_hub(current_user, hub):
        perm.deny("conferences", target_type="hub", target_id=slug)
    return hub


def _conference_or_deny(conference_id: int) -> Conference:
    conference = db.session.get(Conference, conference_id)
    if conference is None or not perm.is_in_hub(current_user, conference.hub):
        perm.deny("conference", target_type="conference", target_id=conference_id)
    return conference


def _runner_or_deny(hub: Hub, what: str, target_type: str, target_id) -> None:
    if not perm.can_run_conferences(current_user, hub):
        perm.deny(what, hub=hub, target_type=target_type, target_id=target_id)


@bp.get("/conferences")
@perm.requires("signed_in")
def home():
    hubs = perm.hubs_of(current_user)
    if not hubs:
        perm.deny("conferences", target_type="hub")
    return redirect(url_for("conferences.index", slug=hubs[0].slug))


@bp.get("/hubs/<slug>/conferences")
@perm.requires("signed_in")
def index(slug: str):
    hub = _hub_or_deny(slug)
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
        can_keep_case_reviews=perm.can_keep_case_reviews(current_user, hub),
    )


@bp.route("/hubs/<slug>/conferences/slot", methods=["GET", "POST"])
@perm.requires("signed_in")
def slot(slug: str):
    hub = _hub_or_deny(slug)
    _runner_or_deny(hub, "conference_slot", "hub", slug)
    current = slot_service.slot_for(hub.id)
    errors = FormErrors()
    status = 200
    if request.method == "POST":
        form = request.form
        try:
            slot_service.save_slot(hub, form, current_user)
        except ValidationError as err:
            db.session.rollback()
            errors, status = FormErrors(err.messages), 400
        else:
            db.session.commit()
            flash("Conference slot saved", "success")
            return redirect(url_for("conferences.index", slug=hub.slug))
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
    case_ids = [i.case_id for i in items if i.case_id]
    linkable = (
        set(
            db.session.execute(
                perm.cases_with_access(current_user, hub)
                .with_only_columns(Case.id)
                .where(Case.id.in_(case_ids))
            ).scalars()
        )
        if case_ids
        else set()
    )
    rows = []
    for item in items:
        if item.referral_id:
            ref = item.referral
            rows.append(
                {
                    "item": item,
                    "reference": ref.reference,
                    "kind": "Referral",
                    "band": ref.band,
                    "stage": "Awaiting triage",
                    "lead": None,
                    "deadline": ref.conference_due_by,
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
                    "stage": case.stage.replace("_", " ").capitalize(),
                    "lead": case.lead_agency.name if case.lead_agency_id else None,
                    "deadline": case.conference_due_by,
                    "href": url_for("cases.show", case_id=case.id) if case.id in linkable else None,
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
@perm.requires("signed_in")
def show(conference_id: int):
    conference = _conference_or_deny(conference_id)
    return _agenda_page(conference)


def _edit(conference_id: int, change):
    conference = _conference_or_deny(conference_id)
    _runner_or_deny(conference.hub, "agenda_edit", "conference", conference_id)
    try:
        change(conference)
    except ValidationError as err:
        db.session.rollback()
        conference = db.session.get(Conference, conference_id)
        return _agenda_page(conference, FormErrors(err.messages), request.form), 400
    db.session.commit()
    return redirect(url_for("conferences.show", conference_id=conference_id))


def _item_of(conference: Conference, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.conference_id != conference.id:
        raise ValidationError({"item": ["That item is not on this agenda"]})
    return item


@bp.post("/conferences/<int:conference_id>/items")
@perm.requires("signed_in")
def add_item(conference_id: int):
    return _edit(
        conference_id,
        lambda c: agenda_service.add_case(c, request.form.get("reference", ""), current_user),
    )


@bp.post("/conferences/<int:conference_id>/items/<int:item_id>/remove")
@perm.requires("signed_in")
def remove_item(conference_id: int, item_id: int):
    return _edit(
        conference_id,
        lambda c: agenda_service.remove_item(c, _item_of(c, item_id), current_user),
    )


@bp.post("/conferences/<int:conference_id>/items/<int:item_id>/move")
@perm.requires("signed_in")
def move_item(conference_id: int, item_id: int):
    return _edit(
        conference_id,
        lambda c: agenda_service.move_item(
            c, _item_of(c, item_id), request.form.get("direction", ""), current_user
        ),
    )


@bp.get("/conferences/<int:conference_id>.ics")
@perm.requires("signed_in")
def ics(conference_id: int):
    conference = _conference_or_deny(conference_id)
    url = url_for("conferences.show", conference_id=conference.id, _external=True)
    response = make_response(slot_service.ics(conference, url))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="conference-{conference.id}.ics"'
    )
    return response
