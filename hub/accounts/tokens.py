"""Personal API tokens, and the emailed links that set or reset a password.

Both are random values shown once (in a response or an email) of which only the SHA-256 is
kept: they carry 256 bits of randomness, so a fast hash is enough to store them safely.
"""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from hub import audit
from hub.core import mail
from hub.core.security import hash_token, new_api_token
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import ApiToken, PasswordLink, User

# -- API tokens ---------------------------------------------------------------------------------


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
        row.user.dormancy_notice_at = None  # the account is in use
        db.session.commit()
    return row.user


# -- password links -----------------------------------------------------------------------------

# A manager's set-up link waits for a new colleague for three days; a reset the person asked
# for is used at once or not at all.
LINK_LIFETIME = {"set_up": timedelta(hours=72), "reset": timedelta(hours=1)}
_EMAIL = {
    "set_up": (
        "Set your Focus Hub password",
        "An account has been set up for you on Focus Hub.\n\n"
        "Set your password within 72 hours:\n{link}\n\n"
        "If you did not expect this, tell your hub manager.",
    ),
    "reset": (
        "Reset your Focus Hub password",
        "Someone asked to reset the password of your Focus Hub account.\n\n"
        "Choose a new password within 1 hour:\n{link}\n\n"
        "The link works once. If you did not ask for this, ignore this email: your password "
        "has not changed.",
    ),
}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def send_password_link(user: User, purpose: str, *, actor: User | None = None) -> None:
    """Email a single-use link to set a password. Earlier unused links stop working: only the
    newest is good. The email goes when the caller commits."""
    now = utcnow()
    db.session.execute(
        update(PasswordLink)
        .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordLink(
            user_id=user.id,
            token_hash=_digest(token),
            purpose=purpose,
            created_at=now,
            expires_at=now + LINK_LIFETIME[purpose],
        )
    )
    db.session.flush()
    audit.record(
        "password_link_sent",
        user=actor or user,
        target=user,
        target_type="user",
        details={"kind": purpose},
    )
    subject, body = _EMAIL[purpose]
    link = mail.external_url("auth.set_password", token=token)
    mail.queue_mail(user.email, subject, body.format(link=link))


def password_link(token: str) -> PasswordLink | None:
    """The unused, unexpired link this token belongs to, for a person who may still sign in
    with a password here."""
    row = db.session.execute(
        select(PasswordLink).where(PasswordLink.token_hash == _digest(token))
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or utcnow() >= row.expires_at:
        return None
    user = row.user
    if not user.is_active or user.uses_single_sign_on:
        return None
    return row


def use_password_link(row: PasswordLink) -> bool:
    """Spend the link, once even if two requests race. The caller commits."""
    spent = db.session.execute(
        update(PasswordLink)
        .where(PasswordLink.id == row.id, PasswordLink.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return spent == 1
