"""Running a conference live: the chair's page (start and end, attendance, notes and
decisions on each agenda item), and the decisions partners follow on the conference page.
Thin: parse, authorise through hub.permissions, call hub.conferences.running, render."""

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from hub import permissions as perm
from hub.casework import membership, plans, workspace
from hub.conferences import agenda, case_reviews, running
from hub.conferences import decisions as decision_service
from hub.core.forms import FormErrors, attempt, form_data
from hub.extensions import db
from hub.lessons import suggestions
from hub.lessons.library import labels as lesson_labels
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
from hub.sharing import membership as members_service

bp = Blueprint("conference_live", __name__)


def _with_vary(response):
    response.headers["Vary"] = "HX-Request"
    return response


def _item_rows(conference: Conference) -> list[dict]:
    rows = []
    for item in agenda.agenda_items(conference):
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
        writable = case is not None and perm.can_work_case(user, case, perm.Action.WRITE)
        ctx = {
            "case": case,
            "writable": writable,
            "notes": running.item_notes(user, conference, item) if writable else [],
            "item_decisions": decision_service.decisions_of(conference, item),
            "members": membership.member_agencies(case) if case else [],
            "addable": members_service.addable_agencies(case) if case else [],
            "owners": workspace.spoc_candidates(case) if writable else [],
            "plan": plans.plan_of(case) if writable else None,
            "can_open": case is None
            or case.stage in (Stage.REFERRED.value, Stage.AWAITING_CONFERENCE.value),
            "categories": sorted(perm.shared_categories(user.agency_id, conference.hub_id)),
            # An ASB case review application awaiting the partners' threshold decision.
            "review": decision_service.review_on_item(item),
            # Lessons from similar cases, for a case whose working records the user reads.
            "suggestions": suggestions.for_case(user, case)
            if case is not None and perm.can_read_working_records(user, case)
            else None,
            "lesson_labels": lesson_labels(),
        }
    if current is not None and ctx.get("review") is not None:
        # Counts and dates only: what the threshold decision turns on.
        ctx["complaint_count"] = case_reviews.complaint_count(ctx["review"])
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
        can_start=running.can_start(conference),
        **ctx,
    )
    db.session.commit()  # the notes read is audited
    return _with_vary(make_response(body, status))


def _recorded(conference: Conference, item_id, change, *args, form, kind, message, anchor=""):
    """Run one of the chair's changes. Refused: the live page again, the messages on the form
    they belong to (409 for a stale one). Otherwise back to the item, saying what was done."""
    done = attempt(change, conference, *args, actor=current_user)
    if not done:
        conference = db.session.get(Conference, conference.id)
        messages = dict(done.messages)
        # A message about the item or the choice of decision belongs at the top of its form.
        for key in ("item", "kind", "stage"):
            if key in messages:
                messages.setdefault("form", messages.pop(key))
        problems = FormErrors({kind: messages} if kind else messages)
        status = 409 if done.stale else 400
        return _live_page(
            conference, item_id, problems=problems, form=form, form_kind=kind, status=status
        )
    flash(message(done.result) if callable(message) else message, "success")
    url = url_for("conference_live.show", conference_id=conference.id, item=item_id)
    return redirect(url + (f"#{anchor}" if anchor else ""))


@bp.get("/conferences/<int:conference_id>/live")
@perm.requires("run_conference")
def show(conference: Conference):
    return _live_page(conference, request.args.get("item", type=int))


@bp.post("/conferences/<int:conference_id>/live/start")
@perm.requires("run_conference")
def start(conference: Conference):
    form = form_data(keep_blank=True)
    return _recorded(
        conference,
        None,
        running.start_conference,
        form.get("version"),
        form=form,
        kind=None,
        message="The conference has started. You are chairing it.",
    )


@bp.post("/conferences/<int:conference_id>/live/end")
@perm.requires("run_conference")
def end(conference: Conference):
    form = form_data(keep_blank=True)
    return _recorded(
        conference,
        None,
        running.end_conference,
        form.get("version"),
        form=form,
        kind=None,
        message="The conference has ended.",
    )


@bp.post("/conferences/<int:conference_id>/live/attendance")
@perm.requires("run_conference")
def attendance(conference: Conference):
    form = form_data(keep_blank=True)
    item_id = request.args.get("item", type=int)
    return _recorded(
        conference,
        item_id,
        running.record_attendance,
        {k: v for k, v in form.items() if v != ""},
        form=form,
        kind="attendance",
        message="Attendance recorded.",
        anchor="attendance",
    )


@bp.post("/conferences/<int:conference_id>/live/items/<int:item_id>/notes")
@perm.requires("run_conference")
def add_note(conference: Conference, item_id: int):
    form = form_data(keep_blank=True)
    return _recorded(
        conference,
        item_id,
        running.add_item_note,
        db.session.get(AgendaItem, item_id),
        {k: v for k, v in form.items() if v != ""},
        form=form,
        kind="note",
        message="The note is added to the case.",
        anchor="notes",
    )


@bp.post("/conferences/<int:conference_id>/live/items/<int:item_id>/decisions")
@perm.requires("run_conference")
def decide(conference: Conference, item_id: int):
    form = form_data(keep_blank=True)
    kind = form.get("kind") if form.get("kind") in {k.value for k in DecisionKind} else None
    return _recorded(
        conference,
        item_id,
        decision_service.record_decision,
        db.session.get(AgendaItem, item_id),
        form,
        form=form,
        kind=kind,
        message=lambda decision: f"Recorded: {decision.summary}",
        anchor="decisions",
    )


# -- partners following ----------------------------------------------------------------------


@bp.app_template_global("conference_decisions")
def conference_decisions(conference: Conference) -> dict:
    """For the conference page: the decisions as the signed-in reader may see them."""
    return {
        "rows": decision_service.decisions_for(current_user, conference),
        "marker": decision_service.decisions_marker(conference),
    }


@bp.get("/conferences/<int:conference_id>/decisions")
@perm.requires("see_conference", polled=True)
def decisions(conference: Conference):
    """Polled every few seconds from the conference page: 204 until a decision is added."""
    marker = decision_service.decisions_marker(conference)
    if request.args.get("since", type=int) == marker:
        return _with_vary(make_response("", 204))
    body = render_template(
        "conferences/live_decisions.html",
        conference=conference,
        decisions=conference_decisions(conference),
    )
    return _with_vary(make_response(body))
