"""Signing in and out."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from marshmallow import Schema, ValidationError, fields, validate

from hub import accounts, audit
from hub.core.forms import FormErrors
from hub.core.security import password_problem
from hub.core.timeutil import utcnow
from hub.extensions import db, limiter
from hub.permissions import requires

bp = Blueprint("auth", __name__)


class SignInSchema(Schema):
    email = fields.String(
        required=True,
        validate=validate.Length(min=3, max=254, error="Enter an email address"),
        error_messages={"required": "Enter your email address"},
    )
    password = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200, error="Enter your password"),
        error_messages={"required": "Enter your password"},
    )


def _safe_next(target: str | None) -> str:
    """Only ever redirect within this site after signing in."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("main.home")


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


@bp.route("/sign-in", methods=["GET", "POST"])
@requires("public")
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    errors = FormErrors()
    form = {"email": request.form.get("email", "")}
    if request.method == "POST":
        try:
            data = SignInSchema().load(
                {k: request.form.get(k, "") for k in ("email", "password") if request.form.get(k)}
            )
        except ValidationError as exc:
            errors = FormErrors(exc.messages)
        else:
            result = accounts.sign_in(data["email"], data["password"], request.remote_addr)
            if result.ok:
                session.clear()  # a fresh session: no fixation across sign-in
                login_user(result.user)
                session["last_seen"] = utcnow().timestamp()
                return redirect(_safe_next(request.args.get("next")))
            if result.locked:
                minutes = current_app.config["LOCKOUT_MINUTES"]
                errors = FormErrors(
                    {
                        "email": [
                            "Too many failed attempts to sign in with this email address. "
                            f"Wait {minutes} minutes, then try again, or ask your hub manager."
                        ]
                    }
                )
            else:
                errors = FormErrors({"email": ["Enter a correct email address and password"]})
        status = 400 if errors else 200
        return render_template("auth/sign_in.html", errors=errors, form=form), status
    return render_template("auth/sign_in.html", errors=errors, form=form)


@bp.post("/sign-out")
@requires("signed_in")
def sign_out():
    audit.record("sign_out", user=current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@requires("public")
@limiter.limit(_sign_in_limit, methods=["POST"])
def set_password(token: str):
    user = accounts.user_for_setup_token(token)
    if user is None:
        return render_template("auth/set_password_expired.html"), 404
    errors = FormErrors()
    if request.method == "POST":
        password = request.form.get("password", "")
        problem = password_problem(password)
        if problem:
            errors = FormErrors({"password": [problem]})
        elif password != request.form.get("confirm", ""):
            errors = FormErrors({"confirm": ["Passwords do not match"]})
        else:
            accounts.set_password(user, password)
            db.session.commit()
            flash("Your password is set. Sign in with it now.", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/set_password.html", errors=errors, user=user), (
        400 if errors else 200
    )
