"""Signing in with a password, and lockout after repeated failures.

A password alone opens a session only for people who need no second factor; everyone else
goes on to two_factor.py. Failures of either step count towards the same lockout, keyed by a
hash of the address typed, so an unknown address locks out exactly as a real one does and the
answer reveals nothing.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from hub import audit
from hub.accounts import sessions
from hub.core.security import check_password
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import SignInFailure, User


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_domain(email: str) -> str:
    return normalise_email(email).rpartition("@")[2]


def email_key(email: str) -> str:
    return audit.digest(normalise_email(email))


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def _recent_failures(key: str) -> int:
    since = utcnow() - timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
    return db.session.execute(
        select(func.count()).where(SignInFailure.email_key == key, SignInFailure.at >= since)
    ).scalar_one()


def is_locked(email: str) -> bool:
    return _recent_failures(email_key(email)) >= current_app.config["LOCKOUT_THRESHOLD"]


def record_failure(email: str, user: User | None, *, step: str, ip_address: str | None) -> bool:
    """Count a failed attempt (a password, or a second-factor code) and audit it; True when
    this failure locks the address. The caller commits."""
    key = email_key(email)
    db.session.add(SignInFailure(email_key=key, ip_address=ip_address))
    db.session.flush()
    locked = _recent_failures(key) >= current_app.config["LOCKOUT_THRESHOLD"]
    details = {"kind": step, "locked_now": locked}
    if user is None:
        details["email_digest"] = key  # ties attempts on one address together, reveals none
    audit.record("sign_in", outcome="failed", user=user, details=details)
    if locked:
        audit.record(
            "account_locked",
            outcome="denied",
            user=user,
            details={} if user else {"email_digest": key},
        )
    return locked


@dataclass(frozen=True)
class PasswordCheck:
    user: User | None
    locked: bool = False

    @property
    def ok(self) -> bool:
        return self.user is not None


def check_password_step(email: str, password: str, ip_address: str | None) -> PasswordCheck:
    """Check a password. The same answer and timing whether or not the account exists.
    A person who signs in with their organisation's account has no password here."""
    user = find_user_by_email(email)
    if is_locked(email):
        check_password(None, password)  # keep timing even
        details = {"reason": "locked"}
        if user is None:
            details["email_digest"] = email_key(email)
        audit.record("sign_in", outcome="denied", user=user, details=details)
        db.session.commit()
        return PasswordCheck(None, locked=True)
    if (
        user is not None
        and user.is_active
        and user.password_hash
        and check_password(user.password_hash, password)
    ):
        return PasswordCheck(user)
    if user is None or not user.password_hash:
        check_password(None, password)
    locked = record_failure(email, user, step="password", ip_address=ip_address)
    db.session.commit()
    return PasswordCheck(None, locked=locked)


def complete(user: User, *, method: str, provider_id: int | None = None) -> str:
    """Someone has proved who they are: clear their failures, open a session (returned as the
    token for the cookie) and audit the sign-in. The caller commits."""
    db.session.execute(
        delete(SignInFailure).where(SignInFailure.email_key == email_key(user.email))
    )
    token = sessions.start(user, provider_id=provider_id)
    audit.record("sign_in", user=user, details={"method": method})
    return token
