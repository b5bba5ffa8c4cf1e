"""Signing in and out: the email first, then the person's own organisation's sign-in (single
sign-on) or a password and a second factor here; forgotten passwords."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user

from hub import audit
from hub.accounts import oidc, passwords, sessions, sign_in, tokens, two_factor
from hub.accounts.schemas import CodeSchema, EmailSchema, NewPasswordSchema, PasswordSignInSchema
from hub.core import mail
from hub.core.database import reads_first
from hub.core.forms import FormErrors, attempt
from hub.core.timeutil import utcnow
from hub.extensions import db, limiter
from hub.models import IdentityProvider, User
from hub.permissions import requires

bp = Blueprint("auth", __name__)

_PENDING = "pending_sign_in"  # a password accepted, a second factor still to come
_PENDING_SECONDS = 600
_SSO_STATE = "sso_state"

SSO_MESSAGES = {
    "provider_refused": "Your organisation's sign-in did not let you in. If your account there "
    "is disabled, or you cancelled, you cannot sign in to Focus Hub with it.",
    "domain_not_allowed": "Your organisation's account has an email address this hub does not "
    "accept for that sign-in. Ask your agency manager.",
    "provider_unreachable": "Your organisation's sign-in service is not answering. Try again "
    "in a few minutes.",
    "deactivated": "Your Focus Hub account is switched off. Ask your agency manager or hub "
    "manager to switch it back on.",
}
SSO_DEFAULT_MESSAGE = "Signing in with your organisation's account did not work. Start again."


def _safe_next(target: str | None) -> str:
    """Only ever redirect within this site after signing in."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("main.home")


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


def _form(*names: str) -> dict:
    return {k: request.form[k] for k in names if request.form.get(k)}


def _open_session(user: User, method: str, next_url: str, provider_id: int | None = None):
    token = sign_in.complete(user, method=method, provider_id=provider_id)
    db.session.commit()
    sessions.sign_in(token)
    login_user(user)
    return redirect(_safe_next(next_url))


def _interstitial(url: str, heading: str, text: str):
    """A page that moves the browser on to another site. A redirect would do, but a form's
    redirect to another origin is blocked by our CSP (form-action 'self'); a meta refresh is
    an ordinary navigation, and the link is there for anyone whose browser does not follow."""
    return render_template("auth/leaving.html", url=url, heading=heading, text=text)


# -- the email first ----------------------------------------------------------------------------


@bp.route("/sign-in", methods=["GET", "POST"], endpoint="sign_in")
@requires("public")
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in_start():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    next_url = request.values.get("next", "")
    if request.method == "GET":
        return render_template("auth/sign_in.html", errors=FormErrors(), form={}, next_url=next_url)
    form = _form("email")
    parsed = attempt(EmailSchema().load, form, commit=False)
    if not parsed:
        return render_template(
            "auth/sign_in.html", errors=parsed.errors, form=form, next_url=next_url
        ), 400
    email = parsed.result["email"]
    provider = oidc.provider_for_email(email)
    if provider is not None:
        target = url_for("auth.sso_start", slug=provider.slug, login_hint=email, next=next_url)
        return _interstitial(
            target,
            f"Sign in with {provider.name}",
            f"{provider.agency.name} signs in to Focus Hub with its own accounts. "
            "Taking you to your organisation's sign-in page.",
        )
    return render_template(
        "auth/sign_in_password.html", errors=FormErrors(), email=email, next_url=next_url
    )


@bp.post("/sign-in/password")
@requires("public")
@limiter.limit(_sign_in_limit)
@reads_first  # checking a password is slow and only reads: hold no lock while it runs
def sign_in_password():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    next_url = request.form.get("next", "")
    form = _form("email", "password")
    parsed = attempt(PasswordSignInSchema().load, form, commit=False)
    if not parsed:
        return _password_page(form.get("email", ""), next_url, parsed.errors)
    data = parsed.result
    if oidc.provider_for_email(data["email"]) is not None:
        # Never check a password for an address that signs in at its own organisation.
        return redirect(url_for("auth.sign_in", next=next_url))
    result = sign_in.check_password_step(data["email"], data["password"], request.remote_addr)
    if not result.ok:
        return _password_page(data["email"], next_url, _failure(result.locked))
    user = result.user
    if user.two_factor_enabled or two_factor.required(user):
        session.clear()
        session[_PENDING] = {"user": user.id, "next": next_url, "at": utcnow().timestamp()}
        step = "auth.two_factor" if user.two_factor_enabled else "auth.two_factor_setup"
        return redirect(url_for(step))
    return _open_session(user, "password", next_url)


def _password_page(email: str, next_url: str, errors: FormErrors):
    return render_template(
        "auth/sign_in_password.html", errors=errors, email=email, next_url=next_url
    ), 400


def _failure(locked: bool) -> FormErrors:
    if locked:
        minutes = current_app.config["LOCKOUT_MINUTES"]
        return FormErrors(
            {
                "password": [
                    "Too many failed attempts to sign in with this email address. "
                    f"Wait {minutes} minutes, then try again, or ask your hub manager."
                ]
            }
        )
    return FormErrors({"password": ["Enter a correct email address and password"]})


# -- the second factor --------------------------------------------------------------------------


def _pending_user() -> tuple[User, str] | None:
    pending = session.get(_PENDING)
    if not pending or utcnow().timestamp() - pending["at"] > _PENDING_SECONDS:
        session.pop(_PENDING, None)
        return None
    user = db.session.get(User, pending["user"])
    if user is None or not user.is_active:
        session.pop(_PENDING, None)
        return None
    return user, pending["next"]


def _start_again():
    flash("Sign in again: it took too long to finish signing in.", "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-in/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@requires("public")
@limiter.limit(_sign_in_limit, methods=["POST"])
def second_factor():
    pending = _pending_user()
    if pending is None or not pending[0].two_factor_enabled:
        return _start_again()
    user, next_url = pending
    errors = FormErrors()
    if request.method == "POST":
        parsed = attempt(CodeSchema().load, _form("code"), commit=False)
        errors = parsed.errors
        if parsed:
            code = parsed.result["code"]
            if sign_in.is_locked(user.email):
                session.pop(_PENDING, None)
                return _password_page(user.email, next_url, _failure(True))
            if two_factor.check_code(user, code):
                session.pop(_PENDING, None)
                return _open_session(user, "password+totp", next_url)
            if two_factor.use_recovery_code(user, code):
                left = two_factor.recovery_codes_left(user)
                response = _open_session(user, "password+recovery_code", next_url)
                flash(
                    f"You used a recovery code. You have {left} left: make new ones on your "
                    "account page if you are running low.",
                    "info",
                )
                return response
            locked = sign_in.record_failure(
                user.email, user, step="two_factor", ip_address=request.remote_addr
            )
            db.session.commit()
            if locked:
                session.pop(_PENDING, None)
                return _password_page(user.email, next_url, _failure(True))
            errors = FormErrors(
                {"code": ["The code is not right. Enter the code your app shows now"]}
            )
    return render_template("auth/two_factor.html", errors=errors), (400 if errors else 200)


@bp.route("/sign-in/two-factor/set-up", methods=["GET", "POST"], endpoint="two_factor_setup")
@requires("public")
@limiter.limit(_sign_in_limit, methods=["POST"])
def second_factor_setup():
    pending = _pending_user()
    if pending is None or pending[0].two_factor_enabled:
        return _start_again()
    user, next_url = pending
    errors = FormErrors()
    if request.method == "POST":
        confirmed = attempt(
            lambda: two_factor.confirm_setup(user, CodeSchema().load(_form("code"))["code"]),
            commit=False,
        )
        errors = confirmed.errors
        if confirmed:
            codes = confirmed.result
            session.pop(_PENDING, None)
            token = sign_in.complete(user, method="password+totp_setup")
            db.session.commit()
            sessions.sign_in(token)
            login_user(user)
            return render_template(
                "account/recovery_codes.html", codes=codes, next_url=_safe_next(next_url)
            )
    secret = two_factor.pending_secret(user) or two_factor.begin_setup(user)
    db.session.commit()
    uri = two_factor.provisioning_uri(user, secret)
    return render_template(
        "auth/two_factor_setup.html",
        errors=errors,
        secret=secret,
        qr=two_factor.qr_code(uri),
        action=url_for("auth.two_factor_setup"),
    ), (400 if errors else 200)


# -- single sign-on -----------------------------------------------------------------------------


@bp.get("/sign-in/sso/<slug>")
@requires("public")
@limiter.limit(_sign_in_limit)
def sso_start(slug: str):
    provider = oidc.provider_by_slug(slug)
    if provider is None:
        abort(404)
    hint = request.args.get("login_hint", "")[:254] or None
    try:
        url, state = oidc.begin(
            provider, next_url=_safe_next(request.args.get("next")), login_hint=hint
        )
    except oidc.SsoError as exc:
        db.session.rollback()
        return _sso_problem(provider, exc.reason)
    db.session.commit()
    session[_SSO_STATE] = state
    return redirect(url)


@bp.get("/sign-in/sso/<slug>/callback")
@requires("public")
@limiter.limit(_sign_in_limit)
def sso_callback(slug: str):
    provider = oidc.provider_by_slug(slug)
    if provider is None:
        abort(404)
    browser_state = session.pop(_SSO_STATE, None)
    try:
        result = oidc.finish(provider, request.args.to_dict(), browser_state)
    except oidc.SsoError as exc:
        # What was spent (the state) stays spent; nothing else of the attempt is kept.
        db.session.commit()
        return _sso_problem(provider, exc.reason)
    if result.awaiting_approval:
        audit.record(
            "sign_in",
            outcome="denied",
            user=result.user,
            details={"method": "sso", "provider_id": provider.id, "reason": "awaiting_approval"},
        )
        db.session.commit()
        return render_template("auth/awaiting_approval.html", agency=provider.agency), 403
    return _open_session(result.user, "sso", result.next_url, provider_id=provider.id)


def _sso_problem(provider: IdentityProvider, reason: str):
    audit.record(
        "sign_in",
        outcome="failed",
        details={"method": "sso", "provider_id": provider.id, "reason": reason},
    )
    db.session.commit()
    message = SSO_MESSAGES.get(reason, SSO_DEFAULT_MESSAGE)
    status = 503 if reason == "provider_unreachable" else 400
    return render_template("auth/sso_problem.html", message=message, provider=provider), status


# -- signing out --------------------------------------------------------------------------------


@bp.post("/sign-out")
@requires("signed_in")
def sign_out():
    here = sessions.current()
    provider = here.identity_provider_id if here is not None else None
    if here is not None:
        sessions.end(here, "signed_out")
    audit.record("sign_out", user=current_user)
    db.session.commit()
    sessions.sign_out_here()
    flash("You have signed out.", "success")
    if provider is not None:
        row = db.session.get(IdentityProvider, provider)
        url = oidc.logout_url(row, mail.external_url("auth.sign_in")) if row else None
        if url:
            return _interstitial(
                url,
                "You have signed out of Focus Hub",
                f"Now signing you out of {row.name} too.",
            )
    return redirect(url_for("auth.sign_in"))


# -- passwords ----------------------------------------------------------------------------------


@bp.route("/forgot-password", methods=["GET", "POST"])
@requires("public")
@limiter.limit(_sign_in_limit, methods=["POST"])
def forgot_password():
    errors, form = FormErrors(), {}
    if request.method == "POST":
        form = _form("email")
        parsed = attempt(EmailSchema().load, form, commit=False)
        errors = parsed.errors
        if parsed:
            passwords.request_reset(parsed.result["email"])
            db.session.commit()
            return render_template("auth/reset_sent.html")
    return render_template("auth/forgot_password.html", errors=errors, form=form), (
        400 if errors else 200
    )


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@requires("public")
@limiter.limit(_sign_in_limit, methods=["POST"])
def set_password(token: str):
    link = tokens.password_link(token)
    if link is None:
        return render_template("auth/set_password_expired.html"), 404
    user = link.user
    errors = FormErrors()
    if request.method == "POST":
        parsed = attempt(
            lambda: passwords.checked_new_password(
                NewPasswordSchema().load(_form("password", "confirm")), user
            ),
            commit=False,
        )
        errors = parsed.errors
        if parsed:
            data = parsed.result
            if not tokens.use_password_link(link):
                return render_template("auth/set_password_expired.html"), 404
            passwords.set_password(user, data["password"])
            db.session.commit()
            flash("Your password is set. Sign in with it now.", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/set_password.html", errors=errors, user=user), (
        400 if errors else 200
    )
