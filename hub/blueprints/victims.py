"""Victims and their SPoCs: the case's Victim tab (each victim's contact needs, contact log,
call-back and milestones), the forms that change them, and a SPoC's "My victims". Thin:
parse, authorise through hub.permissions, call hub.victims, render."""

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from hub import audit
from hub import permissions as perm
from hub.blueprints.cases import TABS
from hub.casework import membership, workspace
from hub.core.database import commit_reads
from hub.core.forms import FormErrors, attempt, form_data
from hub.core.timeutil import utcnow
from hub.extensions import db, htmx
from hub.models import Case, Hub, Victim
from hub.models.victims import (
    CHANNEL_LABELS,
    SATISFACTION,
    Channel,
    ContactOutcome,
    RiskNow,
    SupportConsent,
)
from hub.victims import call_backs, contacts, letters, milestones, records

bp = Blueprint("victims", __name__)


def _labels() -> dict:
    return {
        "channels": CHANNEL_LABELS,
        "outcomes": {o.value: o.label for o in ContactOutcome},
        "risks": {r.value: r.label for r in RiskNow},
        "consents": {c.value: c.label for c in SupportConsent},
        "satisfaction": SATISFACTION,
    }


def _victim_tab(case: Case) -> dict:
    """What the Victim tab shows the user, read through the permission rule and audited. An
    agency whose agreements do not cover victim contact sees why, and the refusal is
    audited like any other."""
    user = perm.signed_in()
    if not perm.can_read_victims(user, case):
        audit.record(
            "access_denied",
            outcome="denied",
            user=user,
            hub=case.hub_id,
            target=case,
            details={
                "what": "victim contact",
                "method": request.method,
                "path": audit.as_code(request.path),
            },
        )
        return {"victims_not_covered": True}
    victims = records.case_victims(user, case)
    log = contacts.contact_log(user, case)
    open_call_backs = call_backs.case_call_backs(user, case)
    by_victim = milestones.for_victims(user, case, victims)
    shown = list(victims)
    shown += [c for entries in log.values() for c in entries]
    shown += list(open_call_backs.values())
    shown += [m.told for ms in by_victim.values() for m in ms if m.told is not None]
    perm.record_read(user, case, shown, what="victim contact")
    today = call_backs.local_today()
    return {
        "victims": victims,
        "contact_log": log,
        "call_backs": open_call_backs,
        "milestones": by_victim,
        "next_default_on": call_backs.default_due_on(case, today),
        "cadence_days": call_backs.cadence(case.hub_id)[case.band],
        "now": utcnow(),
        "can_write": perm.can_read_victims(user, case, perm.Action.WRITE),
        "spoc_candidates": workspace.spoc_candidates(case),
        "hub_agencies": membership.restrictable_agencies(case),
    }


def _render(case: Case, *, errors=None, form=None, status=200, open_form=None, stale=None):
    ctx = {
        "case": case,
        "tab": "victim",
        "tabs": TABS,
        "today": workspace.today(),
        "errors": errors or FormErrors(),
        "no_errors": FormErrors(),
        "form": form or {},
        "open_form": open_form,
        "stale": stale,
        "labels": _labels(),
        "channels": list(Channel),
    }
    ctx.update(_victim_tab(case))
    partial = bool(htmx) and not htmx.history_restore_request and status == 200
    body = render_template("cases/_tabs.html" if partial else "cases/show.html", **ctx)
    commit_reads()
    response = make_response(body, status)
    response.headers["Vary"] = "HX-Request"
    return response


@bp.get("/cases/<int:case_id>/victim")
@perm.requires("read_case")
def case_tab(case: Case):
    return _render(case)


def _victim(case: Case, victim_id: int) -> Victim:
    """The victim the URL names, when the user may write to their record; else a 404 like a
    missing one, audited."""
    victim = records.victim_or_none(current_user, case, victim_id, perm.Action.WRITE)
    if victim is None:
        perm.deny("policy:write_victims", hub=case.hub, target_type="victim", target_id=victim_id)
    return victim


def _after(case: Case, done, message: str, form: dict, open_form: str):
    if not done:
        case = db.session.get(Case, case.id)
        status = 409 if done.stale else 400
        return _render(case, errors=done.errors, form=form, status=status, open_form=open_form)
    flash(message, "success")
    return redirect(url_for("victims.case_tab", case_id=case.id))


@bp.post("/cases/<int:case_id>/victims")
@perm.requires("write_victims")
def add(case: Case):
    form = form_data()
    done = attempt(records.add_victim, case, form, actor=current_user)
    return _after(case, done, "The victim's record is added.", form, "add")


@bp.route("/cases/<int:case_id>/victims/<int:victim_id>/edit", methods=["GET", "POST"])
@perm.requires("write_victims")
def edit(case: Case, victim_id: int):
    victim = _victim(case, victim_id)
    errors, form, status, stale = FormErrors(), {}, 200, None
    if request.method == "POST":
        form = form_data()
        done = attempt(records.update_victim, case, victim, form, actor=current_user)
        if done:
            flash("The victim's record is saved.", "success")
            return redirect(url_for("victims.case_tab", case_id=case.id))
        victim = db.session.get(Victim, victim_id)
        errors, stale, status = done.errors, done.stale, 409 if done.stale else 400
    perm.record_read(current_user, case, [victim], what="victim contact")
    body = render_template(
        "victims/edit.html",
        case=case,
        victim=victim,
        form=form,
        errors=errors,
        stale=stale,
        labels=_labels(),
        channels=list(Channel),
        spoc_candidates=workspace.spoc_candidates(case),
    )
    commit_reads()
    return make_response(body, status)


@bp.post("/cases/<int:case_id>/victims/<int:victim_id>/contacts")
@perm.requires("write_victims")
def record_contact(case: Case, victim_id: int):
    victim = _victim(case, victim_id)
    form = form_data()
    done = attempt(contacts.record_contact, case, victim, form, actor=current_user)
    if done and done.result.risk_now == RiskNow.HIGHER.value:
        flash(
            "The contact is recorded. The victim says things are worse: the hub's coordinators "
            "are told. Reassess the risk now from the Risk tab.",
            "success",
        )
        return redirect(url_for("cases.show", case_id=case.id, tab="risk") + "#new-assessment")
    return _after(case, done, "The contact is recorded.", form, f"contact-{victim_id}")


@bp.post("/cases/<int:case_id>/victims/<int:victim_id>/call-back")
@perm.requires("write_victims")
def schedule(case: Case, victim_id: int):
    victim = _victim(case, victim_id)
    form = form_data()
    done = attempt(call_backs.schedule, case, victim, form, actor=current_user)
    return _after(case, done, "The call-back is scheduled.", form, f"call-back-{victim_id}")


@bp.post("/cases/<int:case_id>/victims/<int:victim_id>/told")
@perm.requires("write_victims")
def told(case: Case, victim_id: int):
    victim = _victim(case, victim_id)
    form = form_data()
    done = attempt(milestones.mark_told, case, victim, form, actor=current_user)
    return _after(case, done, "Recorded: the victim was told.", form, f"told-{victim_id}")


@bp.post("/cases/<int:case_id>/victims/<int:victim_id>/satisfaction")
@perm.requires("write_victims")
def satisfaction(case: Case, victim_id: int):
    victim = _victim(case, victim_id)
    form = form_data()
    done = attempt(records.record_satisfaction, case, victim, form, actor=current_user)
    return _after(case, done, "The victim's answer is recorded.", form, f"satisfaction-{victim_id}")


@bp.get(
    "/cases/<int:case_id>/victims/<int:victim_id>/letters/<any(introduction, update, closure):kind>"
)
@perm.requires("write_victims")
def letter(case: Case, victim_id: int, kind: str):
    """A letter to print and post: only for a victim whose record says a letter is safe."""
    victim = _victim(case, victim_id)
    try:
        made = letters.make(current_user, case, victim, kind)
    except letters.NotSafe:
        flash("The victim's record does not say a letter is safe, so no letter is made.", "error")
        return redirect(url_for("victims.case_tab", case_id=case.id))
    perm.record_read(current_user, case, [victim], what="victim letter")
    audit.record(
        "victim_letter_made",
        user=current_user,
        hub=case.hub_id,
        target=victim,
        details={"case_id": case.id, "kind": kind},
    )
    body = render_template("victims/letter.html", case=case, letter=made, title=letters.KINDS[kind])
    commit_reads()
    return body


@bp.route("/hubs/<slug>/victims/settings", methods=["GET", "POST"])
@perm.requires("manage_hub")
def settings(hub: Hub):
    """How often SPoCs call victims back, by band: the hub manager's setting."""
    errors, form, status = FormErrors(), {}, 200
    if request.method == "POST":
        form = form_data()
        done = attempt(call_backs.save_cadence, hub, form, actor=current_user)
        if done:
            flash("The call-back cadence is saved.", "success")
            return redirect(url_for("victims.settings", slug=hub.slug))
        errors, status = done.errors, 400
    cadence = call_backs.cadence(hub.id)
    body = render_template(
        "victims/settings.html", hub=hub, cadence=cadence, form=form, errors=errors
    )
    return make_response(body, status)


@bp.post(
    "/cases/<int:case_id>/victims/<int:victim_id>/letters/"
    "<any(introduction, update, closure):kind>/email"
)
@perm.requires("write_victims")
def email_letter(case: Case, victim_id: int, kind: str):
    """Email the letter to a victim who prefers email; the steps in it are recorded as told."""
    victim = _victim(case, victim_id)
    try:
        letters.email(case, victim, kind, actor=current_user)
    except letters.NotSafe:
        db.session.rollback()
        flash("The victim does not prefer email, or has no address: nothing was sent.", "error")
        return redirect(url_for("victims.case_tab", case_id=case.id))
    db.session.commit()
    flash(f"The {letters.KINDS[kind].lower()} letter is emailed to the victim.", "success")
    return redirect(url_for("victims.case_tab", case_id=case.id))


@bp.get("/my-victims")
@perm.requires("spoc")
def mine_home():
    """The menu's "My victims": the first hub in which the person is a SPoC."""
    return redirect(url_for("victims.mine", slug=perm.spoc_hubs(current_user)[0].slug))


@bp.get("/hubs/<slug>/my-victims")
@perm.requires("spoc_work")
def mine(hub: Hub):
    now = utcnow()
    lists = call_backs.my_victims(current_user, hub, now)
    shown = [d.call_back for key in ("overdue", "today", "later") for d in lists[key]]
    shown_victims = {
        d.victim.id: d.victim for key in ("overdue", "today", "later") for d in lists[key]
    }
    shown_victims.update({v.id: v for v, _ in lists["unscheduled"]})
    records_read = {
        "victim": sorted(shown_victims),
        "victim_call_back": sorted(c.id for c in shown),
    }
    perm.list_read(
        current_user,
        hub.id,
        what="my victims",
        records=records_read,
        legal_basis="s115 Crime and Disorder Act 1998",
    )
    body = render_template("victims/mine.html", hub=hub, now=now, **lists)
    commit_reads()
    return body
