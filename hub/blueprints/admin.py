"""Administration: hubs and agencies (system administrators), a hub's partners and people
(hub managers), an agency's people (agency managers), a hub's retention (its managers and
data protection officer)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from hub import permissions as perm
from hub.accounts import tokens
from hub.core.forms import FormErrors, attempt, form_data
from hub.core.timeutil import local, utcnow
from hub.extensions import db
from hub.lifecycle import retention
from hub.models import Agency, AgencyKind, Hub, User, UserRole
from hub.organisation import admin, scoring_rules

bp = Blueprint("admin", __name__, url_prefix="/admin")
requires_admin = perm.requires("user_admin")


def _form() -> dict:
    return {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip()}


@bp.get("/")
@requires_admin
def index():
    managed = [h for h in perm.hubs_of(current_user) if perm.can_manage_hub(current_user, h)]
    if perm.is_sysadmin(current_user):
        managed = db.session.execute(select(Hub).order_by(Hub.name)).scalars().all()
    return render_template("admin/index.html", managed_hubs=managed)


# -- hubs and agencies (system administrators) -------------------------------------------------


@bp.route("/hubs", methods=["GET", "POST"])
@perm.requires("sysadmin")
def hubs():
    errors, form = FormErrors(), {}
    if request.method == "POST":
        form = _form()
        created = attempt(admin.create_hub, form, actor=current_user)
        if created:
            hub = created.result
            flash(f"{hub.name} is created. Add its partner agencies next.", "success")
            return redirect(url_for("admin.hub", slug=hub.slug))
        errors = created.errors
    all_hubs = db.session.execute(select(Hub).order_by(Hub.name)).scalars().all()
    return render_template("admin/hubs.html", hubs=all_hubs, errors=errors, form=form), (
        400 if errors else 200
    )


@bp.route("/agencies", methods=["GET", "POST"])
@perm.requires("sysadmin")
def agencies():
    errors, form = FormErrors(), {}
    if request.method == "POST":
        form = _form()
        created = attempt(admin.create_agency, form, actor=current_user)
        if created:
            flash(f"{created.result.name} is added.", "success")
            return redirect(url_for("admin.agencies"))
        errors = created.errors
    rows = db.session.execute(select(Agency).order_by(Agency.name)).scalars().all()
    return render_template(
        "admin/agencies.html", agencies=rows, kinds=list(AgencyKind), errors=errors, form=form
    ), (400 if errors else 200)


# -- one hub (hub managers) --------------------------------------------------------------------


@bp.get("/hubs/<slug>", endpoint="hub")
@perm.requires("manage_hub")
def hub_page(hub: Hub):
    return _render_hub(hub, FormErrors(), {})


def _render_hub(hub: Hub, errors: FormErrors, form: dict):
    partner_ids = {a.id for a in hub.agencies}
    others = db.session.execute(
        select(Agency).where(Agency.id.not_in(partner_ids)).order_by(Agency.name)
    ).scalars()
    people = db.session.execute(
        select(User).where(User.agency_id.in_(partner_ids)).order_by(User.name)
    ).scalars()
    return render_template(
        "admin/hub.html",
        hub=hub,
        other_agencies=list(others),
        people=list(people),
        kinds=list(AgencyKind),
        errors=errors,
        form=form,
    ), (400 if errors else 200)


def _partner(hub: Hub, form: dict) -> Agency:
    """An existing agency chosen from the list, or a new one described in the form."""
    if not form.get("agency_id"):
        return admin.create_agency(form, actor=current_user, hub=hub)
    agency_id = form["agency_id"]
    agency = db.session.get(Agency, int(agency_id)) if agency_id.isdigit() else None
    if agency is None:
        raise ValidationError({"agency_id": ["Choose an agency from the list"]})
    admin.add_agency_to_hub(hub, agency, actor=current_user)
    return agency


@bp.post("/hubs/<slug>/agencies")
@perm.requires("manage_hub")
def add_hub_agency(hub: Hub):
    form = _form()
    added = attempt(_partner, hub, form)
    if not added:
        return _render_hub(hub, added.errors, form)
    flash(f"{added.result.name} is now a partner in {hub.name}.", "success")
    return redirect(url_for("admin.hub", slug=hub.slug))


@bp.post("/hubs/<slug>/lessons-sharing")
@perm.requires("share_lessons")
def lesson_sharing(hub: Hub):
    form = _form()
    done = attempt(admin.set_lesson_sharing, hub, form, actor=current_user)
    if not done:
        return _render_hub(hub, done.errors, form)
    if done.result:
        flash(
            f"{hub.name} now shares its published lessons with the other hubs that share theirs.",
            "success",
        )
    else:
        flash(f"{hub.name} no longer shares its lessons, and sees no other hub's.", "success")
    return redirect(url_for("admin.hub", slug=hub.slug))


@bp.post("/hubs/<slug>/agencies/<int:agency_id>/remove")
@perm.requires("manage_hub")
def remove_hub_agency(hub: Hub, agency_id: int):
    agency = perm.record_or_deny(
        Agency, agency_id, lambda user, agency: True, "manage_hub", hub=hub
    )
    removed = attempt(admin.remove_agency_from_hub, hub, agency, actor=current_user)
    if not removed:
        return _render_hub(hub, removed.errors, {})
    flash(f"{agency.name} is no longer a partner in {hub.name}.", "success")
    return redirect(url_for("admin.hub", slug=hub.slug))


# -- people ------------------------------------------------------------------------------------


@bp.get("/users")
@requires_admin
def users():
    rows = (
        db.session.execute(perm.manageable_users(current_user).order_by(User.name)).scalars().all()
    )
    return render_template("admin/users.html", users=rows)


def _agency_choices():
    return db.session.execute(perm.manageable_agencies(current_user)).scalars().all()


@bp.route("/users/new", methods=["GET", "POST"])
@requires_admin
def new_user():
    choices = _agency_choices()
    errors, form = FormErrors(), {}
    if request.method == "POST":
        form = _form()
        allowed = None if perm.is_sysadmin(current_user) else {a.id for a in choices}
        created = attempt(
            admin.create_user, form, actor=current_user, allowed_agency_ids=allowed, commit=False
        )
        errors = created.errors
        if created:
            user = created.result
            tokens.send_password_link(user, "set_up", actor=current_user)  # with the account
            db.session.commit()
            flash(
                f"{user.name}'s account is created. We have emailed them a link to set a "
                "password; it works for 72 hours. Give them roles below.",
                "success",
            )
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/user_new.html", agencies=choices, errors=errors, form=form), (
        400 if errors else 200
    )


def _render_user(user: User, errors: FormErrors, status: int = 200):
    hubs = list(user.agency.hubs)
    grantable = {h.id: perm.grantable_roles(current_user, h) for h in hubs}
    unscoped = perm.grantable_roles(current_user, None)
    return render_template(
        "admin/user.html",
        person=user,
        hubs=hubs,
        grantable=grantable,
        unscoped=[r for r in unscoped if not r.hub_scoped],
        errors=errors,
    ), status


@bp.get("/users/<int:user_id>")
@perm.requires("manage_user")
def user(person: User):
    return _render_user(person, FormErrors())


@bp.post("/users/<int:user_id>/roles")
@perm.requires("manage_user")
def grant_role(person: User):
    form = _form()
    hub = None
    if form.get("hub_id", "").isdigit():
        hub = db.session.get(Hub, int(form["hub_id"]))
    grantable = perm.grantable_roles(current_user, hub)
    granted = attempt(
        admin.grant_role, person, form.get("role", ""), hub, actor=current_user, grantable=grantable
    )
    if not granted:
        return _render_user(person, granted.errors, 400)
    flash("Role given.", "success")
    return redirect(url_for("admin.user", user_id=person.id))


def _may_revoke(person: User):
    """A role of this person's that the signed-in user could have given."""

    def may(user, role: UserRole) -> bool:
        allowed = {r.value for r in perm.grantable_roles(user, role.hub)}
        return role.user_id == person.id and role.role in allowed

    return may


@bp.post("/users/<int:user_id>/roles/<int:role_id>/remove")
@perm.requires("manage_user")
def revoke_role(person: User, role_id: int):
    role = perm.record_or_deny(UserRole, role_id, _may_revoke(person), "manage_user")
    revoked = attempt(admin.revoke_role, role, actor=current_user)
    if not revoked:
        return _render_user(person, revoked.errors, 400)
    flash("Role removed.", "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/active")
@perm.requires("manage_account")
def set_active(person: User):
    active = request.form.get("active") == "yes"
    changed = attempt(admin.set_user_active, person, active, actor=current_user)
    if not changed:
        return _render_user(person, changed.errors, 400)
    flash(
        f"{person.name} can sign in again." if active else f"{person.name} can no longer sign in.",
        "success",
    )
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/password-link")
@perm.requires("manage_account")
def send_password_link(person: User):
    if person.uses_single_sign_on:
        return _render_user(
            person,
            FormErrors({"active": ["This person signs in with their organisation's account"]}),
            400,
        )
    tokens.send_password_link(person, "set_up", actor=current_user)
    db.session.commit()
    flash(f"We have emailed {person.name} a link to set a password.", "success")
    return redirect(url_for("admin.user", user_id=person.id))


# -- the hub's scoring ruleset ----------------------------------------------------------------


@bp.route("/hubs/<slug>/scoring", methods=["GET", "POST"], endpoint="scoring")
@perm.requires("manage_hub")
def scoring_page(hub: Hub):
    """The hub manager edits the hub's ruleset: preview how the last 100 referrals would band,
    then save it as a new version."""
    errors, status, shown = FormErrors(), 200, None
    text = scoring_rules.current_text(hub)
    if request.method == "POST":
        text = request.form.get("ruleset", "")
        if request.form.get("action") == "save":
            saved = attempt(scoring_rules.save, hub, text, actor=current_user)
            if saved:
                flash(f"Ruleset {saved.result.version} is now in use", "success")
                return redirect(url_for("admin.scoring", slug=hub.slug))
            errors, status = saved.errors, 400
        else:
            parsed = attempt(scoring_rules.parse, text, commit=False)
            if parsed:
                shown = scoring_rules.preview(hub, parsed.result)
            else:
                errors, status = parsed.errors, 400
    return render_template(
        "admin/scoring.html",
        hub=hub,
        text=text,
        preview=shown,
        versions=scoring_rules.versions(hub),
        errors=errors,
    ), status


# -- the hub's retention periods and the end of retention --------------------------------------


@bp.route("/hubs/<slug>/retention", methods=["GET", "POST"], endpoint="retention")
@perm.requires("keep_retention")
def retention_page(hub: Hub):
    """The hub's retention periods, changed by the service `hub retention --set` uses; what
    the clock's end of retention will do in the next 30 days; the legal holds in place."""
    errors, stale, form, status = FormErrors(), None, {}, 200
    if request.method == "POST":
        form = form_data(lists=())
        done = attempt(retention.change_periods, hub, form, actor=current_user)
        if done:
            saved = "The periods are saved; reviews not yet done have moved with them."
            unchanged = "Nothing changed: the periods are as they were."
            flash(saved if done.result else unchanged, "success")
            return redirect(url_for("admin.retention", slug=hub.slug))
        errors, stale, status = done.errors, done.stale, 409 if done.stale else 400
    periods, version = retention.period_rows(hub.id)
    due, refused = retention.outlook(hub.id, local(utcnow()).date())
    holds = retention.holds(hub.id)
    cases = [d.case_id for d in due] + [r.case_id for r in refused] + [h.case_id for h in holds]
    return render_template(
        "admin/retention.html",
        hub=hub,
        periods=periods,
        version=version,
        form=form,
        errors=errors,
        stale=stale,
        due=due,
        refused=refused,
        holds=holds,
        openable=perm.readable_cases(current_user, hub, cases),
    ), status
