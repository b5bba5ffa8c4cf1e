"""Server-side sessions.

The browser's (signed) session cookie carries only a random session token; the session
itself is a row in user_session. Signing out ends the row, so a copy of the cookie taken
before is worthless afterwards. Every request checks the row: ended, idle for longer than
IDLE_TIMEOUT, or open for longer than PERMANENT_SESSION_LIFETIME (12 hours, however busy
the person is) and the person is signed out.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import joinedload

from hub import audit
from hub.core.signals import account_deactivated
from hub.core.timeutil import utcnow
from hub.extensions import db, htmx, login_manager
from hub.models import Agency, User, UserSession

# Writing last_seen_at on every request would turn every read into a write; once a minute
# is precise enough for a 30-minute idle limit.
_TOUCH_EVERY = timedelta(minutes=1)
_SESSION_KEY = "sid"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User, *, provider_id: int | None = None) -> str:
    """Open a session for a person who has just proved who they are; returns the token the
    cookie carries. The caller commits, then puts the token in the cookie with sign_in()."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_hash(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + current_app.config["PERMANENT_SESSION_LIFETIME"],
            ip_address=request.remote_addr,
            user_agent=request.headers.get("User-Agent", "")[:200],
            identity_provider_id=provider_id,
        )
    )
    user.last_sign_in_at = now
    user.dormancy_notice_at = None  # in use again
    db.session.flush()
    return token


def end(row: UserSession, reason: str) -> bool:
    """End one session, once: True if this call ended it (two requests may race)."""
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.id == row.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(row, ["ended_at", "ended_reason"])
    return result.rowcount == 1


def revoke(row: UserSession, *, actor: User) -> None:
    """A person signs out one of their sessions from elsewhere (their account page)."""
    if end(row, "signed_out_elsewhere"):
        audit.record("session_revoked", user=actor, target=row)


def end_all(user: User, *, reason: str, actor: User | None, keep: UserSession | None = None) -> int:
    """End every live session of a person (but `keep`, if given), audited; `actor` None is
    the scheduler. The caller commits."""
    query = (
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    ended = db.session.execute(query).rowcount
    if ended:
        audit.record(
            "sessions_revoked",
            user=actor,
            target=user,
            target_type="user",
            details={"reason": reason, "count": ended},
        )
    return ended


@account_deactivated.connect
def _end_sessions_of_a_deactivated_account(user: User, *, actor: User | None, **_) -> None:
    end_all(user, reason="deactivated", actor=actor)


def live_sessions(user: User) -> list[UserSession]:
    """A person's sessions that still work, newest first (for their account page)."""
    now = utcnow()
    idle_since = now - current_app.config["IDLE_TIMEOUT"]
    return list(
        db.session.execute(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
                UserSession.expires_at > now,
                UserSession.last_seen_at > idle_since,
            )
            .order_by(UserSession.last_seen_at.desc())
        ).scalars()
    )


@dataclass(frozen=True)
class Check:
    row: UserSession | None
    outcome: str  # "live", "idle", "expired", "ended" or "missing"


@cache
def _session_by_token() -> Select:
    """The session, its person, their roles and their agency's hubs, in one query: every page
    asks about them (the menu, the page's policy), and one query is cheaper than the three
    that loading each in turn would take. Built once (every request runs it)."""
    person = joinedload(UserSession.user)
    return (
        select(UserSession)
        .where(UserSession.token_hash == bindparam("token_hash"))
        .options(
            person.joinedload(User.roles),
            person.joinedload(User.agency).joinedload(Agency.hubs),
        )
    )


def check(token: str) -> Check:
    """Whether a session token still works now; ends a session found idle or too old."""
    row = (
        db.session.execute(_session_by_token(), {"token_hash": _hash(token)})
        .unique()
        .scalar_one_or_none()
    )
    if row is None:
        return Check(None, "missing")
    if row.ended_at is not None or not row.user.is_active:
        return Check(row, "ended")
    now = utcnow()
    if now >= row.expires_at:
        outcome = "expired"
    elif now - row.last_seen_at > current_app.config["IDLE_TIMEOUT"]:
        outcome = "idle"
    else:
        return Check(row, "live")
    if end(row, outcome):
        audit.record("sign_out", user=row.user, details={"reason": outcome})
    return Check(row, outcome)


def current() -> UserSession | None:
    """This request's session, if it is signed in."""
    return g.get("user_session")


def sign_in(token: str) -> None:
    """Put a session token in a fresh cookie (nothing carried over: no session fixation)."""
    session.clear()
    session[_SESSION_KEY] = token


def sign_out_here() -> None:
    logout_user()
    session.clear()


# -- flask-login wiring -----------------------------------------------------------------------


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """flask-login's loader: the person whose live session this cookie names, or nobody."""
    token = session.get(_SESSION_KEY)
    if not token:
        return None
    result = check(token)
    g.session_check = result
    if result.outcome != "live" or str(result.row.user_id) != user_id:
        return None
    g.user_session = result.row
    return result.row.user


_MESSAGES = {
    "idle": "You were signed out because you were inactive for {minutes} minutes.",
    "expired": "You were signed out because you had been signed in for {hours} hours. "
    "Sign in again to carry on.",
}


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # the server-side session is the protection

    @app.before_request
    def _check_session():
        if request.path.startswith(("/static/", "/api/", "/healthz")):
            return None
        if _SESSION_KEY not in session:
            return None
        if current_user.is_authenticated:  # loads (and checks) the session
            _touch(current())
            return None
        result = g.pop("session_check", None)
        sign_out_here()
        db.session.commit()  # the audit entry of an idle or expired session
        if result is None or result.outcome not in _MESSAGES:
            return None  # ended elsewhere: the page's own policy sends them to sign in
        config = app.config
        flash(
            _MESSAGES[result.outcome].format(
                minutes=int(config["IDLE_TIMEOUT"].total_seconds() // 60),
                hours=int(config["PERMANENT_SESSION_LIFETIME"].total_seconds() // 3600),
            ),
            "info",
        )
        target = url_for("auth.sign_in", next=request.full_path.rstrip("?"))
        if htmx:
            response = app.response_class(status=204)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target)


def _touch(row: UserSession | None) -> None:
    now = utcnow()
    if row is None or now - row.last_seen_at < _TOUCH_EVERY:
        return
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == row.id)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
