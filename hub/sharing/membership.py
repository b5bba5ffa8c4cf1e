"""Which agencies are members of a case: the register of memberships, present and past, and
adding or removing an agency with the route and reason (a hub manager's or coordinator's
decision, or a conference's). Casework owns the write (hub.casework.membership); this checks
the request against the section 115 rules first. Callers commit."""

from marshmallow import ValidationError
from sqlalchemy import select

from hub import permissions as perm
from hub.casework import membership as casework_membership
from hub.extensions import db
from hub.models import (
    Agency,
    Case,
    CaseMembership,
    MembershipRoute,
)
from hub.sharing.schemas import MemberSchema

ROUTE_LABELS = {
    MembershipRoute.REFERRAL: "Referring agency",
    MembershipRoute.TRIAGE: "Added at triage",
    MembershipRoute.CONFERENCE: "Conference decision",
    MembershipRoute.HUB_MANAGER: "Added by the hub manager",
}


def case_members(case: Case) -> list[CaseMembership]:
    """Every membership of the case, present and past, oldest first."""
    query = (
        select(CaseMembership)
        .where(CaseMembership.case_id == case.id)
        .order_by(
            CaseMembership.removed_at.is_not(None), CaseMembership.added_at, CaseMembership.id
        )
    )
    return list(db.session.execute(query).scalars())


def addable_agencies(case: Case) -> list[Agency]:
    """The hub's partner agencies that are not members of the case now."""
    query = (
        select(Agency)
        .where(
            Agency.id.in_(perm.partner_agency_ids(case.hub_id)),
            Agency.id.not_in(perm.active_member_agency_ids(case.id)),
        )
        .order_by(Agency.name)
    )
    return list(db.session.execute(query).scalars())


def add_member(case: Case, data: dict, *, actor, may_use_hub_manager_route: bool):
    """Add the agency a hub manager, coordinator or conference chose, once the request passes
    the rules: a partner of the hub, not a member already, by a route this person may use."""
    data = MemberSchema().load(data)
    if data["route"] == MembershipRoute.HUB_MANAGER and not may_use_hub_manager_route:
        raise ValidationError({"route": ["Only the hub manager can add an agency this way"]})
    agency = db.session.get(Agency, data["agency_id"])
    if agency is None or not perm.is_partner(agency.id, case.hub_id):
        raise ValidationError({"agency_id": ["Choose an agency that is a partner in this hub"]})
    if agency.id not in {a.id for a in addable_agencies(case)}:
        raise ValidationError({"agency_id": [f"{agency.name} is already a member of this case"]})
    return casework_membership.add_member(
        case, agency.id, route=data["route"], reason=data["reason"].strip(), actor=actor
    )
