"""Referrals on the web: the question flow (a draft saved page by page), check your answers,
confirmation, "My referrals", and the coordinators' triage queue. Thin: parse, authorise,
call referrals/, render."""

import secrets

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from hub import permissions as perm
from hub.core.database import commit_reads
from hub.core.forms import FormErrors, attempt
from hub.extensions import db
from hub.models import Agency, Case, Hub, Referral, Stage
from hub.models.referral import AGE_BANDS, VULNERABILITIES, About, AsbCategory, PersonRole
from referrals import classification, intake, present, triage, webform
from referrals.schemas import RISK_QUESTIONS

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
# Triage is its own blueprint so the menu can mark "Referrals" and "Triage" apart.
triage_bp = Blueprint("triage", __name__, url_prefix="/triage")
requires_referrer = perm.requires("referrer")
requires_triage = perm.requires("triage")

_TOKENS = "referral_form_tokens"


def _draft_or_deny(referral_id: int) -> Referral:
    return perm.record_or_deny(Referral, referral_id, perm.can_edit_draft, "policy:edit_draft")


class StepErrors(FormErrors):
    """Errors on check-your-answers: each links to the page where the answer is changed."""

    def __init__(self, messages, referral_id: int):
        super().__init__(webform.page_messages(messages))
        self._links = {}
        for field in self.by_field:
            top = field.split("-")[0]
            step = webform.FIELD_STEP.get(top, webform.FIELD_STEP.get(_top_field(top), "start"))
            if step == "people":
                self._links[field] = url_for("referrals.people", referral_id=referral_id)
            else:
                self._links[field] = url_for("referrals.step", referral_id=referral_id, step=step)

    def summary(self):
        return [{"text": t, "href": self._links[f]} for f, t in self.by_field.items()]


def _top_field(name: str) -> str:
    if name.startswith("consent_"):
        return "consent"
    if name in ("address", "postcode", "lat", "lon"):
        return "location"
    return name


# -- my referrals ------------------------------------------------------------------------------


@bp.get("/")
@requires_referrer
def index():
    rows = list(
        db.session.execute(
            perm.referrals_visible(current_user)
            .where(Referral.agency_id == current_user.agency_id)
            .order_by(Referral.updated_at.desc())
            .limit(200)
        ).scalars()
    )
    html = render_template("referrals/index.html", referrals=rows)
    present.audit_list(current_user, rows, what="my referrals")
    commit_reads()
    return html


# -- the question flow -------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@requires_referrer
def new():
    hubs = perm.referral_hubs(current_user)
    errors, form = FormErrors(), {}
    if request.method == "POST":
        form = {k: v.strip() for k, v in request.form.items()}
        hub = next((h for h in hubs if h.slug == form.get("hub")), None)
        # With one hub the form asks nothing; a hub named but not among the user's is refused,
        # never swapped for another.
        if hub is None and len(hubs) == 1 and not form.get("hub"):
            hub = hubs[0]
        started = attempt(_start, hub)
        if started:
            return redirect(url_for("referrals.step", referral_id=started.result.id, step="what"))
        errors = started.errors
    return _render_step("start", None, errors, form or {}, hubs=hubs)


def _start(hub: Hub | None) -> Referral:
    if hub is None:
        raise ValidationError({"hub": ["Choose the hub to refer to"]})
    values = webform.validate_step("start", webform.values_from_form("start", request.form))
    return intake.save_draft(current_user, hub, values)


@bp.route(
    "/<int:referral_id>/<any(start, what, where, consent, risk):step>", methods=["GET", "POST"]
)
@perm.requires("edit_draft")
def step(referral: Referral, step: str):
    draft = referral
    if request.method == "GET":
        return _render_step(step, draft, FormErrors(), webform.form_values(draft.draft or {}))
    values = webform.values_from_form(step, request.form)
    saved = attempt(_save_step, draft, step, values)
    if not saved:
        shown = webform.form_values(values)
        shown["first_incident_on"] = {
            p: request.form.get(f"first_incident_on-{p}", "") for p in ("day", "month", "year")
        }
        return _render_step(step, draft, saved.errors, shown)
    return _after_save(draft, step)


def _save_step(draft: Referral, step: str, values: dict) -> Referral:
    webform.validate_step(step, values)
    return intake.save_draft(current_user, draft.hub, values, draft)


def _after_save(draft: Referral, step: str):
    if request.form.get("action") == "save":
        flash(f"Your draft is saved. You can come back to it from {_my}.", "success")
        return redirect(url_for("referrals.index"))
    if request.args.get("check"):
        return redirect(url_for("referrals.check", referral_id=draft.id))
    following = webform.next_step(step)
    if following == "check":
        return redirect(url_for("referrals.check", referral_id=draft.id))
    if following == "people":
        return redirect(url_for("referrals.people", referral_id=draft.id))
    return redirect(url_for("referrals.step", referral_id=draft.id, step=following))


_my = "My referrals"


def _render_step(step, draft, errors, form, **extra):
    return render_template(
        f"referrals/step_{step}.html",
        draft=draft,
        step=step,
        errors=errors,
        form=form,
        about_choices=list(About),
        categories=list(AsbCategory),
        risk_questions=RISK_QUESTIONS,
        classification=classification.for_hub(draft.hub_id) if step == "what" else None,
        checking=bool(request.args.get("check")),
        **extra,
    ), (400 if errors else 200)


@bp.route("/<int:referral_id>/people", methods=["GET", "POST"])
@perm.requires("edit_draft")
def people(referral: Referral):
    draft = referral
    errors, form = FormErrors(), {}
    if request.method == "POST":
        action = request.form.get("action", "add")
        person = webform.person_from_form(request.form)
        empty = not any(v for k, v in person.items() if k != "vulnerabilities")
        if action != "add" and empty:
            if action == "save":
                flash(f"Your draft is saved. You can come back to it from {_my}.", "success")
                return redirect(url_for("referrals.index"))
            return redirect(url_for("referrals.step", referral_id=draft.id, step="consent"))
        added = attempt(_add_person, draft, person)
        if added and action == "add":
            flash("Person added. Add another, or continue.", "success")
            return redirect(url_for("referrals.people", referral_id=draft.id))
        if added:
            return redirect(url_for("referrals.step", referral_id=draft.id, step="consent"))
        errors, form = added.errors, dict(request.form)
        form["vulnerabilities"] = request.form.getlist("vulnerabilities")
    return render_template(
        "referrals/step_people.html",
        draft=draft,
        step="people",
        errors=errors,
        form=form,
        roles=list(PersonRole),
        age_bands=AGE_BANDS,
        vulnerabilities=VULNERABILITIES,
    ), (400 if errors else 200)


def _add_person(draft: Referral, person: dict) -> Referral:
    loaded = webform.validate_person(person, len((draft.draft or {}).get("people", [])))
    stored = {k: v for k, v in loaded.items() if v not in (None, [], False)}
    if loaded.get("date_of_birth"):
        stored["date_of_birth"] = loaded["date_of_birth"].isoformat()
    stored["vulnerabilities"] = loaded["vulnerabilities"]
    people_now = [*(draft.draft or {}).get("people", []), stored]
    return intake.save_draft(current_user, draft.hub, {"people": people_now}, draft)


@bp.post("/<int:referral_id>/people/<int:index>/remove")
@perm.requires("edit_draft")
def remove_person(referral: Referral, index: int):
    draft = referral
    people_list = list((draft.draft or {}).get("people", []))
    if 0 <= index < len(people_list):
        del people_list[index]
        intake.save_draft(current_user, draft.hub, {"people": people_list}, draft)
        db.session.commit()
        flash("Person removed.", "success")
    return redirect(url_for("referrals.people", referral_id=draft.id))


@bp.route("/<int:referral_id>/check", methods=["GET", "POST"])
@requires_referrer
def check(referral_id: int):
    if request.method == "POST":
        token = request.form.get("form_token", "")
        # A second click or a resubmitted form: show the referral the first one made.
        done = (
            db.session.execute(
                select(Referral).where(
                    Referral.form_token == token, Referral.user_id == current_user.id
                )
            ).scalar_one_or_none()
            if token
            else None
        )
        if done is not None:
            return redirect(url_for("referrals.show", referral_id=done.id, confirmation=1))
        draft = _draft_or_deny(referral_id)
        if token not in session.get(_TOKENS, {}).get(str(draft.id), []):
            flash(
                "This page had expired, so nothing was sent. Check your answers and send it again."
            )
            return redirect(url_for("referrals.check", referral_id=draft.id))
        submitted = attempt(
            intake.submit_referral,
            dict(draft.draft or {}),
            user=current_user,
            form_token=token,
            draft=draft,
        )
        if not submitted:
            draft = _draft_or_deny(referral_id)
            return _render_check(draft, StepErrors(submitted.messages, draft.id))
        referral, _ = submitted.result
        session.get(_TOKENS, {}).pop(str(referral.id), None)
        session.modified = True
        return redirect(url_for("referrals.show", referral_id=referral.id, confirmation=1))
    draft = _draft_or_deny(referral_id)
    return _render_check(draft, FormErrors())


def _render_check(draft: Referral, errors):
    token = secrets.token_urlsafe(24)
    tokens = session.setdefault(_TOKENS, {})
    # A few live tokens per draft (several tabs); each works once.
    tokens[str(draft.id)] = [*tokens.get(str(draft.id), [])[-4:], token]
    session.modified = True
    return render_template(
        "referrals/check.html",
        draft=draft,
        data=draft.draft or {},
        errors=errors,
        form_token=token,
        incomplete=webform.incomplete_steps(draft.draft or {}),
        risk_questions=RISK_QUESTIONS,
        vulnerabilities=VULNERABILITIES,
    ), (400 if errors else 200)


@bp.post("/<int:referral_id>/delete")
@perm.requires("edit_draft")
def delete(referral: Referral):
    draft = referral
    intake.delete_draft(current_user, draft)
    db.session.commit()
    flash("The draft is deleted.", "success")
    return redirect(url_for("referrals.index"))


# -- one referral ------------------------------------------------------------------------------


@bp.get("/<int:referral_id>")
@perm.requires("see_referral")
def show(referral: Referral):
    if referral.status == "draft":
        return redirect(url_for("referrals.check", referral_id=referral.id))
    people = perm.referral_people(current_user, referral)
    present.audit_read(referral, current_user, people)
    db.session.commit()
    return render_template(
        "referrals/show.html",
        referral=referral,
        people=people,
        outcome=present.outcome_dict(referral, current_user),
        confirmation=bool(request.args.get("confirmation")) and referral.user_id == current_user.id,
        risk_questions=RISK_QUESTIONS,
        vulnerabilities=VULNERABILITIES,
        can_triage=perm.can_triage(current_user, referral.hub_id)
        and referral.status == "submitted",
        # The case reference links only for someone the permission module lets open the case.
        case_href=url_for("cases.show", case_id=referral.case_id)
        if referral.case_id and perm.can_work_case(current_user, referral.case)
        else None,
    )


# -- triage ------------------------------------------------------------------------------------


_QUEUE_COLUMNS = (
    Referral.id,
    Referral.hub_id,
    Referral.agency_id,
    Referral.case_id,
    Referral.reference,
    Referral.band,
    Referral.conference_due_by,
    Referral.summary,
    Referral.score,
    Referral.suggested_case_ids,
)


@triage_bp.get("/")
@requires_triage
def queue():
    # The queue's columns alone, as rows: a referral has some seventy columns, and making
    # up to 500 of them into objects cost more than the page's SQL.
    query = (
        triage.triage_queue(current_user)
        .with_only_columns(*_QUEUE_COLUMNS, Agency.name.label("agency_name"))
        .join(Agency, Agency.id == Referral.agency_id)
    )
    rows = db.session.execute(query.limit(500)).all()
    html = render_template("referrals/triage_queue.html", referrals=rows)
    present.audit_list(current_user, rows, what="triage queue")
    commit_reads()
    return html


@triage_bp.route("/<int:referral_id>", methods=["GET", "POST"])
@perm.requires("triage_referral")
def decide(referral: Referral):
    if referral.status != "submitted":
        return redirect(url_for("referrals.show", referral_id=referral.id))
    errors, form = FormErrors(), {}
    if request.method == "POST":
        form = {k: v.strip() for k, v in request.form.items() if k != "csrf_token"}
        data = {k: form.get(k) or None for k in ("decision", "case_id", "agency_id", "version")}
        for k in ("case_id", "agency_id", "version"):
            data[k] = int(data[k]) if data[k] and data[k].isdigit() else data[k]
        data["reason"] = form.get("reason", "")
        data["title"] = form.get("title", "")
        data["band"] = form.get("band") or None
        data["band_reason"] = form.get("band_reason", "")
        decided = attempt(triage.decide, referral, data, user=current_user)
        if not decided:
            errors = decided.errors
            referral = db.session.get(Referral, referral.id)
        else:
            flash(f"{referral.reference}: {referral.decision_label}.", "success")
            return redirect(url_for("triage.queue"))
    people = list(referral.people)  # awaiting triage: the hub's triage reads them all
    present.audit_read(referral, current_user, people)
    db.session.commit()
    hub = db.session.get(Hub, referral.hub_id)
    open_cases = db.session.execute(
        perm.board_cases(current_user, hub)
        .where(Case.stage != Stage.CLOSED.value)
        .order_by(Case.reference)
    ).scalars()
    return render_template(
        "referrals/triage.html",
        referral=referral,
        people=people,
        outcome=present.outcome_dict(referral, current_user),
        suggested=triage.suggested_cases(referral),
        default_title=triage.default_case_title(referral),
        open_cases=list(open_cases),
        agencies=[a for a in hub.agencies],
        errors=errors,
        form=form,
        risk_questions=RISK_QUESTIONS,
        vulnerabilities=VULNERABILITIES,
    ), (400 if errors else 200)
