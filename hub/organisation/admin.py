"""Hubs, agencies, users and roles: the changes administrators make, each audited.

Callers commit; every function here validates first and changes nothing when it refuses.
"""

from marshmallow import ValidationError
from sqlalchemy import select

from hub import audit
from hub.core.signals import account_deactivated
from hub.extensions import db
from hub.models import Agency, Hub, HubAgency, Role, User, UserRole
from hub.organisation.schemas import AgencySchema, HubSchema, LessonSharingSchema, UserSchema


def _unique(model, column, value, field: str, message: str, exclude_id=None) -> None:
    query = select(model.id).where(column == value)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    if db.session.execute(query).first():
        raise ValidationError({field: [message]})


def create_hub(data: dict, *, actor) -> Hub:
    data = HubSchema().load(data)
    _unique(Hub, Hub.slug, data["slug"], "slug", "A hub already uses this short name")
    _unique(Hub, Hub.name, data["name"], "name", "A hub with this name already exists")
    hub = Hub(**data)
    db.session.add(hub)
    db.session.flush()
    audit.record("hub_created", user=actor, hub=hub, target=hub, details={"fields": sorted(data)})
    return hub


def set_lesson_sharing(hub: Hub, data: dict, *, actor) -> bool:
    """The hub manager turns the sharing of the hub's published lessons on or off. Takes
    effect at once: every read of a shared lesson checks the setting (hub.permissions)."""
    shares = LessonSharingSchema().load(data)["shares_lessons"] == "yes"
    if hub.shares_lessons == shares:
        return shares
    hub.shares_lessons = shares
    db.session.flush()
    audit.record(
        "hub_lesson_sharing_changed",
        user=actor,
        hub=hub,
        target=hub,
        details={"fields": ["shares_lessons"], "after": {"active": shares}},
    )
    return shares


def create_agency(data: dict, *, actor, hub: Hub | None = None) -> Agency:
    data = AgencySchema().load(data)
    _unique(Agency, Agency.name, data["name"], "name", "An agency with this name already exists")
    agency = Agency(**data)
    db.session.add(agency)
    db.session.flush()
    audit.record(
        "agency_created",
        user=actor,
        hub=hub,
        target=agency,
        details={"fields": sorted(data), "kind": agency.kind},
    )
    if hub is not None:
        add_agency_to_hub(hub, agency, actor=actor)
    return agency


def add_agency_to_hub(hub: Hub, agency: Agency, *, actor) -> None:
    exists = db.session.execute(
        select(HubAgency.id).where(HubAgency.hub_id == hub.id, HubAgency.agency_id == agency.id)
    ).first()
    if exists:
        raise ValidationError({"agency_id": [f"{agency.name} is already a partner in this hub"]})
    db.session.add(HubAgency(hub_id=hub.id, agency_id=agency.id))
    db.session.flush()
    db.session.expire(hub, ["agencies"])
    db.session.expire(agency, ["hubs"])
    audit.record("hub_agency_added", user=actor, hub=hub, target=agency)


def remove_agency_from_hub(hub: Hub, agency: Agency, *, actor) -> None:
    link = db.session.execute(
        select(HubAgency).where(HubAgency.hub_id == hub.id, HubAgency.agency_id == agency.id)
    ).scalar_one_or_none()
    if link is None:
        raise ValidationError({"agency_id": [f"{agency.name} is not a partner in this hub"]})
    db.session.delete(link)
    # Roles held in this hub by the agency's people end with the membership.
    roles = db.session.execute(
        select(UserRole)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.hub_id == hub.id, User.agency_id == agency.id)
    ).scalars()
    for role in roles:
        db.session.delete(role)
    db.session.flush()
    db.session.expire(hub, ["agencies"])
    db.session.expire(agency, ["hubs"])
    audit.record("hub_agency_removed", user=actor, hub=hub, target=agency)


def create_user(data: dict, *, actor, allowed_agency_ids: set[int] | None) -> User:
    """allowed_agency_ids: the agencies the actor may add people to (None: any)."""
    data = UserSchema().load(data)
    data["email"] = data["email"].strip().lower()
    agency = db.session.get(Agency, data["agency_id"])
    if agency is None or (allowed_agency_ids is not None and agency.id not in allowed_agency_ids):
        raise ValidationError({"agency_id": ["Choose an agency from the list"]})
    _unique(User, User.email, data["email"], "email", "An account with this email already exists")
    user = User(name=data["name"].strip(), email=data["email"], agency_id=agency.id)
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user_created",
        user=actor,
        target=user,
        target_type="user",
        details={"fields": ["agency_id", "email", "name"], "after": {"agency_id": agency.id}},
    )
    return user


def set_user_active(user: User, active: bool, *, actor) -> None:
    if user.id == actor.id and not active:
        raise ValidationError({"active": ["You cannot deactivate your own account"]})
    if user.is_active_account == active:
        return
    user.is_active_account = active
    user.dormancy_notice_at = None  # switched back on: a fresh 90 days before any notice
    if not active:
        account_deactivated.send(user, actor=actor)
    audit.record(
        "user_activated" if active else "user_deactivated",
        user=actor,
        target=user,
        target_type="user",
        details={"before": {"active": not active}, "after": {"active": active}},
    )


def grant_role(user: User, role: str, hub: Hub | None, *, actor, grantable: list[Role]) -> None:
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError({"role": ["Choose a role from the list"]}) from None
    if role not in grantable:
        raise ValidationError({"role": ["You cannot give this role"]})
    if role.hub_scoped and hub is None:
        raise ValidationError({"hub_id": ["Choose the hub this role is for"]})
    if hub is not None and not role.hub_scoped:
        hub = None
    if hub is not None and hub.id not in {h.id for h in user.agency.hubs}:
        raise ValidationError({"hub_id": [f"{user.agency.name} is not a partner in {hub.name}"]})
    if any(r.role == role and r.hub_id == (hub.id if hub else None) for r in user.roles):
        raise ValidationError({"role": ["This person already has this role"]})
    user.roles.append(UserRole(role=role.value, hub_id=hub.id if hub else None))
    db.session.flush()
    audit.record(
        "role_granted",
        user=actor,
        hub=hub,
        target=user,
        target_type="user",
        details={"role": role.value},
    )


def revoke_role(user_role: UserRole, *, actor) -> None:
    user = user_role.user
    if user.id == actor.id and user_role.role in (Role.SYSADMIN, Role.HUB_MANAGER):
        raise ValidationError({"role": ["You cannot remove your own administrator role"]})
    details = {"role": user_role.role}
    hub_id = user_role.hub_id
    user.roles.remove(user_role)
    db.session.flush()
    audit.record(
        "role_revoked", user=actor, hub=hub_id, target=user, target_type="user", details=details
    )
