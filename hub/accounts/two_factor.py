"""Two-factor sign-in for local accounts: a TOTP code from an authenticator app (RFC 6238),
or one of ten single-use recovery codes.

Who must use it: anyone signing in with a password here who holds a role able to read
personal data in a hub that requires it (every hub does unless a system administrator turns
it off), and agency managers and system administrators whose agency works in such a hub, as
they can give themselves those roles. People who sign in with their organisation's account
(single sign-on) prove a second factor to their own provider, not here.
"""

import hashlib
import hmac
import secrets

import pyotp
import segno
from markupsafe import Markup
from marshmallow import ValidationError
from sqlalchemy import delete, select, update

from hub import audit
from hub import permissions as perm
from hub.accounts import sessions
from hub.accounts.sealing import UnreadableSecret, seal, unseal
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import RecoveryCode, Role, User

ISSUER = "Focus Hub"
RECOVERY_CODES = 10
# Roles that read personal data (the case data roles, referrers who read their agency's
# referrals, and the data protection officer who answers subject access requests).
PERSONAL_DATA_ROLES = perm.ROLE_ACTIONS[perm.Action.READ] | {
    Role.REFERRER,
    Role.DATA_PROTECTION_OFFICER,
}
UNSCOPED_ROLES = {Role.AGENCY_MANAGER, Role.SYSADMIN}


def required(user: User) -> bool:
    if user.uses_single_sign_on:
        return False
    for role in user.roles:
        if role.role in PERSONAL_DATA_ROLES and role.hub is not None:
            if role.hub.two_factor_required:
                return True
        elif role.role in UNSCOPED_ROLES:
            hubs = user.agency.hubs
            if not hubs or any(h.two_factor_required for h in hubs):
                return True
    return False


# -- codes --------------------------------------------------------------------------------------


def _totp(user: User) -> pyotp.TOTP | None:
    if not user.totp_secret:
        return None
    try:
        return pyotp.TOTP(unseal(user.totp_secret))
    except UnreadableSecret:
        return None  # SECRET_KEY changed: a manager resets two-factor for this person


def _matching_step(totp: pyotp.TOTP, code: str, after: int | None) -> int | None:
    """The time step a code belongs to (this one or a neighbour, for clock drift), if it is
    later than the last one used: a code, once used, never works again."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    now = totp.timecode(utcnow())
    for step in (now - 1, now, now + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_code(user: User, code: str) -> bool:
    """A TOTP code from the person's app, used once. The caller commits."""
    totp = _totp(user)
    step = _matching_step(totp, code, user.totp_last_step) if totp else None
    if step is None:
        return False
    # Claimed in SQL, so two requests racing with the same code cannot both succeed.
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            (User.totp_last_step.is_(None)) | (User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(user, ["totp_last_step"])
    return claimed == 1


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_normalise_recovery(code).encode()).hexdigest()


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one recovery code. The caller commits."""
    if len(_normalise_recovery(code)) != 16:
        return False
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_recovery(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent:
        audit.record(
            "two_factor_recovery_code_used",
            user=user,
            details={"count": recovery_codes_left(user)},
        )
    return spent == 1


def recovery_codes_left(user: User) -> int:
    rows = db.session.execute(
        select(RecoveryCode.id).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    return len(rows)


def _new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes (the old ones stop working), shown once: only hashes are kept."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_bytes(8).hex()  # 64 random bits as 16 hex digits
        code = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
        codes.append(code)
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(code)))
    db.session.flush()
    return codes


def renew_recovery_codes(user: User, code: str) -> list[str]:
    """New recovery codes in place of the old, proven with a current code from the app."""
    if not check_code(user, code):
        raise ValidationError({"code": ["Enter the 6-digit code your app shows now"]})
    return regenerate_recovery_codes(user)


def regenerate_recovery_codes(user: User) -> list[str]:
    codes = _new_recovery_codes(user)
    audit.record("two_factor_recovery_codes_replaced", user=user, target=user, target_type="user")
    return codes


# -- setting up and removing --------------------------------------------------------------------


def begin_setup(user: User) -> str:
    """A new key for a person not yet using two-factor sign-in (a half-finished set-up is
    replaced). Returns the key, to show as a QR code and as text."""
    if user.two_factor_enabled:
        raise ValidationError({"code": ["Two-factor sign-in is already set up"]})
    secret = pyotp.random_base32()
    user.totp_secret = seal(secret)
    user.totp_last_step = None
    db.session.flush()
    return secret


def pending_secret(user: User) -> str | None:
    """The key of a set-up not yet confirmed, to show again after a mistyped code."""
    if user.two_factor_enabled or not user.totp_secret:
        return None
    try:
        return unseal(user.totp_secret)
    except UnreadableSecret:
        return None


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code(uri: str) -> Markup:
    """The otpauth URI as an inline SVG: nothing fetched, no inline style (CSP)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, title="QR code to scan with your authenticator app"
    )
    return Markup(svg)  # noqa: S704 - segno's own markup, built from our URI


def confirm_setup(user: User, code: str) -> list[str]:
    """Finish a set-up with the first code the app shows; returns the recovery codes."""
    if user.two_factor_enabled or not user.totp_secret:
        raise ValidationError({"code": ["Start setting up two-factor sign-in again"]})
    if not check_code(user, code):
        raise ValidationError({"code": ["Enter the 6-digit code your authenticator app shows now"]})
    user.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    audit.record("two_factor_enabled", user=user, target=user, target_type="user")
    return codes


def turn_off(user: User, code: str) -> None:
    """The person turns two-factor sign-in off, proving it with a current code; refused when
    their roles require it."""
    if required(user):
        raise ValidationError(
            {"code": ["Your roles need two-factor sign-in: it cannot be turned off"]}
        )
    if not check_code(user, code):
        raise ValidationError({"code": ["Enter the 6-digit code your authenticator app shows"]})
    _clear(user)
    audit.record("two_factor_disabled", user=user, target=user, target_type="user")


def reset(user: User, *, actor: User) -> None:
    """A manager clears a person's two-factor set-up (a lost phone and lost codes); they set
    it up again at their next sign-in. Their sessions end."""
    _clear(user)
    sessions.end_all(user, reason="two_factor_reset", actor=actor)
    audit.record("two_factor_reset", user=actor, target=user, target_type="user")


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()
