"""Running a conference live: the chair's page (start and end, attendance, notes and
decisions on each agenda item), and the decisions partners follow on the conference page.
Thin: parse, authorise through hub.permissions, call hub.conferences.running, render."""

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.exceptions import NotFound

from hub import permissions as perm
from hub.casework import StaleEdit, changes, workspace
from hub.conferences import running
from hub.core.forms import FormErrors
from hub.extensions import db, htmx
from hub.models import (
    AgendaItem,
    AgendaReason,
    AttendanceStatus,
    Band,
    CaseReviewApplicant,
    Conference,
    ConferenceKind,
    ConferenceStatus,
    DataCategory,
    DecisionKind,
    Stage,
)
from hub.sharing import agreements

bp = Blueprint("conference_live", __name__)


def _conference_or_deny(conference_id: int) -> Conference:
    conference = db.session.get(Conference, conference_id)
    if conference is None or not perm.is_in_hub(current_user, conference.hub):
        perm.deny("conference", target_type="conference", target_id=conference_id)
    return conference


def _chaired_or_deny(conference_id: int) -> Conference:
    conference = _conference_or_deny(conference_id)
    if not perm.can_run_conferences(current_user, conference.hub):
        perm.deny(
            "conference_live",
            hub=conference.hub,
            target_type="conference",
            target_id=conference_id,
        )
    return conference


def _form() -> dict:
    data = {k: v.strip() for k, v in request.form.items() if k != "csrf_token"}
    if "restricted_to" in request.form:
        data["restricted_to"] = request.form.getlist("restricted_to")
    return data


def _with_vary(response):
    response.headers["Vary"] = "HX-Request"
    return response


def _item_rows(conference: Conference) -> list[dict]:
    rows = []
    for item in running.agenda_items(conference):
        subject = item.case if item.case_id else item.referral
        rows.append(
            {
                "item": item,
                "reference": subject.reference,
                "kind": "Case" if item.case_id else "Referral",
                "band": subject.band,
                "reason": AgendaReason(item.reason).label,
            }
        )
    return rows


def _live_page(
    conference: Conference,
    item_id: int | None = None,
    *,
    problems: FormErrors | None = None,
    form: dict | None = None,
    form_kind: str | None = None,
    status: int = 200,
):
    user = current_user
    rows = _item_rows(conference)
    current = next((r for r in rows if r["item"].id == item_id), rows[0] if rows else None)
    ctx = {}
    if current is not None:
        item = current["item"]
        case = item.case if item.case_id else None
        writable = case is not None and perm.can_access_case(user, case, perm.Action.WRITE)
        ctx = {
            "case": case,
            "writable": writable,
            "notes": running.item_notes(user, conference, item) if writable else [],
            "item_decisions": running.decisions_of(conference, item),
            "members": changes.member_agencies(case) if case else [],
            "addable": agreements.addable_agencies(case) if case else [],
            "owners": workspace.spoc_candidates(case) if writable else [],
            "plan": changes.plan_of(case) if writable else None,
            "can_open": case is None
            or case.stage in (Stage.REFERRED.value, Stage.AWAITING_CONFERENCE.value),
            "categories": sorted(perm.shared_categories(user.agency_id, conference.hub_id)),
            # An ASB case review application awaiting the partners' threshold decision.
            "review": running.review_on_item(item),
        }
    attendance = running.attendance_of(conference)
    body = render_template(
        "conferences/live.html",
        hub=conference.hub,
        conference=conference,
        rows=rows,
        current=current,
        problems=problems or FormErrors(),
        form=form or {},
        form_kind=form_kind,
        expected=running.expected_agencies(conference),
        attendance=attendance,
        partners=sorted(conference.hub.agencies, key=lambda a: a.name),
        people=running.hub_people(conference),
        kinds=ConferenceKind,
        statuses=ConferenceStatus,
        decision_kinds=DecisionKind,
        applicants=CaseReviewApplicant,
        attendance_statuses=list(AttendanceStatus),
        bands=list(Band),
        stages=Stage,
        category_labels={c.value: c.label for c in DataCategory},
        today=workspace.today(),
        **ctx,
    )
    db.session.commit()  # the notes read is audited
    return _with_vary(make_response(body, status))


def _refused(conference_id: int, item_id, exc: ValidationError, form: dict, kind: str | None):
    db.session.rollback()
    conference = db.session.get(Conference, conference_id)
    messages = dict(exc.messages) if isinstance(exc.messages, dict) else {"form": exc.messages}
    # A message about the item or the choice of decision belongs at the top of its form.
    for key in ("item", "kind", "stage"):
        if key in messages:
            messages.setdefault("form", messages.pop(key))
    status = 409 if isinstance(exc, running.ConferenceChanged | StaleEdit) else 400
    if isinstance(exc, StaleEdit):
        messages = {"form": ["The case changed since you opened the page. Check it and try again."]}
    problems = FormErrors({kind: messages} if kind else messages)
    return _live_page(
        conference, item_id, problems=problems, form=form, form_kind=kind, status=status
    )


def _done(conference: Conference, item_id, message: str, anchor: str = ""):
    db.session.commit()
    flash(message, "success")
    url = url_for("conference_live.show", conference_id=conference.id, item=item_id)
    return redirect(url + (f"#{anchor}" if anchor else ""))


@bp.get("/conferences/<int:conference_id>/live")
@perm.requires("signed_in")
def show(conference_id: int):
    conference = _chaired_or_deny(conference_id)
    return _live_page(conference, request.args.get("item", type=int))


@bp.post("/conferences/<int:conference_id>/live/start")
@perm.requires("signed_in")
def start(conference_id: int):
    conference = _chaired_or_deny(conference_id)
    form = _form()
    try:
        running.start_conference(conference, form.get("version"), actor=current_user)
    except ValidationError as exc:
        return _refused(conference_id, None, exc, form, None)
    return _done(conference, None, "The conference has started. You are chairing it.")


@bp.post("/conferences/<int:conference_id>/live/end")
@perm.requires("signed_in")
def end(conference_id: int):
    conference = _chaired_or_deny(conference_id)
    form = _form()
    try:
        running.end_conference(conference, form.get("version"), actor=current_user)
    except ValidationError as exc:
        return _refused(conference_id, None, exc, form, None)
    return _done(conference, None, "The conference has ended.")


@bp.post("/conferences/<int:conference_id>/live/attendance")
@perm.requires("signed_in")
def attendance(conference_id: int):
    conference = _chaired_or_deny(conference_id)
    form = _form()
    item_id = request.args.get("item", type=int)
    data = {k: v for k, v in form.items() if v != ""}
    try:
        running.record_attendance(conference, data, actor=current_user)
    except ValidationError as exc:
        return _refused(conference_id, item_id, exc, form, "attendance")
    return _done(conference, item_id, "Attendance recorded.", "attendance")


@bp.post("/conferences/<int:conference_id>/live/items/<int:item_id>/notes")
@perm.requires("signed_in")
def add_note(conference_id: int, item_id: int):
    conference = _chaired_or_deny(conference_id)
    form = _form()
    item = db.session.get(AgendaItem, item_id)
    data = {k: v for k, v in form.items() if v != ""}
    try:
        running.add_item_note(conference, item, data, actor=current_user)
    except ValidationError as exc:
        return _refused(conference_id, item_id, exc, form, "note")
    return _done(conference, item_id, "The note is added to the case.", "notes")


@bp.post("/conferences/<int:conference_id>/live/items/<int:item_id>/decisions")
@perm.requires("signed_in")
def decide(conference_id: int, item_id: int):
    conference = _chaired_or_deny(conference_id)
    form = _form()
    item = db.session.get(AgendaItem, item_id)
    kind = form.get("kind") if form.get("kind") in {k.value for k in DecisionKind} else None
    try:
        decision = running.record_decision(conference, item, form, actor=current_user)
    except (ValidationError, StaleEdit) as exc:
        return _refused(conference_id, item_id, exc, form, kind)
    return _done(conference, item_id, f"Recorded: {decision.summary}", "decisions")


# -- partners following ----------------------------------------------------------------------


@bp.app_template_global("conference_decisions")
def conference_decisions(conference: Conference) -> dict:
    """For the conference page: the decisions as the signed-in reader may see them."""
    return {
        "rows": running.decisions_for(current_user, conference),
        "marker": running.decisions_marker(conference),
    }


@bp.get("/conferences/<int:conference_id>/decisions")
@perm.requires("signed_in")
def decisions(conference_id: int):
    """Polled every few seconds from the conference page: 204 until a decision is added."""
    try:
        conference = _conference_or_deny(conference_id)
    except NotFound:
        if htmx:
            return _with_vary(make_response("", 286))  # stop polling: refused once, not forever
        raise
    marker = running.decisions_marker(conference)
    if request.args.get("since", type=int) == marker:
        return _with_vary(make_response("", 204))
    body = render_template(
        "conferences/live_decisions.html",
        conference=conference,
        decisions=conference_decisions(conference),
    )
    return _with_vary(make_response(body))
