"""Administering how people sign in: agencies' identity providers and each hub's two-factor
rule (system administrators); approving people after their first single sign-on (agency
managers); resetting someone's two-factor sign-in (whoever manages their account)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from hub import audit
from hub import permissions as perm
from hub.accounts import approvals, oidc, two_factor
from hub.accounts.schemas import IdentityProviderSchema
from hub.core.forms import FormErrors, attempt
from hub.extensions import db
from hub.models import Agency, Hub, IdentityProvider, User

bp = Blueprint("account_admin", __name__, url_prefix="/admin")


def _form() -> dict:
    return {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip()}


# -- sign-in settings (system administrators) ---------------------------------------------------


@bp.get("/sign-in")
@perm.requires("sysadmin")
def settings():
    providers = db.session.execute(
        select(IdentityProvider).join(Agency).order_by(Agency.name, IdentityProvider.name)
    ).scalars()
    hubs = db.session.execute(select(Hub).order_by(Hub.name)).scalars()
    return render_template(
        "account/admin_settings.html",
        providers=list(providers),
        hubs=list(hubs),
        redirect_uri=oidc.redirect_uri,
    )


def _provider_form(provider: IdentityProvider | None):
    errors, form = FormErrors(), {}
    if provider is not None:
        form = {
            "agency_id": str(provider.agency_id),
            "name": provider.name,
            "slug": provider.slug,
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "domains": "\n".join(provider.domain_names),
            "email_claim": provider.email_claim,
            "name_claim": provider.name_claim,
            "scopes": provider.scopes,
            "enabled": "yes" if provider.enabled else "",
        }
    if request.method == "POST":
        form = _form()
        saved = attempt(
            lambda: oidc.save_provider(
                IdentityProviderSchema().load({**form, "enabled": form.get("enabled") == "yes"}),
                actor=current_user,
                provider=provider,
            )
        )
        errors = saved.errors
        if saved:
            saved = saved.result
            flash(
                f"{saved.name} is saved. Register this redirect URI with the provider: "
                f"{oidc.redirect_uri(saved)}",
                "success",
            )
            return redirect(url_for("account_admin.settings"))
    agencies = db.session.execute(select(Agency).order_by(Agency.name)).scalars().all()
    return render_template(
        "account/admin_provider.html",
        provider=provider,
        agencies=agencies,
        form=form,
        errors=errors,
    ), (400 if errors else 200)


@bp.route("/identity-providers/new", methods=["GET", "POST"])
@perm.requires("sysadmin")
def new_provider():
    return _provider_form(None)


@bp.route("/identity-providers/<int:provider_id>", methods=["GET", "POST"])
@perm.requires("sysadmin")
def edit_provider(provider_id: int):
    provider = db.session.get(IdentityProvider, provider_id)
    if provider is None:
        perm.deny("identity_provider", target_type="identity_provider", target_id=provider_id)
    return _provider_form(provider)


@bp.post("/hubs/<slug>/two-factor")
@perm.requires("sysadmin")
def hub_two_factor(slug: str):
    hub = db.session.execute(select(Hub).where(Hub.slug == slug)).scalar_one_or_none()
    if hub is None:
        perm.deny("hub_two_factor", target_type="hub", target_id=slug)
    required = request.form.get("required") == "yes"
    if hub.two_factor_required != required:
        hub.two_factor_required = required
        audit.record(
            "hub_two_factor_changed",
            user=current_user,
            hub=hub,
            target=hub,
            details={"before": {"required": not required}, "after": {"required": required}},
        )
        db.session.commit()
    flash(
        f"{hub.name} {'requires' if required else 'no longer requires'} two-factor sign-in.",
        "success",
    )
    return redirect(url_for("account_admin.settings"))


# -- approvals ----------------------------------------------------------------------------------


@bp.get("/approvals", endpoint="approvals")
@perm.requires("user_admin")
def approvals_page():
    waiting = db.session.execute(
        approvals.awaiting(current_user).order_by(User.created_at)
    ).scalars()
    return render_template("account/admin_approvals.html", waiting=list(waiting))


@bp.post("/approvals/<int:user_id>")
@perm.requires("user_admin")
def decide(user_id: int):
    person = db.session.get(User, user_id)
    if person is None or not perm.can_approve_account(current_user, person):
        perm.deny("approve_account", target_type="user", target_id=user_id)
    approve = request.form.get("decision") == "approve"
    decided = attempt(approvals.decide, person, approve, actor=current_user)
    if not decided:
        flash(decided.errors.get("decision"), "info")
        return redirect(url_for("account_admin.approvals"))
    if approve:
        flash(f"{person.name} is approved. Give them the roles they need.", "success")
        return redirect(url_for("admin.user", user_id=person.id))
    flash(f"{person.name} is refused and cannot sign in.", "success")
    return redirect(url_for("account_admin.approvals"))


# -- resetting someone's two-factor sign-in -----------------------------------------------------


@bp.post("/users/<int:user_id>/two-factor/reset")
@perm.requires("user_admin")
def reset_two_factor(user_id: int):
    person = db.session.get(User, user_id)
    if person is None or not perm.can_manage_account(current_user, person):
        perm.deny("manage_account", target_type="user", target_id=user_id)
    two_factor.reset(person, actor=current_user)
    db.session.commit()
    flash(
        f"{person.name}'s two-factor sign-in is reset. They set it up again when they next "
        "sign in.",
        "success",
    )
    return redirect(url_for("admin.user", user_id=person.id))
