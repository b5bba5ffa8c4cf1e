"""A person's own page: their details and roles, where they are signed in, two-factor
sign-in, their password and their personal API tokens."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from hub.accounts import passwords, sessions, tokens, two_factor
from hub.accounts.schemas import ChangePasswordSchema, CodeSchema
from hub.core.forms import FormErrors, attempt
from hub.extensions import db, limiter
from hub.models import ApiToken, UserSession
from hub.permissions import deny, requires

bp = Blueprint("account", __name__, url_prefix="/account")


def _tokens():
    return (
        db.session.execute(
            select(ApiToken)
            .where(ApiToken.user_id == current_user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
        .scalars()
        .all()
    )


def _page(errors: FormErrors | None = None, status: int = 200):
    return render_template(
        "account/show.html",
        tokens=_tokens(),
        sessions=sessions.live_sessions(current_user),
        this_session=sessions.current(),
        two_factor_required=two_factor.required(current_user),
        recovery_codes_left=two_factor.recovery_codes_left(current_user),
        errors=errors or FormErrors(),
    ), status


def _code() -> str:
    code = request.form.get("code", "")
    return CodeSchema().load({"code": code} if code else {})["code"]


@bp.get("/")
@requires("signed_in")
def show():
    return _page()


# -- where you are signed in --------------------------------------------------------------------


@bp.post("/sessions/<int:session_id>/end")
@requires("signed_in")
def end_session(session_id: int):
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != current_user.id:
        deny("user_session", target_type="user_session", target_id=session_id)
    sessions.revoke(row, actor=current_user)
    db.session.commit()
    if row.id == getattr(sessions.current(), "id", None):
        sessions.sign_out_here()
        flash("You have signed out.", "success")
        return redirect(url_for("auth.sign_in"))
    flash("That session is signed out.", "success")
    return redirect(url_for("account.show", _anchor="sessions"))


@bp.post("/sessions/end-all")
@requires("signed_in")
def end_all_sessions():
    sessions.end_all(current_user, reason="signed_out_everywhere", actor=current_user)
    db.session.commit()
    sessions.sign_out_here()
    flash("You have signed out everywhere, on every device. Sign in again here.", "success")
    return redirect(url_for("auth.sign_in"))


# -- two-factor sign-in -------------------------------------------------------------------------


@bp.route("/two-factor", methods=["GET", "POST"])
@requires("signed_in")
@limiter.limit(lambda: "10 per minute", methods=["POST"])
def two_factor_setup():
    if current_user.uses_single_sign_on or current_user.two_factor_enabled:
        return redirect(url_for("account.show", _anchor="two-factor"))
    errors = FormErrors()
    if request.method == "POST":
        confirmed = attempt(two_factor.confirm_setup, current_user, _code())
        errors = confirmed.errors
        if confirmed:
            return render_template(
                "account/recovery_codes.html",
                codes=confirmed.result,
                next_url=url_for("account.show"),
            )
    secret = two_factor.pending_secret(current_user) or two_factor.begin_setup(current_user)
    db.session.commit()
    uri = two_factor.provisioning_uri(current_user, secret)
    return render_template(
        "auth/two_factor_setup.html",
        errors=errors,
        secret=secret,
        qr=two_factor.qr_code(uri),
        action=url_for("account.two_factor_setup"),
    ), (400 if errors else 200)


@bp.post("/two-factor/recovery-codes")
@requires("signed_in")
@limiter.limit(lambda: "10 per minute")
def new_recovery_codes():
    if not current_user.two_factor_enabled:
        return redirect(url_for("account.show"))
    renewed = attempt(two_factor.renew_recovery_codes, current_user, _code())
    if not renewed:
        return _page(renewed.errors, 400)
    return render_template(
        "account/recovery_codes.html", codes=renewed.result, next_url=url_for("account.show")
    )


@bp.post("/two-factor/turn-off")
@requires("signed_in")
@limiter.limit(lambda: "10 per minute")
def turn_off_two_factor():
    turned_off = attempt(two_factor.turn_off, current_user, _code())
    if not turned_off:
        return _page(turned_off.errors, 400)
    flash("Two-factor sign-in is turned off.", "success")
    return redirect(url_for("account.show"))


# -- your password ------------------------------------------------------------------------------


@bp.route("/password", methods=["GET", "POST"])
@requires("signed_in")
@limiter.limit(lambda: "10 per minute", methods=["POST"])
def change_password():
    if current_user.uses_single_sign_on:
        return redirect(url_for("account.show"))
    errors = FormErrors()
    if request.method == "POST":
        form = {k: v for k, v in request.form.items() if k in ("current", "password", "confirm")}
        filled = {k: v for k, v in form.items() if v}

        def change():
            data = ChangePasswordSchema().load(filled)
            passwords.change_password(current_user, data["current"], data["password"])

        changed = attempt(change)
        errors = changed.errors
        if changed:
            sessions.sign_out_here()
            flash(
                "Your password is changed, and you are signed out everywhere. "
                "Sign in with your new password.",
                "success",
            )
            return redirect(url_for("auth.sign_in"))
    return render_template("account/password.html", errors=errors), (400 if errors else 200)


# -- API tokens ---------------------------------------------------------------------------------


@bp.post("/tokens")
@requires("signed_in")
def create_token():
    name = request.form.get("name", "").strip()
    if not name or len(name) > 100:
        return _page(
            FormErrors({"name": ["Enter a name for the token, 100 characters or fewer"]}), 400
        )
    token, _row = tokens.issue_token(current_user, name)
    db.session.commit()
    # Shown once, on this response only; it is not stored anywhere in a form we can show again.
    return render_template("account/token_created.html", token=token, name=name)


@bp.post("/tokens/<int:token_id>/revoke")
@requires("signed_in")
def revoke_token(token_id: int):
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != current_user.id:
        deny("api_token", target_type="api_token", target_id=token_id)
    tokens.revoke_token(row, actor=current_user)
    db.session.commit()
    flash(
        f"Token “{row.name}” is revoked. Anything using it can no longer reach the hub.", "success"
    )
    return redirect(url_for("account.show"))
