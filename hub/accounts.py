"""Accounts: signing in with lockout, API tokens, password set-up links.

Plain functions that take what they need, so tests can call them without a request."""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload

from hub import audit
from hub.core.security import check_password, hash_password, hash_token, new_api_token
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import ApiToken, SignInFailure, User


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    locked: bool = False

    @property
    def ok(self) -> bool:
        return self.user is not None


def _recent_failures(email: str) -> int:
    since = utcnow() - timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
    return db.session.execute(
        select(func.count()).where(SignInFailure.email == email, SignInFailure.at >= since)
    ).scalar_one()


def sign_in(email: str, password: str, ip_address: str | None) -> SignInResult:
    """Check a password. The same answer and timing whether or not the account exists."""
    email = normalise_email(email)
    threshold = current_app.config["LOCKOUT_THRESHOLD"]
    user = find_user_by_email(email)
    if _recent_failures(email) >= threshold:
        check_password(None, password)  # keep timing even
        audit.record("sign_in", outcome="denied", user=user, details={"reason": "locked"})
        db.session.commit()
        return SignInResult(None, locked=True)
    if user is not None and user.is_active and check_password(user.password_hash, password):
        db.session.execute(delete(SignInFailure).where(SignInFailure.email == email))
        user.last_sign_in_at = utcnow()
        audit.record("sign_in", user=user)
        db.session.commit()
        return SignInResult(user)
    if user is None:
        check_password(None, password)
    db.session.add(SignInFailure(email=email, ip_address=ip_address))
    db.session.flush()
    locked = _recent_failures(email) >= threshold
    audit.record(
        "sign_in",
        outcome="failed",
        user=user,
        details={"email_digest": audit.digest(email), "locked_now": locked},
    )
    if locked:
        audit.record(
            "account_locked",
            outcome="denied",
            user=user,
            details={"email_digest": audit.digest(email)},
        )
    db.session.commit()
    return SignInResult(None, locked=locked)


def set_password(user: User, password: str, *, actor: User | None = None) -> None:
    user.password_hash = hash_password(password)
    user.session_version += 1  # signs out every other session
    audit.record("password_set", user=actor or user, target=user, target_type="user")


def issue_token(user: User, name: str, *, actor: User | None = None) -> tuple[str, ApiToken]:
    """Create a token; the plain value is returned once and never stored."""
    token, prefix, digest = new_api_token()
    row = ApiToken(user=user, name=name.strip() or "API token", prefix=prefix, token_hash=digest)
    db.session.add(row)
    db.session.flush()
    audit.record("api_token_issued", user=actor or user, target=row, details={"for_user": user.id})
    return token, row


def revoke_token(row: ApiToken, *, actor: User) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record("api_token_revoked", user=actor, target=row, details={"for_user": row.user_id})


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to, or None. Marks the token used."""
    row = db.session.execute(
        select(ApiToken)
        .options(joinedload(ApiToken.user))  # the user is needed at once: one round trip
        .where(ApiToken.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None or not row.user.is_active:
        return None
    now = utcnow()
    # Write at most once a minute: a busy integration should not turn reads into writes.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        db.session.commit()
    return row.user


# Password set-up links: signed, time-limited, and single-use because they carry the
# session version, which setting a password bumps.
_SETUP_SALT = "password-setup"


def password_setup_token(user: User) -> str:
    s = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SETUP_SALT)
    return s.dumps({"u": user.id, "v": user.session_version})


def user_for_setup_token(token: str, max_age=timedelta(hours=72)) -> User | None:
    s = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SETUP_SALT)
    try:
        data = s.loads(token, max_age=int(max_age.total_seconds()))
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("u"))
    if user is None or user.session_version != data.get("v") or not user.is_active:
        return None
    return user
