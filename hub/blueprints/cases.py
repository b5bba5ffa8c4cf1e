"""The case workspace: one URL per tab (htmx swaps the panel; a full page otherwise), and the
forms that change a case. Thin: parse, authorise through hub.permissions, call hub.casework,
render."""

from urllib.parse import parse_qsl, quote, urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from hub import permissions as perm
from hub.casework import (
    actions,
    activity,
    assessments,
    cases,
    evaluations,
    evidence,
    incidents,
    interventions,
    letters,
    membership,
    notes,
    plans,
    powers,
    scores,
    stages,
    workspace,
)
from hub.conferences import decision_log
from hub.core import uploads
from hub.core.database import commit_reads
from hub.core.forms import Attempt, FormErrors, attempt, form_data
from hub.core.locking import StaleForm
from hub.core.timeutil import utcnow
from hub.extensions import db, htmx
from hub.lessons import suggestions
from hub.lessons.library import labels as lesson_labels
from hub.lifecycle import retention
from hub.models import (
    AssessmentKind,
    Case,
    CaseAction,
    ConferenceKind,
    ConferenceStatus,
    DataCategory,
    DecisionKind,
    Evidence,
    Intervention,
    Letter,
    Notification,
    RiskAssessment,
    Stage,
)
from hub.models.casework import (
    EVALUATION_OUTCOMES,
    INTERVENTION_TYPES,
    MEASURE_RESULTS,
    SATISFACTION,
    SUBJECT_AGE_GROUPS,
    WORKED,
)
from hub.models.records import EVIDENCE_KINDS
from hub.victims import records as victim_records
from referrals.matching import place_history
from scoring.rules import CATEGORIES, OVERRIDE_ANSWERS, RISK_FACTORS

bp = Blueprint("cases", __name__)

TABS = {
    "overview": "Overview",
    "referrals": "Referrals and incidents",
    "risk": "Risk",
    "plan": "Plan",
    "actions": "Actions",
    "interventions": "Interventions and powers",
    "evaluation": "Evaluation",
    "evidence": "Evidence and letters",
    "conferences": "Conferences",
    "victim": "Victim",  # served by the victims blueprint (hub.blueprints.victims)
    "activity": "Activity",
}


def _with_vary(response):
    response.headers["Vary"] = "HX-Request"
    return response


def _retention(case: Case) -> dict:
    """A closed case's retention review dates (none for an open case), any legal hold, and
    whether the reader may place or lift one."""
    dates = retention.review_dates(case)
    return {
        "retention": dates,
        "legal_hold": bool(dates) and retention.on_hold(case.id),
        "can_hold": bool(dates) and perm.can_hold_case(perm.signed_in(), case),
    }


def _tab_context(case: Case, tab: str) -> dict:
    user = perm.signed_in()
    ctx = {"case": case, "tab": tab, "tabs": TABS, "today": workspace.today()}
    if tab == "overview":
        ctx.update(workspace.overview(user, case))
        ctx["feed"] = workspace.feed(user, case)
        ctx["marker"] = max([i.activity.id for i in ctx["feed"]], default=0)
        ctx["with_lead"] = True
        ctx["categories"] = sorted(perm.shared_categories(user.agency_id, case.hub_id))
        ctx["hub_agencies"] = membership.restrictable_agencies(case)
        ctx["spoc_candidates"] = workspace.spoc_candidates(case)
        ctx["following"] = activity.is_following(case, user)
        ctx["can_supervise"] = perm.can_supervise_case(user, case)
        ctx.update(_retention(case))
    elif tab == "risk":
        ctx["assessments"] = workspace.assessments(user, case)
        ctx["reassessment_due"] = workspace.reassessment_due(case)
        ctx["review_every_days"] = scores.hub_ruleset(case.hub_id).review_days[case.band]
        ctx["categories"] = sorted(perm.shared_categories(user.agency_id, case.hub_id))
    elif tab in (
        "plan",
        "actions",
        "conferences",
        "evaluation",
    ) and not perm.can_read_working_records(user, case):
        ctx["not_covered"] = True  # working records are incident data (hub.permissions)
    elif tab == "plan":
        ctx["plan"], ctx["revisions"] = workspace.plan_view(user, case)
        ctx["can_supervise"] = perm.can_supervise_case(user, case)
        ctx["suggestions"] = suggestions.for_case(user, case)
        ctx["can_mark"] = perm.can_read_working_records(user, case, perm.Action.WRITE)
        ctx["lesson_labels"] = lesson_labels()
    elif tab == "evaluation":
        ctx.update(evaluations.tab(user, case))
        ctx["satisfaction"] = victim_records.satisfaction_summary(user, case)
    elif tab == "actions":
        ctx["actions"] = workspace.actions(user, case)
        ctx["members"] = membership.member_agencies(case)
        ctx["people"] = workspace.spoc_candidates(case)
        ctx["marker"] = workspace.feed_marker(user, case)
    elif tab == "referrals":
        ctx["timeline"] = workspace.referrals(user, case)
        ctx["place_history"] = place_history(case.hub_id, case.id, workspace.today())
        ctx["incidents"] = workspace.incidents(user, case)
        ctx["history"] = incidents.case_history(case, workspace.today())
        ctx["can_log_incident"] = (
            case.stage != Stage.CLOSED.value
            and (DataCategory.INCIDENT.value in perm.shared_categories(user.agency_id, case.hub_id))
            and perm.can_work_case(user, case, perm.Action.WRITE)
        )
        ctx["hub_agencies"] = membership.restrictable_agencies(case)
    elif tab == "interventions":
        ctx["interventions"] = workspace.interventions(user, case)
        ctx["breach_counts"] = powers.breach_counts([i.id for i in ctx["interventions"]])
        ctx["step_labels"] = powers.STEPS
        ctx["categories"] = sorted(perm.shared_categories(user.agency_id, case.hub_id))
    elif tab == "evidence":
        ctx["evidence"] = evidence.listing(user, case)
        ctx["categories"] = sorted(perm.shared_categories(user.agency_id, case.hub_id))
        ctx["hub_agencies"] = membership.restrictable_agencies(case)
        ctx["accept"] = uploads.ACCEPT
        ctx["allowed_types"] = uploads.ALLOWED_TEXT
        ctx["max_mb"] = current_app.config["EVIDENCE_MAX_BYTES"] // (1024 * 1024)
        ctx["can_add"] = case.stage != Stage.CLOSED.value and perm.can_work_case(
            user, case, perm.Action.WRITE
        )
        ctx["letters"] = letters.listing(user, case)
        ctx["letter_templates"] = letters.TEMPLATES
        ctx["warnings"] = letters.shown_warnings(user, case) if ctx["can_add"] else []
    elif tab == "conferences":
        ctx["conferences"] = decision_log.case_conferences(user, case)
        ctx["conference_kinds"] = ConferenceKind
        ctx["conference_statuses"] = ConferenceStatus
        ctx["decision_kinds"] = DecisionKind
    elif tab == "activity":
        before = request.args.get("before", type=int)
        ctx["feed"] = workspace.feed(user, case, limit=50, before_id=before)
        ctx["marker"] = max([i.activity.id for i in ctx["feed"]], default=0)
        ctx["live"] = before is None
    return ctx


def _render(case: Case, tab: str, *, errors=None, form=None, stale=None, status=200, **extra):
    ctx = _tab_context(case, tab)
    ctx.update(
        errors=errors or FormErrors(),
        form=form or {},
        stale=stale,
        stages=stages.ORDER,
        labels=_labels(),
        **extra,
    )
    partial = bool(htmx) and not htmx.history_restore_request and status == 200
    template = "cases/_tabs.html" if partial else "cases/show.html"
    if not partial and ctx.get("actions") is not None:  # the actions tab has them all
        ctx["next_action"], ctx["sees_actions"] = workspace.soonest_open(ctx["actions"]), True
    elif not partial:  # the header, above the tabs, is drawn with the whole page only
        ctx["next_action"], ctx["sees_actions"] = workspace.next_action(perm.signed_in(), case)
    # A swapped tab brings its own <title> (htmx sets the document's title from it), so the
    # browser tab and history name the case tab shown.
    body = render_template(template, **ctx, swapped=partial)
    commit_reads()
    return _with_vary(make_response(body, status))


def _labels() -> dict:
    return {
        "categories": {c.value: c.label for c in DataCategory},
        "assessment_kinds": list(AssessmentKind),
        "problem_types": CATEGORIES,
        "factors": RISK_FACTORS,
        "overrides": OVERRIDE_ANSWERS,
        "interventions": INTERVENTION_TYPES,
        "age_groups": SUBJECT_AGE_GROUPS,
        "evaluation_outcomes": EVALUATION_OUTCOMES,
        "measure_results": MEASURE_RESULTS,
        "worked": WORKED,
        "satisfaction": SATISFACTION,
        "helped": evaluations.HELPED,
        "evidence_kinds": EVIDENCE_KINDS,
    }


@bp.get("/cases/<int:case_id>", defaults={"tab": "overview"})
@bp.get(
    "/cases/<int:case_id>/"
    "<any(referrals, risk, plan, actions, interventions, evaluation, evidence, conferences, "
    "activity):tab>"
)
@perm.requires("read_case")
def show(case: Case, tab: str):
    return _render(case, tab)


@bp.get("/cases/<int:case_id>/live/<any(feed, actions):part>")
@perm.requires("read_case", polled=True)
def live(case: Case, part: str):
    """Polled every few seconds: 204 (nothing to swap, nothing read) until something the
    user may see has changed, then the fresh fragment. A partner removed from the case is
    refused (and audited) once, and polling stops; the same for a missing case."""
    user = perm.signed_in()  # asked several times: not through the proxy, as the tabs do
    since = request.args.get("since", type=int)
    marker = workspace.feed_marker(user, case)
    if since == marker:
        return _with_vary(make_response("", 204))
    with_lead = part == "feed" and request.args.get("lead") == "1"
    ctx = {"case": case, "today": workspace.today(), "marker": marker, "labels": _labels()}
    ctx["with_lead"] = with_lead
    if part == "feed":
        ctx["feed"] = workspace.feed(user, case)
        template = "cases/_feed.html"
    else:
        ctx["actions"] = workspace.actions(user, case) or []
        template = "cases/_actions_list.html"
    body = render_template(template, **ctx)
    if with_lead:
        # The overview's summary (stage, band, lead, counts), refreshed out of band with the
        # feed: whatever the feed announces, the summary beside it already shows.
        ctx.update(_retention(case))
        body += render_template(
            "cases/_overview_summary.html",
            oob=True,
            **ctx,
            **workspace.overview(user, case),
        )
    commit_reads()
    return _with_vary(make_response(body))


def _done(case: Case, tab: str, message: str):
    flash(message, "success")
    return redirect(url_for("cases.show", case_id=case.id, tab=tab))


def _refused(case: Case, tab: str, refusal: Attempt, form: dict):
    """The tab again, keeping what was typed: what changed meanwhile (409) or the errors."""
    case = db.session.get(Case, case.id)
    if refusal.stale:
        return _render(case, tab, form=form, stale=refusal.stale, status=409)
    return _render(case, tab, errors=refusal.errors, form=form, status=400)


def _write(case: Case, tab: str, change, message: str):
    form = form_data(lists=("restricted_to", "answers"))
    done = attempt(change, case, form, actor=current_user)
    if not done:
        return _refused(case, tab, done, form)
    return _done(case, tab, message)


@bp.post("/cases/<int:case_id>/notes")
@perm.requires("write_case")
def add_note(case: Case):
    return _write(case, "overview", notes.add_note, "Your note is added.")


@bp.post("/cases/<int:case_id>/details")
@perm.requires("write_case")
def update_details(case: Case):
    return _write(case, "overview", cases.update_case, "The case details are saved.")


@bp.post("/cases/<int:case_id>/stage")
@perm.requires("write_case")
def move_stage(case: Case):
    form = form_data()
    back_to_board = form.get("return_to") == "board"
    moved = attempt(
        stages.move_stage,
        case,
        form.get("stage", ""),
        form.get("version"),
        actor=current_user,
        reason=form.get("reason"),
    )
    if not moved and set(moved.messages) == {"reason"} and "confirming" not in form:
        # A move backwards: asked again, on its own page, with the reason it needs.
        return _redirect_any(_confirm_url(case, form))
    if not moved and (not back_to_board or "confirming" in form):
        if "confirming" in form and not moved.stale:
            return _confirm_page(case, form, moved.errors)
        return _refused(case, "overview", moved, form)
    if not moved:
        if moved.stale:
            text = f"{case.reference} was changed by someone else since the board loaded."
        else:
            text = f"{case.reference} cannot move: " + "; ".join(moved.messages.get("stage", []))
        # The category names the case, so the board says it on that card too.
        flash(text, f"refused:{case.id}")
        return redirect(_board_url(case, form.get("board_query", "")))
    flash(f"{case.reference} is now at {Stage(case.stage).label.lower()}.", "success")
    if back_to_board:
        # htmx follows the redirect and swaps the board's columns in place, message and all.
        return redirect(_board_url(case, form.get("board_query", "")))
    return redirect(url_for("cases.show", case_id=case.id))


def _confirm_url(case: Case, form: dict) -> str:
    keep = ("stage", "version", "return_to", "board_query")
    return url_for("cases.confirm_move", case_id=case.id, **{k: form[k] for k in keep if k in form})


def _redirect_any(url: str):
    """A redirect that takes the whole page there, from htmx (the board's cards) too."""
    if htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url)


@bp.get("/cases/<int:case_id>/stage/confirm")
@perm.requires("write_case")
def confirm_move(case: Case):
    form = {k: v for k, v in request.args.items() if v}
    return _confirm_page(case, form, FormErrors())


def _confirm_page(case: Case, form: dict, errors: FormErrors):
    try:
        target = Stage(form.get("stage", ""))
    except ValueError:
        return redirect(url_for("cases.show", case_id=case.id, _anchor="move-stage"))
    cancel = (
        _board_url(case, form.get("board_query", ""))
        if form.get("return_to") == "board"
        else url_for("cases.show", case_id=case.id, _anchor="move-stage")
    )
    return render_template(
        "cases/confirm_move.html",
        case=case,
        current=Stage(case.stage),
        target=target,
        form=form,
        errors=errors,
        cancel=cancel,
    ), (400 if errors else 200)


def _board_url(case: Case, query: str) -> str:
    """Back to the board with its filters: rebuilt from parsed pairs, never a given URL."""
    pairs = urlencode(parse_qsl(query)[:20])
    url = url_for("board.show", slug=case.hub.slug)
    return f"{url}?{pairs}" if pairs else url


@bp.post("/cases/<int:case_id>/follow")
@perm.requires("read_case")
def follow(case: Case):
    if request.form.get("follow") == "no":
        activity.unfollow(case, current_user)
        message = "You no longer follow this case."
    else:
        activity.follow(case, current_user)
        message = "You follow this case: you will be told of updates."
    db.session.commit()
    return _done(case, "overview", message)


@bp.post("/cases/<int:case_id>/legal-hold")
@perm.requires("hold_case")
def legal_hold(case: Case):
    if request.form.get("hold") == "lift":
        retention.lift_hold(case, current_user, utcnow())
        message = "The legal hold is lifted: the case's records end with their retention."
    else:
        retention.place_hold(case, current_user, utcnow())
        message = "The legal hold is in place: nothing of this case is anonymised while it is."
    db.session.commit()
    if request.form.get("back") == "retention":  # lifted from the hub's retention page
        flash(f"{message.rstrip('.')} ({case.reference}).", "success")
        return redirect(url_for("admin.retention", slug=case.hub.slug))
    return _done(case, "overview", message)


@bp.post("/cases/<int:case_id>/plan")
@perm.requires("write_case")
def save_plan(case: Case):
    return _write(case, "plan", plans.save_plan, "The plan is saved.")


@bp.post("/cases/<int:case_id>/plan/sign-off")
@perm.requires("write_case")
def sign_off_plan(case: Case):
    return _write(case, "plan", plans.sign_off_plan, "The plan is signed off.")


@bp.post("/cases/<int:case_id>/evaluation")
@perm.requires("write_case")
def save_evaluation(case: Case):
    return _write(case, "evaluation", evaluations.save_evaluation, "The evaluation is saved.")


@bp.post("/cases/<int:case_id>/evaluation/sign")
@perm.requires("write_case")
def sign_evaluation(case: Case):
    return _write(
        case,
        "evaluation",
        evaluations.sign_evaluation,
        "The evaluation is signed off. It can no longer change; a correction is a new version.",
    )


@bp.post("/cases/<int:case_id>/evaluation/correction")
@perm.requires("write_case")
def correct_evaluation(case: Case):
    return _write(
        case, "evaluation", evaluations.start_correction, "A correction is started as a draft."
    )


@bp.post("/cases/<int:case_id>/actions")
@perm.requires("write_case")
def add_action(case: Case):
    return _write(case, "actions", actions.add_action, "The action is added.")


def _edit_page_refusal(refusal: Attempt) -> tuple[FormErrors, StaleForm | None, int]:
    """An edit page shown again after a refusal: what changed meanwhile (409), or the field
    errors (400); what was typed is kept."""
    if refusal.stale:
        return FormErrors(), refusal.stale, 409
    return refusal.errors, None, 400


@bp.route("/cases/<int:case_id>/actions/<int:action_id>", methods=["GET", "POST"])
@perm.requires("write_case")
def edit_action(case: Case, action_id: int):
    """One action on a page of its own: small enough for an owner updating it from a phone."""
    action = perm.record_or_deny(
        CaseAction,
        action_id,
        # An action is a working record: incident data (hub.permissions).
        lambda user, action: (
            action.case_id == case.id
            and perm.can_read_working_records(user, case, perm.Action.WRITE)
        ),
        "case_action",
        hub=case.hub_id,
    )
    errors, form, stale, status = FormErrors(), None, None, 200
    if request.method == "POST":
        form = form_data()
        updated = attempt(actions.update_action, case, action, form, actor=current_user)
        if updated:
            return _done(case, "actions", "The action is updated.")
        errors, stale, status = _edit_page_refusal(updated)
        case = db.session.get(Case, case.id)
        action = db.session.get(CaseAction, action_id)
    return render_template(
        "cases/action_edit.html",
        case=case,
        action=action,
        form=form,
        errors=errors,
        stale=stale,
        members=membership.member_agencies(case),
        people=workspace.spoc_candidates(case),
        today=workspace.today(),
        history=(history := actions.action_history(action)),
        updates=[r for r in history if r.snapshot.get("added")],
    ), status


@bp.post("/cases/<int:case_id>/risk")
@perm.requires("write_case")
def record_assessment(case: Case):
    return _write(case, "risk", assessments.record_assessment, "The risk assessment is recorded.")


def _may_write_record(case: Case):
    return lambda user, record: perm.can_see_record(user, record, case, perm.Action.WRITE)


@bp.post("/cases/<int:case_id>/risk/<int:assessment_id>/sign")
@perm.requires("write_case")
def sign_assessment(case: Case, assessment_id: int):
    assessment = perm.record_or_deny(
        RiskAssessment, assessment_id, _may_write_record(case), "risk_assessment", hub=case.hub_id
    )
    signed = attempt(assessments.sign_assessment, case, assessment, actor=current_user)
    if not signed:
        return _refused(case, "risk", signed, {})
    message = "The risk assessment is signed."
    if signed.result:
        message += f" The case's band is now {case.band}."
    return _done(case, "risk", message)


@bp.post("/cases/<int:case_id>/incidents")
@perm.requires("write_case")
def log_incident(case: Case):
    form = form_data()
    done = attempt(incidents.log_incident, case, form, actor=current_user)
    if not done:
        return _refused(case, "referrals", done, form)
    message = "The incident is logged and counts in the case's history."
    if done.result.threshold_met:
        message += " The case now meets the ASB case review threshold."
    message += " Consider whether the risk needs reassessing."
    return _done(case, "referrals", message)


@bp.post("/cases/<int:case_id>/evidence")
@perm.requires("write_case")
def upload_evidence(case: Case):
    form = form_data()
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    file = request.files.get("file")
    # One byte over the limit is enough to know it is too large: never read more.
    upload = (file.filename, file.stream.read(limit + 1)) if file and file.filename else None
    done = attempt(
        evidence.upload_evidence,
        case,
        form,
        upload,
        actor=current_user,
        max_bytes=limit,
        commit=False,
    )
    if not done:
        return _refused(case, "evidence", done, form)
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        evidence.discard(done.result)
        raise
    return _done(case, "evidence", "The file is uploaded.")


upload_evidence.max_content_length = "EVIDENCE_REQUEST_MAX_BYTES"  # see hub.core.security


@bp.get("/cases/<int:case_id>/evidence/<int:item_id>/file")
@perm.requires("read_case")
def download_evidence(case: Case, item_id: int):
    item = perm.record_or_deny(
        Evidence,
        item_id,
        lambda user, record: perm.can_see_record(user, record, case),
        "case_evidence",
        hub=case.hub_id,
    )
    try:
        content = evidence.download(case, item, actor=current_user)
    except evidence.EvidenceMissing:
        db.session.rollback()
        abort(404)
    db.session.commit()
    response = make_response(content)
    response.headers["Content-Type"] = item.content_type
    response.headers["Content-Disposition"] = _attachment(item.filename)
    # Never run as a page, even if a browser were to try.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def _attachment(filename: str) -> str:
    """Content-Disposition for a download: an ASCII name, and the UTF-8 one beside it."""
    ascii_name = "".join(c if c.isascii() and c.isalnum() or c in "._- " else "_" for c in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@bp.post("/cases/<int:case_id>/letters")
@perm.requires("write_case")
def write_letter(case: Case):
    form = form_data()
    done = attempt(letters.write_letter, case, form, actor=current_user)
    if not done:
        return _refused(case, "evidence", done, form)
    flash("The letter is made and kept on the case. Print it from this page.", "success")
    return redirect(url_for("cases.show_letter", case_id=case.id, letter_id=done.result.id))


@bp.get("/cases/<int:case_id>/letters/<int:letter_id>")
@perm.requires("read_case")
def show_letter(case: Case, letter_id: int):
    """The letter as issued, on a page of its own that prints on A4."""
    letter = perm.record_or_deny(
        Letter,
        letter_id,
        lambda user, record: perm.can_see_record(user, record, case),
        "case_letter",
        hub=case.hub_id,
    )
    perm.record_read(current_user, case, [letter], what="letter")
    body = render_template(
        "cases/letter.html", case=case, letter=letter, template=letters.TEMPLATES[letter.kind]
    )
    db.session.commit()
    return body


@bp.post("/cases/<int:case_id>/interventions")
@perm.requires("write_case")
def record_intervention(case: Case):
    return _write(case, "interventions", interventions.record_intervention, "The record is added.")


def _intervention(case: Case, item_id: int) -> Intervention:
    return perm.record_or_deny(
        Intervention, item_id, _may_write_record(case), "intervention", hub=case.hub_id
    )


def _intervention_page(case, item, *, form=None, errors=None, stale=None, status=200, part=""):
    """A power's page: the record, its lifecycle and breach log, and the forms that change
    them (`part` names the form a refusal came from, whose typed values are kept)."""
    steps, breaches = powers.history(item)
    perm.record_read(current_user, case, [item], what="intervention")
    body = render_template(
        "cases/intervention_edit.html",
        case=case,
        item=item,
        form=form if part == "" else None,
        step_form=form if part == "step" else {},
        breach_form=form if part == "breach" else {},
        errors=errors or FormErrors(),
        stale=stale,
        labels=_labels(),
        categories=sorted(perm.shared_categories(current_user.agency_id, case.hub_id)),
        steps=steps,
        breaches=breaches,
        next_steps=powers.next_steps(item),
        step_labels=powers.STEPS,
        order_kinds=powers.ORDER_KINDS,
        court_power=item.type in powers.COURT_POWERS,
        issuing=perm.is_issuing_agency(current_user, item),
        may_report_breach=item.status in powers.LIVE,
        today=workspace.today(),
    )
    db.session.commit()
    return body, status


@bp.route("/cases/<int:case_id>/interventions/<int:item_id>", methods=["GET", "POST"])
@perm.requires("write_case")
def edit_intervention(case: Case, item_id: int):
    item = _intervention(case, item_id)
    if request.method == "POST":
        form = form_data()
        updated = attempt(interventions.update_intervention, case, item, form, actor=current_user)
        if updated:
            return _done(case, "interventions", "The record is updated.")
        errors, stale, status = _edit_page_refusal(updated)
        case = db.session.get(Case, case.id)
        item = db.session.get(Intervention, item_id)
        return _intervention_page(case, item, form=form, errors=errors, stale=stale, status=status)
    return _intervention_page(case, item)


def _power_change(case: Case, item_id: int, change, part: str, message: str):
    item = _intervention(case, item_id)
    form = form_data()
    done = attempt(change, case, item, form, actor=current_user)
    if not done:
        errors, stale, status = _edit_page_refusal(done)
        case = db.session.get(Case, case.id)
        item = db.session.get(Intervention, item_id)
        return _intervention_page(
            case, item, form=form, errors=errors, stale=stale, status=status, part=part
        )
    flash(message, "success")
    return redirect(url_for("cases.edit_intervention", case_id=case.id, item_id=item.id))


@bp.post("/cases/<int:case_id>/interventions/<int:item_id>/steps")
@perm.requires("write_case")
def record_power_step(case: Case, item_id: int):
    return _power_change(case, item_id, powers.record_step, "step", "The step is recorded.")


@bp.post("/cases/<int:case_id>/interventions/<int:item_id>/breaches")
@perm.requires("write_case")
def report_breach(case: Case, item_id: int):
    return _power_change(
        case,
        item_id,
        powers.report_breach,
        "breach",
        "The breach is logged and the hub's coordinators are told.",
    )


# -- notifications ----------------------------------------------------------------------------


@bp.get("/notifications")
@perm.requires("signed_in")
def notifications():
    rows = db.session.execute(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.id.desc())
        .limit(100)
    ).scalars()
    return render_template("cases/notifications.html", notifications=list(rows))


@bp.post("/notifications/read")
@perm.requires("signed_in")
def mark_notifications_read():
    now = utcnow()
    for n in db.session.execute(
        select(Notification).where(
            Notification.user_id == current_user.id, Notification.read_at.is_(None)
        )
    ).scalars():
        n.read_at = now
    db.session.commit()
    flash("All notifications are marked as read.", "success")
    return redirect(url_for("cases.notifications"))
