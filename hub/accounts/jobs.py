"""The accounts' scheduled work: switching off accounts nobody has used for 90 days (after a
week's notice), and clearing away spent sign-in records.

Idempotent like every job: a notice or a switch-off is claimed with scheduler.once() under a
key naming the person and the spell of disuse, so a restart, a retry or a second scheduler
never emails anyone twice.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select

from hub import audit
from hub.accounts import sessions
from hub.clock.scheduler import once, scheduled
from hub.core import mail
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import ApiToken, PasswordLink, SignInFailure, SsoSignIn, User, UserSession

UNUSED_LIMIT = timedelta(days=90)
NOTICE = timedelta(days=7)
_JOB = "dormant_accounts"


def _last_use(users: list[User]) -> dict[int, datetime]:
    """When each person last used the hub: a sign-in, an API token, or else the day their
    account was made. One query for the tokens, however many people."""
    tokens = dict(
        db.session.execute(
            select(ApiToken.user_id, func.max(ApiToken.last_used_at))
            .where(ApiToken.user_id.in_([u.id for u in users]))
            .group_by(ApiToken.user_id)
        ).all()
    )
    return {
        u.id: max(t for t in (u.created_at, u.last_sign_in_at, tokens.get(u.id)) if t is not None)
        for u in users
    }


def disable_unused_accounts(now: datetime) -> tuple[list[int], list[int]]:
    """Warn people whose account has been unused for 83 days, and switch off those warned a
    week ago who have not used it since. Returns (ids warned, ids switched off)."""
    candidates = list(
        db.session.execute(
            select(User).where(
                User.is_active_account.is_(True),
                User.awaiting_approval.is_(False),
                func.coalesce(User.last_sign_in_at, User.created_at)
                <= now - (UNUSED_LIMIT - NOTICE),
            )
        ).scalars()
    )
    if not candidates:
        return [], []
    last_use = _last_use(candidates)
    warned, switched_off = [], []
    for user in candidates:
        used = last_use[user.id]
        if now - used < UNUSED_LIMIT - NOTICE:
            continue  # an API token kept it in use
        notice = user.dormancy_notice_at
        if notice is None or notice < used:
            if once(f"dormancy-notice:{user.id}:{used.isoformat()}", _JOB):
                _warn(user, now)
                warned.append(user.id)
        elif (
            now - notice >= NOTICE
            and now - used >= UNUSED_LIMIT
            and once(f"dormancy-off:{user.id}:{notice.isoformat()}", _JOB)
        ):
            _switch_off(user)
            switched_off.append(user.id)
    return warned, switched_off


def _warn(user: User, now: datetime) -> None:
    user.dormancy_notice_at = now
    audit.record("dormancy_notice_sent", target=user, target_type="user")
    mail.queue_mail(
        user.email,
        "Your Focus Hub account will be switched off in 7 days",
        "You have not used your Focus Hub account for nearly 90 days. Accounts nobody uses "
        "are switched off, to keep the information in the hub safe.\n\n"
        f"To keep your account, sign in within 7 days:\n{mail.external_url('auth.sign_in')}\n\n"
        "If you no longer need it, do nothing.",
    )


def _switch_off(user: User) -> None:
    user.is_active_account = False
    sessions.end_all(user, reason="unused", actor=None)
    audit.record(
        "user_deactivated",
        target=user,
        target_type="user",
        details={
            "reason": "unused",
            "before": {"active": True},
            "after": {"active": False},
        },
    )
    mail.queue_mail(
        user.email,
        "Your Focus Hub account has been switched off",
        "Your Focus Hub account was not used for 90 days, so it has been switched off.\n\n"
        "If you need it again, ask your agency manager or hub manager to switch it back on.",
    )


def clear_spent_records(now: datetime) -> None:
    """Sign-in records that serve no purpose once spent: provider round trips over a day old,
    sessions and password links a month after they ended, failures after a day (lockout looks
    back minutes). What happened stays in the audit log."""
    day, month = now - timedelta(days=1), now - timedelta(days=30)
    db.session.execute(delete(SsoSignIn).where(SsoSignIn.created_at < day))
    db.session.execute(delete(SignInFailure).where(SignInFailure.at < day))
    db.session.execute(
        delete(UserSession).where(or_(UserSession.ended_at < month, UserSession.expires_at < month))
    )
    db.session.execute(
        delete(PasswordLink).where(
            or_(PasswordLink.used_at < month, PasswordLink.expires_at < month)
        )
    )


@scheduled("dormant_accounts", "cron", run_at_start=True, hour=6, minute=0)
def dormant_accounts_job() -> None:
    """Warn people whose account is nearly 90 days unused; switch off those warned a week ago."""
    disable_unused_accounts(utcnow())


@scheduled("sign_in_housekeeping", "cron", run_at_start=True, hour=3, minute=30)
def sign_in_housekeeping_job() -> None:
    """Clear spent sign-in records: provider round trips, ended sessions, used links."""
    clear_spent_records(utcnow())
