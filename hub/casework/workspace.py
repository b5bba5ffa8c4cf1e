"""What each tab of the case workspace shows. Every list is filtered in SQL by hub.permissions,
and each function records the personal data it returns (permissions.record_read). A constant
number of statements per tab, however large the case or the hub."""

from dataclasses import dataclass
from datetime import date
from functools import cache
from types import SimpleNamespace
from typing import NamedTuple

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.orm import aliased, joinedload, lazyload

from hub import permissions as perm
from hub.casework.cases import conference_date
from hub.casework.membership import member_agencies
from hub.casework.plans import plan_of
from hub.core.database import read_values
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    Activity,
    Agency,
    Case,
    CaseAction,
    CaseIncident,
    CaseNote,
    Conference,
    Intervention,
    PlanRevision,
    RiskAssessment,
    User,
)
from hub.models.referral import Referral, ReferralPerson

FEED_SIZE = 15


def today() -> date:
    return utcnow().astimezone(LONDON).date()


@dataclass
class FeedItem:
    activity: Activity
    actor_name: str | None
    agency_name: str | None
    note: CaseNote | None


def feed(user, case: Case, *, limit: int = FEED_SIZE, before_id: int | None = None):
    """The newest activity entries this user may see, each with a note's text when the entry
    is a note (the note passes the same rule as its entry)."""
    params = perm.visible_activity_params(user, case) | {"limit": limit, "before_id": before_id}
    rows = db.session.execute(_feed(before=before_id is not None), params)
    items = [FeedItem(*row) for row in rows]
    shown = [
        SimpleNamespace(
            id=i.activity.record_id,
            record_type=i.activity.record_type,
            category=i.activity.category,
            origin_agency_id=i.activity.agency_id,
        )
        for i in items
        if i.activity.category is not None
    ]
    perm.record_read(user, case, shown, what="case activity")
    return items


@cache
def _feed(*, before: bool) -> Select:
    """The feed's query around the permission module's condition, built once (and once more
    for the older pages of the activity tab)."""
    actor = aliased(User)
    query = (
        select(Activity, actor.name, Agency.name, CaseNote)
        .where(perm.visible_activity())
        .outerjoin(actor, actor.id == Activity.actor_id)
        .outerjoin(Agency, Agency.id == Activity.agency_id)
        .outerjoin(
            CaseNote,
            and_(Activity.record_type == CaseNote.record_type, CaseNote.id == Activity.record_id),
        )
        .order_by(Activity.id.desc())
        .limit(bindparam("limit"))
    )
    return query.where(Activity.id < bindparam("before_id")) if before else query


def feed_marker(user, case: Case) -> int:
    """The newest entry this user may see: pollers compare it to know whether to refresh."""
    params = perm.visible_activity_params(user, case)
    return read_values(_newest_visible(), params).scalar() or 0


@cache
def _newest_visible() -> Select:
    return select(func.max(Activity.id)).where(perm.visible_activity())


def assessments(user, case: Case) -> list[RiskAssessment]:
    return perm.read_case_records(user, case, _case_assessments(), what="risk assessments")


@cache
def _case_assessments() -> Select:
    return (
        perm.case_records(RiskAssessment)
        .options(joinedload(RiskAssessment.assessor).lazyload(User.roles))
        .order_by(RiskAssessment.assessed_at, RiskAssessment.id)
    )


def reassessment_due(case: Case) -> date | None:
    """When the next risk assessment is due: set by the latest signed assessment (whoever may
    see it, the date itself is not personal)."""
    return read_values(_next_reassessment(), {"case_id": case.id}).scalar()


@cache
def _next_reassessment() -> Select:
    return (
        select(RiskAssessment.next_due_on)
        .where(
            RiskAssessment.case_id == bindparam("case_id"), RiskAssessment.signed_at.is_not(None)
        )
        .order_by(RiskAssessment.signed_at.desc(), RiskAssessment.id.desc())
        .limit(1)
    )


def actions(user, case: Case) -> list[CaseAction] | None:
    """The case's actions, or None when the user's agreements do not cover working records
    (hub.permissions: working records). Reading them is audited."""
    if not perm.can_read_working_records(user, case):
        return None
    query = (
        select(CaseAction)
        .where(CaseAction.case_id == case.id)
        .options(joinedload(CaseAction.agency), joinedload(CaseAction.owner).lazyload(User.roles))
        .order_by(CaseAction.status, CaseAction.due_on, CaseAction.id)
    )
    rows = list(db.session.execute(query).unique().scalars())
    perm.working_records_read(
        user, case.hub_id, what="actions", records={"case_action": [a.id for a in rows]}, case=case
    )
    return rows


class NextAction(NamedTuple):
    """What the case page's header says of the case's next action."""

    id: int
    description: str
    agency_name: str
    due_on: date


def next_action(user, case: Case) -> tuple[NextAction | None, bool]:
    """The case's open action due soonest, for the case page's header, and whether the user
    may read actions at all (working records: hub.permissions). Reading it is audited."""
    if not perm.can_read_working_records(user, case):
        return None, False
    row = read_values(_next_action(), {"case_id": case.id}).first()
    action = NextAction(*row) if row is not None else None
    if action is not None:
        perm.working_records_read(
            user, case.hub_id, what="next action", records={"case_action": [action.id]}, case=case
        )
    return action, True


@cache
def _next_action() -> Select:
    """Built once: the header of every case page asks it. Plain values: the header shows
    three of them."""
    return (
        select(CaseAction.id, CaseAction.description, Agency.name, CaseAction.due_on)
        .join(Agency, Agency.id == CaseAction.agency_id)
        .where(CaseAction.case_id == bindparam("case_id"), CaseAction.status == "open")
        .order_by(CaseAction.due_on.is_(None), CaseAction.due_on, CaseAction.id)
        .limit(1)
    )


def soonest_open(actions: list[CaseAction]) -> NextAction | None:
    """next_action's answer from the actions tab's list, already read and audited: the open
    action due soonest (every action has a due date), without reading it again."""
    action = min(
        (a for a in actions if a.status == "open"), key=lambda a: (a.due_on, a.id), default=None
    )
    if action is None:
        return None
    return NextAction(action.id, action.description, action.agency.name, action.due_on)


def interventions(user, case: Case) -> list[Intervention]:
    return perm.read_case_records(
        user, case, _case_interventions(), what="interventions and powers"
    )


@cache
def _case_interventions() -> Select:
    return (
        perm.case_records(Intervention)
        .options(joinedload(Intervention.issuing_agency))
        .order_by(Intervention.served_on.desc(), Intervention.id.desc())
    )


def plan_view(user, case: Case):
    """The plan and how many versions it has had; (None, None) when the user's agreements do
    not cover working records. The plan's analysis names victims and offenders, so reading it
    is audited like any personal data."""
    if not perm.can_read_working_records(user, case):
        return None, None
    plan = plan_of(case)
    revisions = 0
    if plan is not None:
        revisions = read_values(_revision_count(), {"plan_id": plan.id}).scalar()
        perm.working_records_read(
            user, case.hub_id, what="plan", records={"case_plan": [plan.id]}, case=case
        )
    return plan, revisions


@cache
def _revision_count() -> Select:
    return select(func.count(PlanRevision.id)).where(PlanRevision.plan_id == bindparam("plan_id"))


def people_by_id(ids) -> dict[int, User]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    query = select(User).where(User.id.in_(ids)).options(lazyload(User.roles))
    return {u.id: u for u in db.session.execute(query).scalars()}


def overview(user, case: Case) -> dict:
    members = member_agencies(case)
    plan = plan_of(case)
    users = people_by_id([case.lead_agreed_by_id, case.spoc_user_id])
    return {
        "members": members,
        "plan": plan,
        "lead_agreed_by": users.get(case.lead_agreed_by_id),
        "spoc": users.get(case.spoc_user_id),
        "reassessment_due": reassessment_due(case),
        "open_actions": _open_action_counts(case),
        "conference_on": conference_date(case),
        "lead_conference": lead_conference(case),
    }


def lead_conference(case: Case) -> Conference | None:
    """The conference at which the partners agreed the lead agency, if they agreed it at one."""
    if case.lead_agreed_conference_id is None:
        return None
    return db.session.get(Conference, case.lead_agreed_conference_id)


def _open_action_counts(case: Case) -> tuple[int, int]:
    params = {"case_id": case.id, "today": today()}
    return tuple(read_values(_action_counts(), params).one())


@cache
def _action_counts() -> Select:
    return select(
        func.count(CaseAction.id),
        func.count(CaseAction.id).filter(CaseAction.due_on < bindparam("today")),
    ).where(CaseAction.case_id == bindparam("case_id"), CaseAction.status == "open")


def spoc_candidates(case: Case) -> list[User]:
    """People of the case's member agencies (SPoCs and lead officers come from them)."""
    return list(db.session.execute(_member_people(), {"case_id": case.id}).scalars())


@cache
def _member_people() -> Select:
    return (
        select(User)
        .where(
            User.agency_id.in_(perm.active_member_agency_ids(bindparam("case_id"))),
            User.is_active_account.is_(True),
        )
        .options(lazyload(User.roles))  # names and agencies only: their roles are not shown
        .order_by(User.name)
    )


def referrals(user, case: Case) -> list[tuple]:
    """The case's referrals as a timeline, oldest first, each with the people named in it
    that the user may see: (referral, [people]). Two queries, however many referrals."""
    params = perm.case_records_params(user, case)
    rows = list(db.session.execute(_case_referrals(), params).unique().scalars())
    people = list(db.session.execute(_case_referral_people(), params).scalars())
    perm.record_read(user, case, rows + people, what="referrals and incidents")
    by_referral: dict[int, list] = {}
    for person in people:
        by_referral.setdefault(person.referral_id, []).append(person)
    return [(r, by_referral.get(r.id, [])) for r in rows]


@cache
def _case_referrals() -> Select:
    return (
        perm.case_records(Referral)
        .options(joinedload(Referral.agency))
        .order_by(Referral.submitted_at, Referral.id)
    )


@cache
def _case_referral_people() -> Select:
    return perm.case_records(ReferralPerson).order_by(
        ReferralPerson.referral_id, ReferralPerson.position
    )


def incidents(user, case: Case) -> list[CaseIncident]:
    """The incidents logged on the case that this user may see, newest first (one query);
    reading them is audited and disclosed like any record."""
    return perm.read_case_records(user, case, _case_incidents(), what="incidents")


@cache
def _case_incidents() -> Select:
    return (
        perm.case_records(CaseIncident)
        .options(joinedload(CaseIncident.agency))
        .order_by(CaseIncident.occurred_on.desc(), CaseIncident.id.desc())
    )
