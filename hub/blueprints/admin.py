"""Administration: hubs and agencies (system administrators), a hub's partners and people
(hub managers), an agency's people (agency managers)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from hub import permissions as perm
from hub.accounts import tokens
from hub.core.forms import FormErrors
from hub.extensions import db
from hub.models import Agency, AgencyKind, Hub, User, UserRole
from hub.organisation import admin

bp = Blueprint("admin", __name__, url_prefix="/admin")
requires_admin = perm.requires("user_admin")


def _form() -> dict:
    return {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip()}


def _hub_or_deny(slug: str) -> Hub:
    hub = db.session.execute(select(Hub).where(Hub.slug == slug)).scalar_one_or_none()
    if hub is None or not perm.can_manage_hub(current_user, hub):
        perm.deny("manage_hub", target_type="hub", target_id=slug)
    return hub


def _user_or_deny(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not perm.can_manage_user(current_user, user):
        perm.deny("manage_user", target_type="user", target_id=user_id)
    return user


def _account_or_deny(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not perm.can_manage_account(current_user, user):
        perm.deny("manage_account", target_type="user", target_id=user_id)
    return user


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
        try:
            hub = admin.create_hub(form, actor=current_user)
        except ValidationError as exc:
            db.session.rollback()
            errors = FormErrors(exc.messages)
        else:
            db.session.commit()
            flash(f"{hub.name} is created. Add its partner agencies next.", "success")
            return redirect(url_for("admin.hub", slug=hub.slug))
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
        try:
            agency = admin.create_agency(form, actor=current_user)
        except ValidationError as exc:
            db.session.rollback()
            errors = FormErrors(exc.messages)
        else:
            db.session.commit()
            flash(f"{agency.name} is added.", "success")
            return redirect(url_for("admin.agencies"))
    rows = db.session.execute(select(Agency).order_by(Agency.name)).scalars().all()
    return render_template(
        "admin/agencies.html", agencies=rows, kinds=list(AgencyKind), errors=errors, form=form
    ), (400 if errors else 200)


# -- one hub (hub managers) --------------------------------------------------------------------


@bp.get("/hubs/<slug>")
@requires_admin
def hub(slug: str):
    hub = _hub_or_deny(slug)
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


@bp.post("/hubs/<slug>/agencies")
@requires_admin
def add_hub_agency(slug: str):
    hub = _hub_or_deny(slug)
    form = _form()
    try:
        if form.get("agency_id"):
            agency_id = form["agency_id"]
            agency = db.session.get(Agency, int(agency_id)) if agency_id.isdigit() else None
            if agency is None:
                raise ValidationError({"agency_id": ["Choose an agency from the list"]})
            admin.add_agency_to_hub(hub, agency, actor=current_user)
        else:
            agency = admin.create_agency(form, actor=current_user, hub=hub)
    except ValidationError as exc:
        db.session.rollback()
        return _render_hub(hub, FormErrors(exc.messages), form)
    db.session.commit()
    flash(f"{agency.name} is now a partner in {hub.name}.", "success")
    return redirect(url_for("admin.hub", slug=hub.slug))


@bp.post("/hubs/<slug>/agencies/<int:agency_id>/remove")
@requires_admin
def remove_hub_agency(slug: str, agency_id: int):
    hub = _hub_or_deny(slug)
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        perm.deny("manage_hub", hub=hub, target_type="agency", target_id=agency_id)
    try:
        admin.remove_agency_from_hub(hub, agency, actor=current_user)
    except ValidationError as exc:
        db.session.rollback()
        return _render_hub(hub, FormErrors(exc.messages), {})
    db.session.commit()
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
        try:
            user = admin.create_user(form, actor=current_user, allowed_agency_ids=allowed)
        except ValidationError as exc:
            db.session.rollback()
            errors = FormErrors(exc.messages)
        else:
            tokens.send_password_link(user, "set_up", actor=current_user)
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
@requires_admin
def user(user_id: int):
    return _render_user(_user_or_deny(user_id), FormErrors())


@bp.post("/users/<int:user_id>/roles")
@requires_admin
def grant_role(user_id: int):
    person = _user_or_deny(user_id)
    form = _form()
    hub = None
    if form.get("hub_id", "").isdigit():
        hub = db.session.get(Hub, int(form["hub_id"]))
    grantable = perm.grantable_roles(current_user, hub)
    try:
        admin.grant_role(person, form.get("role", ""), hub, actor=current_user, grantable=grantable)
    except ValidationError as exc:
        db.session.rollback()
        return _render_user(person, FormErrors(exc.messages), 400)
    db.session.commit()
    flash("Role given.", "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/roles/<int:role_id>/remove")
@requires_admin
def revoke_role(user_id: int, role_id: int):
    person = _user_or_deny(user_id)
    role = db.session.get(UserRole, role_id)
    hub = role.hub if role is not None else None
    allowed = {r.value for r in perm.grantable_roles(current_user, hub)}
    if role is None or role.user_id != person.id or role.role not in allowed:
        perm.deny("manage_user", target_type="user_role", target_id=role_id)
    try:
        admin.revoke_role(role, actor=current_user)
    except ValidationError as exc:
        db.session.rollback()
        return _render_user(person, FormErrors(exc.messages), 400)
    db.session.commit()
    flash("Role removed.", "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/active")
@requires_admin
def set_active(user_id: int):
    person = _account_or_deny(user_id)
    active = request.form.get("active") == "yes"
    try:
        admin.set_user_active(person, active, actor=current_user)
    except ValidationError as exc:
        db.session.rollback()
        return _render_user(person, FormErrors(exc.messages), 400)
    db.session.commit()
    flash(
        f"{person.name} can sign in again." if active else f"{person.name} can no longer sign in.",
        "success",
    )
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/password-link")
@requires_admin
def send_password_link(user_id: int):
    person = _account_or_deny(user_id)
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
