"""Signed-in sessions: loading the user, and signing out after a spell of inactivity."""

from flask import Flask, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user

from hub import audit
from hub.core.timeutil import utcnow
from hub.extensions import db, htmx, login_manager
from hub.models import User


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    # "id:version" — a version bump (new password, deactivation) ends older sessions.
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @app.before_request
    def _expire_idle_session():
        if request.path.startswith(("/static/", "/api/", "/healthz")):
            return None
        if not current_user.is_authenticated:
            return None
        now = utcnow().timestamp()
        last_seen = session.get("last_seen")
        idle = app.config["IDLE_TIMEOUT"].total_seconds()
        if last_seen is not None and now - last_seen > idle:
            audit.record("sign_out", user=current_user, details={"reason": "idle"}, commit=True)
            logout_user()
            session.clear()
            minutes = int(idle // 60)
            flash(f"You were signed out because you were inactive for {minutes} minutes.", "info")
            target = url_for("auth.sign_in", next=request.full_path.rstrip("?"))
            if htmx:
                response = app.response_class(status=204)
                response.headers["HX-Redirect"] = target
                return response
            return redirect(target)
        session["last_seen"] = now
        return None
