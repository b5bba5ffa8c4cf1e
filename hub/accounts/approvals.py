"""People whose first single sign-on made their account wait, with no roles, until a manager
of their agency approves them (or a system administrator, where the agency has no manager).
Approval lets them sign in; what they may do is then the roles a manager gives them."""

from marshmallow import ValidationError
from sqlalchemy import Select, select

from hub import audit
from hub import permissions as perm
from hub.core import mail
from hub.extensions import db
from hub.models import Role, User, UserRole


def _approvers(user: User) -> list[User]:
    """Who is told: the agency's managers, else the system administrators."""
    base = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.is_active_account.is_(True), User.awaiting_approval.is_(False))
        .distinct()
    )
    managers = (
        db.session.execute(
            base.where(UserRole.role == Role.AGENCY_MANAGER, User.agency_id == user.agency_id)
        )
        .scalars()
        .all()
    )
    if managers:
        return list(managers)
    return list(db.session.execute(base.where(UserRole.role == Role.SYSADMIN)).scalars())


def ask_for_approval(user: User) -> None:
    """Tell the approvers someone is waiting (a link, no name: emails carry as little as
    possible). Sent when the caller commits."""
    link = mail.external_url("account_admin.approvals")
    for approver in _approvers(user):
        mail.queue_mail(
            approver.email,
            "Someone is waiting for approval on Focus Hub",
            f"Someone from {user.agency.name} has signed in to Focus Hub with their "
            "organisation's account for the first time. They can do nothing until you "
            f"approve them and give them roles:\n{link}\n\n"
            "If you do not know who they are, refuse them.",
        )


def awaiting(actor: User) -> Select:
    """SQL: accounts awaiting approval that this person may approve."""
    query = select(User).where(User.awaiting_approval.is_(True), User.is_active_account.is_(True))
    if perm.is_sysadmin(actor):
        return query
    if Role.AGENCY_MANAGER in actor.role_names():
        return query.where(User.agency_id == actor.agency_id)
    return query.where(False)


def decide(user: User, approve: bool, *, actor: User) -> None:
    """Approve (they may sign in; roles come next) or refuse (their account is switched off).
    The caller commits."""
    if not user.awaiting_approval or not user.is_active_account:
        raise ValidationError({"decision": ["This person is no longer waiting for approval"]})
    user.awaiting_approval = False
    if not approve:
        user.is_active_account = False
    audit.record(
        "user_approved" if approve else "user_refused", user=actor, target=user, target_type="user"
    )
