"""Which agencies are members of a case: the one place a membership is written. Triage adds
the referring agency and the coordinator's; sharing (hub managers, coordinators) and
conferences add and remove agencies through here, after checking the request. Audited;
callers commit."""

from datetime import datetime
from functools import cache

from marshmallow import ValidationError
from sqlalchemy import Select, bindparam, select
from sqlalchemy.exc import IntegrityError

from hub import audit
from hub import permissions as perm
from hub.core.database import read_values
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import Agency, Case, CaseMembership, HubAgency, MembershipRoute


def member_ids(case: Case) -> set[int]:
    """The agencies that are members of the case now."""
    return set(read_values(perm.active_member_agency_ids(case.id)).scalars())


def member_agencies(case: Case) -> list[Agency]:
    return list(db.session.execute(_member_agencies(), {"case_id": case.id}).scalars())


def restrictable_agencies(case: Case) -> list:
    """The partner agencies of the case's hub as (id, name) rows in name order: those a new
    record on it may be restricted to. Plain values, not Agency objects: each form that
    restricts a record lists them, and a name and an id are all it shows."""
    return list(read_values(_hub_partners(), {"hub_id": case.hub_id}))


@cache
def _hub_partners() -> Select:
    return (
        select(Agency.id, Agency.name)
        .join(HubAgency, HubAgency.agency_id == Agency.id)
        .where(HubAgency.hub_id == bindparam("hub_id"))
        .order_by(Agency.name)
    )


@cache
def _member_agencies() -> Select:
    """Built once: the overview and actions tabs of every case ask it."""
    return (
        select(Agency)
        .join(CaseMembership, CaseMembership.agency_id == Agency.id)
        .where(CaseMembership.case_id == bindparam("case_id"), CaseMembership.removed_at.is_(None))
        .order_by(Agency.name)
    )


def add_member(
    case: Case, agency_id: int, *, route: str, reason: str, actor, now: datetime | None = None
) -> CaseMembership | None:
    """Make the agency a member of the case, saying how (route) and why. Nothing happens, and
    None is returned, when it is a member already."""
    if agency_id in member_ids(case):
        return None
    membership = CaseMembership(
        case_id=case.id,
        agency_id=agency_id,
        route=route,
        reason=reason,
        added_by_id=actor.id,
        added_at=now or utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(membership)
            db.session.flush()
    except IntegrityError:
        return None  # another request made it a member a moment ago
    perm.forget_case_access()
    audit.record(
        "case_member_added",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={"after": {"agency_id": agency_id, "route": route}},
    )
    return membership


def remove_member(case: Case, membership: CaseMembership, reason: str, *, actor) -> None:
    """End an agency's membership, with the reason. The referring agency stays a member."""
    reason = (reason or "").strip()
    if membership.case_id != case.id or membership.removed_at is not None:
        raise ValidationError({"membership": ["This agency is not a member of the case"]})
    if membership.route == MembershipRoute.REFERRAL:
        raise ValidationError(
            {"reason": ["The referring agency stays a member of the case: it cannot be removed"]}
        )
    if len(reason) < 3 or len(reason) > 2000:
        raise ValidationError({"reason": ["Enter why the agency is being removed"]})
    membership.removed_at = utcnow()
    membership.removed_by_id = actor.id
    membership.removal_reason = reason
    db.session.flush()
    perm.forget_case_access()
    audit.record(
        "case_member_removed",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={
            "before": {"agency_id": membership.agency_id, "route": membership.route},
            "after": {"removed": True},
        },
    )
