"""The one permission module. Every view declares a policy with @requires; object-level
decisions are the functions below; lists are filtered in SQL by the same rules.

A denial looks exactly like a missing page (404) and is written to the audit log.
"""

from collections.abc import Callable
from functools import wraps
from typing import NoReturn

from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy import Select, or_, select

from hub import audit
from hub.extensions import db, login_manager
from hub.models import Agency, Hub, HubAgency, Role, User, UserRole

# -- who holds what --------------------------------------------------------------------------


def is_sysadmin(user) -> bool:
    return user.is_authenticated and Role.SYSADMIN in user.role_names()


def has_hub_role(user, hub: Hub, *roles: Role) -> bool:
    if not user.is_authenticated:
        return False
    return any(r.role in roles and r.hub_id == hub.id for r in user.roles)


def hubs_of(user) -> list[Hub]:
    """The hubs a user works in: those their agency belongs to."""
    return list(user.agency.hubs) if user.is_authenticated else []


def is_in_hub(user, hub: Hub) -> bool:
    return user.is_authenticated and any(h.id == hub.id for h in user.agency.hubs)


def can_manage_hub(user, hub: Hub) -> bool:
    """Hub managers run their own hub's agencies and users; system administrators any hub."""
    return is_sysadmin(user) or (is_in_hub(user, hub) and has_hub_role(user, hub, Role.HUB_MANAGER))


def managed_hub_ids(user) -> set[int]:
    return {r.hub_id for r in user.roles if r.role == Role.HUB_MANAGER and r.hub_id is not None}


def is_agency_manager(user, agency_id: int) -> bool:
    return user.agency_id == agency_id and Role.AGENCY_MANAGER in user.role_names()


def can_administer_users(user) -> bool:
    if not user.is_authenticated:
        return False
    names = user.role_names()
    return bool(names & {Role.SYSADMIN, Role.HUB_MANAGER, Role.AGENCY_MANAGER})


def manageable_users(actor) -> Select:
    """Users the actor may manage, as SQL: everyone for a system administrator; the users of
    agencies in the hubs they manage for a hub manager; their own agency's for an agency
    manager."""
    query = select(User)
    if is_sysadmin(actor):
        return query
    conditions = []
    hub_ids = managed_hub_ids(actor)
    if hub_ids:
        conditions.append(
            User.agency_id.in_(select(HubAgency.agency_id).where(HubAgency.hub_id.in_(hub_ids)))
        )
    if Role.AGENCY_MANAGER in actor.role_names():
        conditions.append(User.agency_id == actor.agency_id)
    if not conditions:
        return query.where(False)
    return query.where(or_(*conditions))


def can_manage_user(actor, target: User) -> bool:
    if not actor.is_authenticated:
        return False
    query = manageable_users(actor).where(User.id == target.id)
    return db.session.execute(query.with_only_columns(User.id)).first() is not None


def manageable_agencies(actor) -> Select:
    """Agencies whose users the actor may create or manage."""
    query = select(Agency).order_by(Agency.name)
    if is_sysadmin(actor):
        return query
    hub_ids = managed_hub_ids(actor)
    conditions = [Agency.id.in_(select(HubAgency.agency_id).where(HubAgency.hub_id.in_(hub_ids)))]
    if Role.AGENCY_MANAGER in actor.role_names():
        conditions.append(Agency.id == actor.agency_id)
    return query.where(or_(*conditions))


def grantable_roles(actor, hub: Hub | None) -> list[Role]:
    """Roles the actor may give: hub roles in hubs they manage; unscoped roles by sysadmins
    (and agency manager by hub managers, for an agency in their hub)."""
    if is_sysadmin(actor):
        return list(Role) if hub is None else [r for r in Role if r.hub_scoped]
    if hub is None:
        return [Role.AGENCY_MANAGER] if managed_hub_ids(actor) else []
    if can_manage_hub(actor, hub):
        return [r for r in Role if r.hub_scoped]
    return []


def role_query_for_user(user_id: int) -> Select:
    return select(UserRole).where(UserRole.user_id == user_id)


# -- denial -----------------------------------------------------------------------------------


def deny(what: str, *, hub=None, target_type: str | None = None, target_id=None) -> NoReturn:
    """Refuse with the same 404 a missing thing gets, and audit the attempt."""
    user = current_user if current_user.is_authenticated else None
    audit.record(
        "access_denied",
        outcome="denied",
        user=user,
        hub=hub,
        target_type=target_type,
        target_id=target_id,
        details={"what": what, "method": request.method, "path": request.path},
        commit=True,
    )
    abort(404)


# -- route policies ---------------------------------------------------------------------------

# Each policy is a check on the signed-in user before the view runs. Views that decide on a
# particular object (a hub, a case) also call the object-level functions above.
POLICIES: dict[str, Callable[[object], bool]] = {
    "public": lambda user: True,
    "signed_in": lambda user: user.is_authenticated,
    "user_admin": can_administer_users,
    "sysadmin": is_sysadmin,
}


def requires(policy: str):
    """Declare and enforce who may reach a view. Every endpoint must declare one: a test walks
    the URL map and fails for any view without it."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}")
    check = POLICIES[policy]

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if policy != "public" and not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not check(current_user):
                deny(f"policy:{policy}")
            return view(*args, **kwargs)

        wrapped.hub_policy = policy
        return wrapped

    return decorate


def policy_of(endpoint: str) -> str | None:
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "hub_policy", None)
